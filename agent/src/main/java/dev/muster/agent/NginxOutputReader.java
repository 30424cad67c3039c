package dev.muster.agent;

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

  static Output read(Nodes n, OutputReader.Common c) {
    Map<String, Node> keys = c.keys();
    c.refuseAllBut(n, "main_config", "backend_options", "mode", "admin_socket");
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
          options);
    }
    if (keys.get("admin_socket") != null) {
      n.problem(
          keys.get("admin_socket"),
          c.path() + ".admin_socket",
          "only nginx in dynamic mode has it");
    }
    return new NginxOutput(
        c.name(), c.file(), c.backends(), c.reload(), mainConfig, c.template(), options);
  }
}
