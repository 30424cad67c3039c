package dev.muster.agent;

import dev.muster.nginx.HealthCheck;
import java.nio.file.Path;
import java.util.Map;
import org.snakeyaml.engine.v2.nodes.Node;

/** Reads an output of {@code type: nginx} ({@link NginxOutput}). */
final class NginxOutputReader {
  private NginxOutputReader() {}

  /** Where distributions put lua-nginx-module (Debian: libnginx-mod-http-lua). */
  static final java.util.List<Path> LUA_MODULES =
      java.util.List.of(
          Path.of("/usr/lib/nginx/modules/ngx_http_lua_module.so"),
          Path.of("/usr/lib64/nginx/modules/ngx_http_lua_module.so"),
          Path.of("/usr/share/nginx/modules/ngx_http_lua_module.so"));

  /**
   * {@code health: {BACKEND: {path, interval, timeout, rise, fall}}}, per backend of the output.
   */
  private static Map<String, HealthCheck> health(
      Nodes n, Node node, String path, java.util.List<String> backends) {
    Map<String, HealthCheck> out = new java.util.LinkedHashMap<>();
    if (node == null) {
      return out;
    }
    org.snakeyaml.engine.v2.nodes.MappingNode map = n.mapping(node, path);
    if (map == null) {
      return out;
    }
    for (org.snakeyaml.engine.v2.nodes.NodeTuple t : n.entries(map, path)) {
      String backend = Nodes.key(t);
      String at = path + "." + backend;
      if (!backends.contains(backend)) {
        n.problem(t.getKeyNode(), at, "is not a backend of this output " + backends);
        continue;
      }
      Map<String, Node> keys =
          n.keys(
              n.mapping(t.getValueNode(), at), at, "path", "interval", "timeout", "rise", "fall");
      String checkPath = n.string(keys.get("path"), at + ".path");
      java.time.Duration interval =
          n.duration(keys.get("interval"), at + ".interval", java.time.Duration.ofSeconds(2));
      // The timeout: 1 s unless the interval is shorter.
      java.time.Duration timeout =
          n.duration(
              keys.get("timeout"),
              at + ".timeout",
              interval.compareTo(java.time.Duration.ofSeconds(1)) < 0
                  ? interval
                  : java.time.Duration.ofSeconds(1));
      int rise = n.integer(keys.get("rise"), at + ".rise", 2, 1, 100);
      int fall = n.integer(keys.get("fall"), at + ".fall", 3, 1, 100);
      try {
        out.put(
            backend,
            new HealthCheck(checkPath == null ? "/" : checkPath, interval, timeout, rise, fall));
      } catch (IllegalArgumentException e) {
        n.problem(t.getValueNode(), at, e.getMessage());
      }
    }
    return out;
  }

  static Output read(Nodes n, OutputReader.Common c) {
    Map<String, Node> keys = c.keys();
    c.refuseAllBut(n, "main_config", "backend_options", "mode", "admin_socket", "health");
    Path mainConfig = n.existing(keys.get("main_config"), c.path() + ".main_config");
    if (mainConfig == null) {
      n.problem(
          c.at(), c.path() + ".main_config", "is required for nginx (for nginx -t and the reload)");
    }
    String mode = n.string(keys.get("mode"), c.path() + ".mode");
    if (mode != null && !mode.equals("file") && !mode.equals("dynamic")) {
      n.problem(keys.get("mode"), c.path() + ".mode", "must be file or dynamic: " + mode);
    }
    Map<String, String> options =
        OutputReader.textMap(
            n, keys.get("backend_options"), c.path() + ".backend_options", c.backends());
    if ("dynamic".equals(mode)) {
      if (LUA_MODULES.stream().noneMatch(java.nio.file.Files::exists)) {
        n.problem(
            keys.get("mode"),
            c.path() + ".mode",
            "dynamic needs nginx's Lua module, which is not installed (none of "
                + LUA_MODULES
                + "): apt-get install libnginx-mod-http-lua, or use mode: file");
      }
      if (keys.get("template") != null) {
        n.problem(
            keys.get("template"),
            c.path() + ".template",
            "dynamic mode writes Muster's own include (the Lua balancer's upstreams)");
      }
      return new NginxDynamicOutput(
          c.name(),
          c.file(),
          c.backends(),
          c.reload(),
          mainConfig,
          n.path(keys.get("admin_socket"), c.path() + ".admin_socket"),
          options,
          health(n, keys.get("health"), c.path() + ".health", c.backends()));
    }
    for (String key : java.util.List.of("admin_socket", "health")) {
      if (keys.get(key) != null) {
        n.problem(keys.get(key), c.path() + "." + key, "only nginx in dynamic mode has it");
      }
    }
    return new NginxOutput(
        c.name(), c.file(), c.backends(), c.reload(), mainConfig, c.template(), options);
  }
}
