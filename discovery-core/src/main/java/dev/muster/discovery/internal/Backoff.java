package dev.muster.discovery.internal;

import java.time.Duration;

/**
 * Jittered exponential backoff, the one formula every retry in Muster uses (the loop's fetches, the
 * pipeline's applies, the event intake's receives, heartbeats and completions): {@code min} at the
 * first attempt, doubling up to {@code max}, each delay spread by {@code ±jitter}. Pure: the random
 * draw is given.
 */
public final class Backoff {
  private Backoff() {}

  /**
   * The delay before try number {@code attempt} (1 for the first retry).
   *
   * @param jitter the spread, from 0 to 1 (0.2: ±20%)
   * @param random a draw from [0, 1)
   */
  public static Duration delay(
      Duration min, Duration max, int attempt, double jitter, double random) {
    long base = min.toMillis() << Math.min(Math.max(attempt, 1) - 1, 20);
    long capped = Math.min(max.toMillis(), base);
    return Duration.ofMillis(Math.round(capped * (1 + jitter * (2 * random - 1))));
  }
}
