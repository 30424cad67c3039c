package dev.muster.nginx;

import dev.muster.discovery.Command;
import dev.muster.discovery.Escaper;
import dev.muster.discovery.Reloader;
import java.nio.file.Path;

/**
 * Everything this module offers for nginx, by role; the HAProxy and Kamailio modules have the same
 * shape ({@code Haproxy}, {@code Kamailio}).
 *
 * <pre>{@code
 * Path main = Path.of("/etc/nginx/nginx.conf");
 * Path include = Path.of("/etc/nginx/muster/upstreams.conf");
 * ConfigPipeline pipeline = ConfigPipeline.newBuilder()
 *     .renderer(Nginx.renderer().build())
 *     .target(FileTarget.newBuilder(include)
 *         .validator(Nginx.validator(main, include)).reloader(Nginx.reloader(main)).build())
 *     .build();
 * }</pre>
 */
public final class Nginx {
  private Nginx() {}

  /** The renderer of an include file of {@code upstream} blocks. */
  public static NginxConfig.Builder renderer() {
    return NginxConfig.newBuilder();
  }

  /**
   * {@code nginx -t} on your main configuration with the candidate in place of {@code include};
   * {@link NginxValidator#withArgs} adds arguments such as {@code -p}.
   */
  public static NginxValidator validator(Path mainConfig, Path include) {
    return new NginxValidator(mainConfig, include);
  }

  /**
   * Reloads nginx gracefully: {@code nginx -s reload -c MAIN}; nginx parses the whole configuration
   * first and refuses a bad one. Old workers finish their requests.
   */
  public static Reloader reloader(Path mainConfig) {
    return Command.reloader("nginx", "-s", "reload", "-c", mainConfig.toString());
  }

  /** nginx's quoting, for templates of your own. */
  public static Escaper escaper() {
    return NginxSyntax.INSTANCE;
  }
}
