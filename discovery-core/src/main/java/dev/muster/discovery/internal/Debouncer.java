package dev.muster.discovery.internal;

import dev.muster.discovery.Snapshot;
import java.time.Duration;
import java.time.Instant;

/**
 * consul-template's {@code wait {min, max}}: a change is published once the membership has been
 * quiet for {@code min}, and never later than {@code max} after the first unpublished change. A
 * candidate equal to the pending one is not a change and does not restart the quiet period. With
 * {@code min} zero every change is due at once.
 *
 * <p>Pure logic over instants given by the caller; not thread-safe.
 */
public final class Debouncer {
  private final Duration min;
  private final Duration max;
  private Snapshot pending;
  private Instant firstChange;
  private Instant deadline;

  /** {@code max} must not be shorter than {@code min}; the caller validated both. */
  public Debouncer(Duration min, Duration max) {
    this.min = min;
    this.max = max;
  }

  /**
   * Offers a candidate that differs from what is published.
   *
   * @return when the pending candidate becomes due
   */
  public Instant offer(Snapshot candidate, Instant now) {
    if (pending == null) {
      firstChange = now;
      deadline = earliest(now.plus(min), firstChange.plus(max));
    } else if (!pending.sameMembersAs(candidate)) {
      deadline = earliest(now.plus(min), firstChange.plus(max));
    }
    pending = candidate;
    return deadline;
  }

  /** Drops the pending candidate, for example because the membership went back. */
  public void cancel() {
    pending = null;
    firstChange = null;
    deadline = null;
  }

  /** The pending candidate, or {@code null}. */
  public Snapshot pending() {
    return pending;
  }

  /** When the pending candidate is due, or {@code null} if there is none. */
  public Instant deadline() {
    return deadline;
  }

  /** The pending candidate if it is due at {@code now} (and forgets it), else {@code null}. */
  public Snapshot takeIfDue(Instant now) {
    if (pending == null || now.isBefore(deadline)) {
      return null;
    }
    Snapshot due = pending;
    cancel();
    return due;
  }

  private static Instant earliest(Instant a, Instant b) {
    return a.isBefore(b) ? a : b;
  }
}
