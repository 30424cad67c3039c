package dev.muster.agent;

import dev.muster.haproxy.HaproxyRuntime;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.snakeyaml.engine.v2.nodes.Node;
import org.snakeyaml.engine.v2.nodes.ScalarNode;

/** Reads an output of {@code type: haproxy}: file mode ({@link HaproxyOutput}) or runtime mode. */
final class HaproxyOutputReader {
  private static final Logger log = LoggerFactory.getLogger("dev.muster.agent");

  private HaproxyOutputReader() {}

  /**
   * Names each setting HAProxy 2.6 does not allow for servers added at runtime (an algorithm that
   * cannot hold them, {@code default-server}, a server option {@code add server} refuses).
   */
  private static void refuse(
      Nodes n,
      Map<String, Node> keys,
      String path,
      HaproxyServers servers,
      java.util.List<String> backends) {
    for (HaproxyRuntime.Refusal r : HaproxyRuntime.refusals(servers.settings(), backends)) {
      String key =
          switch (r.setting()) {
            case "serverOptions" ->
                r.backend() == null ? "server_options" : "backend_server_options." + r.backend();
            case "backendOptions" ->
                servers.backendOptions().containsKey(r.backend())
                    ? "backend_options." + r.backend()
                    : "header";
            default -> "header";
          };
      String top = key.contains(".") ? key.substring(0, key.indexOf('.')) : key;
      Node at = keys.get(top) != null ? keys.get(top) : keys.get("mode");
      String reason =
          key.equals("header") && r.backend() != null
              ? "for backend " + r.backend() + ": " + r.reason()
              : r.reason();
      n.problem(at, path + "." + key, reason);
    }
  }

  static Output read(Nodes n, OutputReader.Common c) {
    Map<String, Node> keys = c.keys();
    String path = c.path();
    c.refuseAllBut(
        n,
        "mode",
        "header",
        "server_options",
        "backend_server_options",
        "backend_options",
        "stats_socket",
        "slots",
        "drain_timeout",
        "warmup_timeout");
    String mode = n.string(keys.get("mode"), path + ".mode");
    boolean runtime = "runtime".equals(mode);
    if (mode != null && !runtime && !mode.equals("file")) {
      n.problem(keys.get("mode"), path + ".mode", "must be file or runtime: " + mode);
    }
    Path header = n.existing(keys.get("header"), path + ".header");
    if (header != null && c.template() != null) {
      n.problem(
          keys.get("template"),
          path + ".template",
          "header and template do not go together: a template writes the whole file");
    }
    if (header == null && c.template() == null) {
      n.problem(c.at(), path + ".header", "is required for haproxy (or template)");
    }
    // "" is allowed here: servers without options (no health check).
    String serverOptions =
        keys.get("server_options") instanceof ScalarNode s && s.getValue().isEmpty()
            ? ""
            : n.string(keys.get("server_options"), path + ".server_options");
    HaproxyServers servers =
        new HaproxyServers(
            header,
            c.template(),
            serverOptions,
            OutputReader.textMap(
                n, keys.get("backend_options"), path + ".backend_options", c.backends()),
            OutputReader.textMap(
                n,
                keys.get("backend_server_options"),
                path + ".backend_server_options",
                c.backends()));
    if (!runtime) {
      for (String key : new String[] {"stats_socket", "slots", "drain_timeout", "warmup_timeout"}) {
        if (keys.get(key) != null) {
          n.problem(keys.get(key), path + "." + key, "only haproxy in runtime mode has it");
        }
      }
      return new HaproxyOutput(c.name(), c.file(), c.backends(), c.reload(), servers);
    }
    if (keys.get("slots") != null) {
      log.warn(
          "{}.slots is no longer used: runtime mode adds and deletes servers at runtime, with no"
              + " slots; remove it",
          path);
    }
    if (c.template() != null) {
      n.problem(
          keys.get("template"),
          path + ".template",
          "runtime mode writes the default server lines: a whole-file template needs mode: file");
    } else if (header != null && n.problems().isEmpty()) {
      refuse(n, keys, path, servers, c.backends());
    }
    Path statsSocket = n.path(keys.get("stats_socket"), path + ".stats_socket");
    if (statsSocket == null) {
      n.problem(c.at(), path + ".stats_socket", "is required in runtime mode");
    }
    return new HaproxyRuntimeOutput(
        c.name(),
        c.file(),
        c.backends(),
        c.reload(),
        servers,
        statsSocket,
        n.duration(keys.get("drain_timeout"), path + ".drain_timeout", Duration.ofSeconds(30)),
        n.duration(keys.get("warmup_timeout"), path + ".warmup_timeout", Duration.ofSeconds(30)));
  }
}
