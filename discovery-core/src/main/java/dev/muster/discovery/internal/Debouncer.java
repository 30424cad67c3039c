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
 * <p>Immutable: every step returns the next state. Instants are given by the caller.
 *
 * @param min the quiet period
 * @param max the longest a change waits; not shorter than {@code min} (the caller validated both)
 * @param pending the candidate waiting, or {@code null}
 * @param firstChange when the first unpublished change was seen, or {@code null}
 * @param deadline when the pending candidate is due, or {@code null} if there is none
 */
public record Debouncer(
    Duration min, Duration max, Snapshot pending, Instant firstChange, Instant deadline) {

  /** Nothing pending. */
  public static Debouncer of(Duration min, Duration max) {
    return new Debouncer(min, max, null, null, null);
  }

  /** With {@code candidate}, which differs from what is published, offered at {@code now}. */
  public Debouncer offer(Snapshot candidate, Instant now) {
    if (pending == null) {
      return new Debouncer(min, max, candidate, now, earliest(now.plus(min), now.plus(max)));
    }
    Instant due =
        pending.sameMembersAs(candidate)
            ? deadline
            : earliest(now.plus(min), firstChange.plus(max));
    return new Debouncer(min, max, candidate, firstChange, due);
  }

  /** Without the pending candidate (the membership went back, or it was published). */
  public Debouncer cancel() {
    return pending == null ? this : of(min, max);
  }

  /** Whether the pending candidate is due at {@code now}. */
  public boolean isDue(Instant now) {
    return pending != null && !now.isBefore(deadline);
  }

  private static Instant earliest(Instant a, Instant b) {
    return a.isBefore(b) ? a : b;
  }
}
