package dev.muster.agent;

import dev.muster.agent.AgentConfig.Reload;
import dev.muster.discovery.ConfigPipeline;
import dev.muster.discovery.Sink;
import dev.muster.haproxy.Haproxy;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.IntSupplier;

/**
 * HAProxy in config-file mode: the whole file rendered, checked with {@code haproxy -c}, reloaded
 * through the master CLI or a command (or not at all). A drain through the master CLI waits for the
 * old workers the reload left.
 */
record HaproxyOutput(
    String name, Path file, List<String> backends, Reload reload, HaproxyServers servers)
    implements Output {

  @Override
  public String kind() {
    return "haproxy file mode";
  }

  @Override
  public Map<String, Path> reads() {
    return Output.paths(
        "header", servers.header(),
        "template", servers.template(),
        "reload.master_socket", masterSocket());
  }

  @Override
  public Sink sink(Context context) {
    Sink sink =
        Sink.of(
            servers.renderer(context).build(),
            context.target(this, Haproxy.validator(), Context.reloader(this, null)));
    return reload != null && reload.masterSocket() != null
        ? sink.withDrain(
            Haproxy.drainOldWorkers(reload.masterSocket(), context.clock(), context.sleeper()))
        : sink;
  }

  @Override
  public IntSupplier reloads(Sink sink, ConfigPipeline pipeline) {
    return reload == null ? () -> 0 : pipeline::appliedCount;
  }
}
