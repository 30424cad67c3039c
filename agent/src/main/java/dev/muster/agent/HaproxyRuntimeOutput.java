package dev.muster.agent;

import dev.muster.agent.AgentConfig.Reload;
import dev.muster.discovery.ApplyException;
import dev.muster.discovery.ApplyResult;
import dev.muster.discovery.ConfigPipeline;
import dev.muster.discovery.Sink;
import dev.muster.discovery.Snapshot;
import dev.muster.haproxy.Haproxy;
import dev.muster.haproxy.HaproxyRuntime;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.IntSupplier;

/**
 * HAProxy in runtime-API mode: hitless changes through the stats socket on servers named after
 * their instances ({@code add server}, {@code del server}), with drain (its sessions are waited for
 * inside the apply) and warm-up; it reloads only for a backend new to the file.
 *
 * @param statsSocket the admin-level stats socket
 * @param drainTimeout how long a removed member drains before it is put in maintenance anyway
 * @param warmupTimeout how long a new member may take to pass its check
 */
record HaproxyRuntimeOutput(
    String name,
    Path file,
    List<String> backends,
    Reload reload,
    HaproxyServers servers,
    Path statsSocket,
    Duration drainTimeout,
    Duration warmupTimeout)
    implements Output {

  @Override
  public String kind() {
    return "haproxy runtime mode";
  }

  @Override
  public Map<String, Path> reads() {
    return Output.paths(
        "header",
        servers.header(),
        "template",
        servers.template(),
        "stats_socket",
        statsSocket,
        "reload.master_socket",
        masterSocket());
  }

  @Override
  public Sink sink(Context context) {
    if (context.dryRun() != null) {
      return dryRun(context);
    }
    return build(context);
  }

  private HaproxyRuntime build(Context context) {
    return Haproxy.runtime()
        .drainTimeout(drainTimeout)
        .warmupTimeout(warmupTimeout)
        .statsSocket(statsSocket)
        .configFile(file)
        .reloader(Context.reloader(this, null))
        .config(servers.renderer(context))
        .build();
  }

  @Override
  public IntSupplier reloads(Sink sink, ConfigPipeline pipeline) {
    return sink instanceof HaproxyRuntime runtime ? runtime::reloadCount : () -> 0;
  }

  /**
   * A dry run: what the runtime API would change, read from HAProxy without changing it ({@link
   * HaproxyRuntime#plan}); if HAProxy does not answer, the servers each backend would hold.
   */
  private Sink dryRun(Context context) {
    HaproxyRuntime runtime = build(context);
    return memberships -> {
      StringBuilder text = new StringBuilder();
      text.append("# ").append(name).append(": runtime mode, through ").append(statsSocket);
      try {
        List<String> plan = runtime.plan(memberships);
        text.append(": what would change\n");
        plan.forEach(line -> text.append(line).append('\n'));
      } catch (ApplyException e) {
        text.append(": HAProxy does not answer (")
            .append(e.getMessage())
            .append("); the servers each backend would hold\n");
        list(memberships, text);
      }
      context.dryRun().accept(text.toString());
      return new ApplyResult(ApplyResult.Outcome.DRY_RUN, "runtime mode");
    };
  }

  private static void list(Map<String, Snapshot> memberships, StringBuilder text) {
    new TreeMap<>(memberships)
        .forEach(
            (backend, snapshot) -> {
              text.append("backend ")
                  .append(backend)
                  .append(": ")
                  .append(snapshot.size())
                  .append(" server(s)\n");
              snapshot
                  .members()
                  .forEach(
                      m ->
                          text.append("  ")
                              .append(m.instanceId())
                              .append(' ')
                              .append(m.hostPort())
                              .append(" weight ")
                              .append(m.weight())
                              .append('\n'));
            });
  }
}
