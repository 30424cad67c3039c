package dev.muster.haproxy;

import dev.muster.discovery.ApplyException;
import dev.muster.discovery.Reloader;
import dev.muster.discovery.internal.UnixSocketCli;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reloads HAProxy in master-worker mode ({@code haproxy -W -S MASTER_SOCKET}) through its master
 * CLI, and finds out whether the reload worked, which the {@code reload} command itself never says:
 * it reads the master's reload and failure counters from {@code show proc} before, sends {@code
 * reload}, and waits until the reload counter moves. If the failure counter moved too, HAProxy
 * rejected the file (the old worker keeps serving) and this throws.
 *
 * <p>Validate the file first (a {@code haproxy -c} validator on the {@code FileTarget}); this is
 * the safety net. For zero failed requests with keep-alive clients, the configuration should set
 * {@code option idle-close-on-response} (HAProxy 2.6+) in its defaults.
 */
public final class MasterCliReloader implements Reloader {
  private static final Pattern MASTER =
      Pattern.compile("(?m)^\\d+\\s+master\\s+(\\d+)\\s+\\[failed:\\s*(\\d+)\\]");

  private final UnixSocketCli cli;
  private final Duration timeout;

  /**
   * @param masterSocket the path given to {@code -S}
   * @param timeout how long a reload may take before it counts as failed
   */
  MasterCliReloader(Path masterSocket, Duration timeout) {
    // Each command is bounded too: a socket that accepts and never answers is a failed reload.
    this.cli =
        new UnixSocketCli(
            masterSocket,
            timeout.compareTo(Duration.ofSeconds(5)) < 0 ? timeout : Duration.ofSeconds(5));
    this.timeout = timeout;
  }

  /** With a 10 s timeout. */
  MasterCliReloader(Path masterSocket) {
    this(masterSocket, Duration.ofSeconds(10));
  }

  @Override
  public void reload() {
    try {
      long[] before = counters(cli.send("show proc"));
      try {
        cli.send("reload");
      } catch (IOException e) {
        // The master re-executes itself on reload and may drop this connection before it
        // answers ("Connection reset"): whether the reload happened is what the counters say.
      }
      long deadline = System.nanoTime() + timeout.toNanos();
      IOException last = null;
      while (System.nanoTime() < deadline) {
        long[] now;
        try {
          now = counters(cli.send("show proc"));
        } catch (IOException e) {
          // While the master re-executes, its socket refuses or resets connections: ask again.
          last = e;
          Thread.sleep(20);
          continue;
        }
        if (now[0] > before[0]) {
          if (now[1] > before[1]) {
            throw new ApplyException(
                "reload failed: HAProxy rejected the new configuration "
                    + "(show proc: failed "
                    + now[1]
                    + "); the previous worker keeps serving");
          }
          return;
        }
        Thread.sleep(20);
      }
      throw new ApplyException(
          "reload failed: HAProxy did not finish reloading within "
              + timeout.toMillis()
              + " ms"
              + (last == null
                  ? ""
                  : " (master CLI " + cli.socket() + ": " + last.getMessage() + ")"));
    } catch (IOException e) {
      throw new ApplyException(
          "reload failed: master CLI " + cli.socket() + ": " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ApplyException("reload interrupted", e);
    }
  }

  /**
   * How many old workers still run: workers of earlier configurations that finish the connections
   * they had when HAProxy reloaded ({@code show proc}, section {@code # old workers}). A drain in
   * config-file mode is complete once this reaches 0.
   *
   * @throws ApplyException if the master CLI does not answer
   */
  public int oldWorkers() {
    try {
      return oldWorkers(cli.send("show proc"));
    } catch (IOException e) {
      throw new ApplyException("master CLI " + cli.socket() + ": " + e.getMessage(), e);
    }
  }

  /** The process lines under {@code # old workers} in a {@code show proc} answer. */
  static int oldWorkers(String showProc) {
    int count = 0;
    boolean inOld = false;
    for (String line : showProc.split("\n")) {
      if (line.startsWith("#")) {
        inOld = line.strip().equals("# old workers");
      } else if (inOld && line.matches("\\s*\\d+\\s+worker\\b.*")) {
        count++;
      }
    }
    return count;
  }

  /** {reloads, failed} from {@code show proc}. */
  static long[] counters(String showProc) throws IOException {
    Matcher m = MASTER.matcher(showProc);
    if (!m.find()) {
      throw new IOException("unexpected answer to show proc: " + showProc.strip());
    }
    return new long[] {Long.parseLong(m.group(1)), Long.parseLong(m.group(2))};
  }

  @Override
  public String toString() {
    return "HAProxy master CLI " + cli.socket();
  }
}
