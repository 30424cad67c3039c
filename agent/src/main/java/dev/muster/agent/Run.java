package dev.muster.agent;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Instant;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code muster run}: the loops until SIGTERM or SIGINT (exit 0, also under systemd). SIGHUP
 * re-reads the file: a valid one replaces the running assembly (outputs whose text does not change
 * are neither written nor reloaded, since targets compare bytes); an invalid one is logged with
 * FILE:LINE and the running one stays.
 */
final class Run {
  private static final Logger log = LoggerFactory.getLogger("dev.muster.agent");

  /** Reads the configuration: at start and at each SIGHUP. */
  interface Source {
    AgentConfig read() throws ConfigException;
  }

  /**
   * The configuration file's state, for {@code /status}, {@code /healthz} and {@code /metrics}.
   *
   * @param file where it is read from
   * @param loadedAt when the running configuration was read
   * @param failedAt when the last SIGHUP failed to load it, or {@code null} if it did not
   * @param failure why, naming the file and line or the setting, or {@code null}
   */
  record ConfigStatus(Object file, Instant loadedAt, Instant failedAt, String failure) {}

  private volatile ConfigStatus configStatus;

  private final Source source;
  private final Object file;
  private final PrintWriter err;
  private final Object lock = new Object();
  private Assembly running;

  /** What the shutdown hook exits with: 0 after a signal. */
  private volatile int exitCode = Main.OK;

  Run(Path file, PrintWriter err) {
    this(() -> ConfigReader.read(file), file, err);
  }

  /** The loop over the configuration {@code source} reads; {@code where} names it in logs. */
  Run(Source source, Object where, PrintWriter err) {
    this.source = source;
    this.file = where;
    this.err = err;
  }

  int run() {
    AgentConfig config = Main.read(source, err);
    if (config == null) {
      return Main.USAGE;
    }
    String region = Regions.resolve(config, err);
    if (region == null) {
      return Main.FETCH_FAILED;
    }
    Assembly first = Main.assemble(config, () -> Assembly.forLoop(config, region), err);
    if (first == null) {
      return Main.USAGE;
    }
    synchronized (lock) {
      running = first;
    }
    configStatus = new ConfigStatus(file, Instant.now(), null, null);
    StatusServer status = null;
    if (config.status() != null) {
      // The listener stays on the address it started with; SIGHUP swaps what it reports.
      try {
        status =
            StatusServer.start(
                config.status().host(),
                config.status().port(),
                this::current,
                () -> configStatus,
                java.time.Clock.systemUTC());
      } catch (java.io.UncheckedIOException e) {
        err.println("muster: " + e.getMessage());
        err.flush();
        first.close();
        return Main.USAGE;
      }
    }
    CountDownLatch stopped = new CountDownLatch(1);
    CountDownLatch cleanedUp = new CountDownLatch(1);
    // A signal is a normal stop: close everything, then exit 0 rather than 143/130.
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  stopped.countDown();
                  try {
                    cleanedUp.await(10, TimeUnit.SECONDS);
                  } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                  }
                  Runtime.getRuntime().halt(exitCode);
                },
                "muster-shutdown"));
    if (!Signals.on("HUP", () -> reload(region))) {
      log.warn(
          "SIGHUP was ignored when muster started (nohup?), so the JVM ignores it: a SIGHUP will"
              + " not re-read {}; restart muster to change its configuration",
          file);
    }
    try {
      start(first);
      log.info(
          "running {} backend(s) into {} output(s) from {}",
          config.backends().size(),
          config.outputs().size(),
          file);
      stopped.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (RuntimeException e) {
      // A bug, not a signal: the exit that follows must not be reported as a normal stop.
      exitCode = Main.USAGE;
      throw e;
    } finally {
      if (status != null) {
        status.close();
      }
      synchronized (lock) {
        if (running != null) {
          running.close();
        }
      }
      cleanedUp.countDown();
    }
    return Main.OK;
  }

  private Assembly current() {
    synchronized (lock) {
      return running;
    }
  }

  private void start(Assembly assembly) {
    synchronized (lock) {
      running = assembly;
      assembly.loops.values().forEach(loop -> loop.start());
      if (assembly.events != null) {
        assembly.events.start();
      }
    }
  }

  /** SIGHUP: a valid file replaces the running assembly; an invalid one is only logged. */
  private void reload(String region) {
    AgentConfig next;
    try {
      next = source.read();
    } catch (ConfigException e) {
      e.problems().forEach(p -> log.error("SIGHUP: {}; the running configuration stays", p));
      failed(String.join("; ", e.problems()));
      return;
    }
    synchronized (lock) {
      Assembly previous = running;
      try {
        Assembly assembly = Assembly.forLoop(next, region, previous);
        previous.close();
        start(assembly);
        configStatus = new ConfigStatus(file, Instant.now(), null, null);
        log.info(
            "SIGHUP: {} re-read: {} backend(s), {} output(s)",
            file,
            next.backends().size(),
            next.outputs().size());
      } catch (RuntimeException e) {
        log.error("SIGHUP: {}: {}; the running configuration stays", file, e.getMessage());
        failed(file + ": " + e.getMessage());
      }
    }
  }

  /** A SIGHUP that could not load the file: the running configuration stays, and says so. */
  private void failed(String why) {
    ConfigStatus now = configStatus;
    configStatus = new ConfigStatus(file, now.loadedAt(), Instant.now(), why);
  }
}
