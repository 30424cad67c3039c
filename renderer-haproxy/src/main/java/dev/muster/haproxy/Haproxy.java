package dev.muster.haproxy;

import dev.muster.discovery.Command;
import dev.muster.discovery.Drain;
import dev.muster.discovery.Escaper;
import dev.muster.discovery.Member;
import dev.muster.discovery.Reloader;
import dev.muster.discovery.Validator;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Set;
import java.util.function.Function;

/**
 * Everything this module offers for HAProxy, by role; the Nginx and Kamailio modules have the same
 * shape ({@code Nginx}, {@code Kamailio}).
 *
 * <pre>{@code
 * ConfigPipeline fileMode = ConfigPipeline.newBuilder()
 *     .renderer(Haproxy.renderer().header(Path.of("/etc/muster/header.cfg")).build())
 *     .target(FileTarget.newBuilder(Path.of("/etc/haproxy/haproxy.cfg"))
 *         .validator(Haproxy.validator())
 *         .reloader(Haproxy.reloader(Path.of("/run/haproxy-master.sock"))).build())
 *     .build();
 * ConfigPipeline runtimeMode = ConfigPipeline.newBuilder()
 *     .sink(Haproxy.runtime().statsSocket(admin).configFile(cfg).reloader(reloader).build())
 *     .build();
 * }</pre>
 */
public final class Haproxy {
  private Haproxy() {}

  /** Config-file mode's renderer: a header of yours plus one backend per discovery backend. */
  public static HaproxyConfig.Builder renderer() {
    return HaproxyConfig.newBuilder();
  }

  /** {@code haproxy -c -f FILE} on each candidate, 30 s at most. */
  public static Validator validator() {
    return Command.validator("haproxy", "-c", "-f", Command.FILE);
  }

  /** Reloads through the master CLI ({@code haproxy -W -S SOCKET}), 10 s at most. */
  public static Reloader reloader(Path masterSocket) {
    return new MasterCliReloader(masterSocket);
  }

  /**
   * How many old workers of {@code haproxy -W -S masterSocket} still finish their connections after
   * a reload: a member removed in config-file mode has drained once this is 0.
   *
   * @throws dev.muster.discovery.ApplyException if the master CLI does not answer
   */
  public static int oldWorkers(Path masterSocket) {
    return new MasterCliReloader(masterSocket).oldWorkers();
  }

  /**
   * How a drain through a config-file HAProxy run as {@code haproxy -W -S masterSocket} is waited
   * for: the reload that drops the members leaves old workers finishing their connections; the
   * drain is over when none is left (polled every 200 ms).
   */
  public static Function<Set<Member>, Drain> drainOldWorkers(
      Path masterSocket, Clock clock, Drain.Sleeper sleeper) {
    MasterCliReloader master = new MasterCliReloader(masterSocket);
    return members ->
        Drain.until(
            "old HAProxy workers", master::oldWorkers, Duration.ofMillis(200), clock, sleeper);
  }

  /** As {@link #reloader(Path)}, allowing a reload {@code timeout}. */
  public static Reloader reloader(Path masterSocket, Duration timeout) {
    return new MasterCliReloader(masterSocket, timeout);
  }

  /** Runtime-API mode (hitless, with draining): a {@code Sink} for a {@code ConfigPipeline}. */
  public static HaproxyRuntime.Builder runtime() {
    return HaproxyRuntime.newBuilder();
  }

  /** HAProxy's quoting, for templates of your own. */
  public static Escaper escaper() {
    return HaproxySyntax.INSTANCE;
  }
}
