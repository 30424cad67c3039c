package dev.muster.agent;

import dev.muster.agent.AgentConfig.Reload;
import dev.muster.discovery.ApplyResult;
import dev.muster.discovery.Sink;
import dev.muster.nginx.HealthCheck;
import dev.muster.nginx.Nginx;
import dev.muster.nginx.NginxDynamic;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * nginx without reloads ({@code mode: dynamic}): Muster's include with the Lua balancer, fed over
 * the admin socket; nginx is reloaded only when the include's text changes. A drain waits until no
 * request to the drained members is in flight, as the balancer counts them.
 *
 * @param mainConfig the {@code nginx.conf} that includes {@code file}
 * @param adminSocket the balancer's admin socket, or {@code null} for the default beside the file
 * @param backendOptions per backend, lines inside its {@code upstream} after the balancer
 * @param health per backend, the active health check of its members (none: no checks)
 */
record NginxDynamicOutput(
    String name,
    Path file,
    List<String> backends,
    Reload reload,
    Path mainConfig,
    Path adminSocket,
    Map<String, String> backendOptions,
    Map<String, HealthCheck> health)
    implements Output {

  @Override
  public String kind() {
    return "nginx";
  }

  @Override
  public Map<String, Path> reads() {
    return Output.paths(
        "main_config", mainConfig,
        "admin_socket", socket(),
        "reload.master_socket", masterSocket(),
        "file (its members file beside it)", file.resolveSibling("muster-members.txt"),
        "file (its Lua module beside it)", file.resolveSibling(NginxDynamic.LUA_MODULE + ".lua"));
  }

  @Override
  public String details() {
    return ", dynamic mode (no reloads), balancer admin socket "
        + socket()
        + (health.isEmpty() ? "" : ", health checks for " + health.keySet());
  }

  private Path socket() {
    return adminSocket != null ? adminSocket : file.resolveSibling("muster-admin.sock");
  }

  @Override
  public Sink sink(Context context) {
    if (context.dryRun() != null) {
      return memberships -> {
        context
            .dryRun()
            .accept(
                "# "
                    + name
                    + ": nginx dynamic mode, through "
                    + socket()
                    + ": the members the balancer would hold\n"
                    + NginxDynamic.membersText(memberships));
        return new ApplyResult(ApplyResult.Outcome.DRY_RUN, "dynamic mode");
      };
    }
    NginxDynamic.Builder sink =
        Nginx.dynamic(file, mainConfig)
            .adminSocket(socket())
            .reloader(Context.reloader(this, Nginx.reloader(mainConfig)))
            .clock(context.clock());
    backendOptions.forEach(sink::upstreamOptions);
    health.forEach(sink::health);
    if (context.zone() != null) {
      sink.zone(context.zone());
      context.floors().forEach(sink::zoneAware);
    }
    return sink.build();
  }
}
