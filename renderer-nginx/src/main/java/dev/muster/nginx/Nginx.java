package dev.muster.nginx;

import dev.muster.discovery.ApplyException;
import dev.muster.discovery.Command;
import dev.muster.discovery.Drain;
import dev.muster.discovery.Escaper;
import dev.muster.discovery.Member;
import dev.muster.discovery.Reloader;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import java.util.function.Function;
import org.slf4j.LoggerFactory;

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

  /**
   * nginx without reloads: Muster's Lua balancer, fed over a unix socket ({@link NginxDynamic});
   * {@code include} goes inside {@code http {}} of {@code mainConfig}.
   */
  public static NginxDynamic.Builder dynamic(Path include, Path mainConfig) {
    return NginxDynamic.newBuilder(include, mainConfig);
  }

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

  /**
   * How a drain through the nginx of {@code mainConfig} is waited for: its workers are listed
   * before the drain, and the reload that drops the members leaves them finishing their
   * connections; the drain is over when none of them is left (polled every 200 ms). nginx not
   * answering before the drain means nothing to wait for (logged).
   */
  public static Function<Set<Member>, Drain> drainOldWorkers(
      Path mainConfig, Clock clock, Drain.Sleeper sleeper) {
    return members -> {
      Set<Long> before;
      try {
        before = workers(mainConfig);
      } catch (ApplyException e) {
        LoggerFactory.getLogger("dev.muster.nginx")
            .warn("cannot list nginx's workers: {}", e.getMessage());
        return Drain.NONE;
      }
      return Drain.until(
          "old nginx workers",
          () -> {
            Set<Long> left = new HashSet<>(before);
            left.retainAll(workers(mainConfig));
            return left.size();
          },
          Duration.ofMillis(200),
          clock,
          sleeper);
    };
  }

  /** nginx's quoting, for templates of your own. */
  public static Escaper escaper() {
    return NginxSyntax.INSTANCE;
  }
}
