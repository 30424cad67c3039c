package dev.muster.discovery;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.function.IntSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a drain waits for once its sink applied it: the sessions through the drained members that
 * outlive the apply (a proxy's old workers finishing their connections, calls in progress). A sink
 * gives one from {@link Sink#drain} before the drain is applied; the caller awaits it after.
 *
 * <p>Implementations poll on an injected clock and {@link Sleeper}, and return at the deadline
 * whatever is left (logged); they never throw for a proxy that cannot be asked (logged, and the
 * wait ends: the drain timeout still bounds the lifecycle action).
 */
@FunctionalInterface
public interface Drain {
  /** Nothing to wait for: the apply itself was the drain (or the sink keeps no sessions). */
  Drain NONE = deadline -> {};

  /**
   * Returns once nothing is left to wait for, or at {@code deadline}.
   *
   * @throws InterruptedException if interrupted while waiting
   */
  void await(Instant deadline) throws InterruptedException;

  /** Pauses between polls; tests pass one that moves a hand-driven clock. */
  @FunctionalInterface
  interface Sleeper {
    /** The real one. */
    Sleeper SYSTEM = duration -> Thread.sleep(duration.toMillis());

    void sleep(Duration duration) throws InterruptedException;
  }

  /**
   * Polls {@code left} every {@code period} until it is 0 or the deadline passes; {@code what}
   * names it in logs ("old HAProxy workers"). A poll that throws ends the wait (logged).
   */
  static Drain until(String what, IntSupplier left, Duration period, Clock clock, Sleeper sleeper) {
    Objects.requireNonNull(what, "what");
    Objects.requireNonNull(left, "left");
    Objects.requireNonNull(period, "period");
    Objects.requireNonNull(clock, "clock");
    Objects.requireNonNull(sleeper, "sleeper");
    Logger log = LoggerFactory.getLogger("dev.muster.apply");
    return deadline -> {
      int remaining = -1;
      while (clock.instant().isBefore(deadline)) {
        try {
          remaining = left.getAsInt();
        } catch (RuntimeException e) {
          log.warn("cannot count {}: {}", what, e.getMessage());
          return;
        }
        if (remaining == 0) {
          log.info("no {} left", what);
          return;
        }
        sleeper.sleep(period);
      }
      log.warn("{} {} still running at the drain timeout", remaining, what);
    };
  }
}
