package dev.muster.discovery;

import java.time.Duration;
import java.time.Instant;

/**
 * A point-in-time view of a {@link Discovery} loop, for health endpoints and metrics.
 *
 * @param name the discovery's name
 * @param lastAttempt when the last fetch started, or {@code null} before the first
 * @param lastSuccess when the last successful fetch finished, or {@code null}
 * @param consecutiveFailures fetches failed in a row; 0 after a success
 * @param lastError the last fetch error's message, or {@code null} after a success
 * @param lastFetchDuration how long the last fetch took, success or not
 * @param memberCount members in the published snapshot
 * @param published the published snapshot, or {@code null} before the first publication
 * @param held why a candidate is held back by the guard, or {@code null}
 * @param pendingUntil when a debounced change is due, or {@code null} if none is pending
 * @param fetches fetches attempted since the loop was built
 * @param fetchFailures fetches that failed since the loop was built
 */
public record DiscoveryStatus(
    String name,
    Instant lastAttempt,
    Instant lastSuccess,
    int consecutiveFailures,
    String lastError,
    Duration lastFetchDuration,
    int memberCount,
    Snapshot published,
    String held,
    Instant pendingUntil,
    long fetches,
    long fetchFailures) {

  /** Whether the published membership was restored from a file and not yet confirmed. */
  public boolean stale() {
    return published != null && published.isStale();
  }
}
