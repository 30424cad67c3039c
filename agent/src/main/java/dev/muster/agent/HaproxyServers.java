package dev.muster.agent;

import dev.muster.haproxy.Haproxy;
import dev.muster.haproxy.HaproxyConfig;
import java.nio.file.Path;
import java.util.Map;

/**
 * How an HAProxy output writes its servers, in file mode and runtime mode alike.
 *
 * @param header the global, defaults and frontends copied verbatim, or {@code null} with a template
 * @param template a whole-file template, or {@code null} for the built-in one
 * @param serverOptions the options after every server line, or {@code null} for the default
 * @param backendOptions per backend, lines at the top of its section
 * @param backendServerOptions per backend, the server options replacing {@code serverOptions}
 */
record HaproxyServers(
    Path header,
    Path template,
    String serverOptions,
    Map<String, String> backendOptions,
    Map<String, String> backendServerOptions) {

  /** The renderer's settings, zone-aware as {@code context} says. */
  HaproxyConfig.Builder renderer(Output.Context context) {
    return context.zoned(settings());
  }

  /** The renderer's settings, without the proxy's zone. */
  HaproxyConfig.Builder settings() {
    HaproxyConfig.Builder settings = Haproxy.renderer();
    if (template != null) {
      settings.template(template);
    } else {
      settings.header(header);
    }
    if (serverOptions != null) {
      settings.serverOptions(serverOptions);
    }
    backendOptions.forEach(settings::backendOptions);
    backendServerOptions.forEach(settings::serverOptions);
    return settings;
  }
}
