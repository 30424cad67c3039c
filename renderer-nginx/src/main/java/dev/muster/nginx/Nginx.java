package dev.muster.nginx;

import dev.muster.discovery.Command;
import dev.muster.discovery.Escaper;
import dev.muster.discovery.Reloader;
import java.nio.file.Path;
import java.util.Set;

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

  /**
   * The pids of nginx's worker processes now (the children of the master in the pid file that
   * {@code mainConfig} names with {@code pid}, else {@code /run/nginx.pid}; read from {@code
   * /proc}). Workers from before a graceful reload finish their connections and then exit, so a
   * member removed from an upstream has drained once none of the workers listed before the reload
   * is left.
   *
   * @throws dev.muster.discovery.ApplyException if the pid file cannot be read
   */
  public static Set<Long> workers(Path mainConfig) {
    return Workers.workers(mainConfig, Path.of("/proc"));
  }

  /** nginx's quoting, for templates of your own. */
  public static Escaper escaper() {
    return NginxSyntax.INSTANCE;
  }
}
