package dev.muster.discovery;

import java.time.Duration;
import java.util.List;

/**
 * Runs an external command with a timeout and captures its output. {@link #SYSTEM} starts real
 * processes; tests may substitute their own. Implementations are thread-safe.
 */
@FunctionalInterface
public interface ProcessRunner {

  /** Starts real processes; output is captured up to 64 KiB per stream. */
  ProcessRunner SYSTEM = new SystemProcessRunner();

  /**
   * Runs {@code command} (no shell) and waits for it, at most {@code timeout}; a process that
   * overruns is killed and reported with {@code timedOut}.
   *
   * @throws java.io.UncheckedIOException if the command cannot be started
   */
  Result run(List<String> command, Duration timeout);

  /**
   * How a command ended.
   *
   * @param exitCode the exit code, or -1 if it timed out
   * @param stdout what it printed on standard output (UTF-8, possibly cut)
   * @param stderr what it printed on standard error (UTF-8, possibly cut)
   * @param timedOut whether it was killed for overrunning its timeout
   */
  record Result(int exitCode, String stdout, String stderr, boolean timedOut) {
    /** Whether it exited 0 in time. */
    public boolean succeeded() {
      return exitCode == 0 && !timedOut;
    }
  }
}
