package dev.muster.nginx;

import java.time.Duration;
import java.util.Objects;

/**
 * An active HTTP health check of one backend's members in nginx's dynamic mode, run by Muster from
 * the proxy host: {@code GET path} on each member every {@code interval}, within {@code timeout}; a
 * 2xx or 3xx answer is a success. A member takes requests after {@code rise} successes in a row (a
 * new member too: its warm-up) and stops after {@code fall} failures in a row. If no member of the
 * backend is healthy, all take requests (fail open), never an empty upstream.
 *
 * @param path the path to ask, starting with {@code /}
 * @param interval time between checks of a member, 100 ms to 1 h
 * @param timeout connect and answer timeout, at most {@code interval}
 * @param rise successes in a row that make a member healthy, 1 to 100
 * @param fall failures in a row that make it unhealthy, 1 to 100
 */
public record HealthCheck(String path, Duration interval, Duration timeout, int rise, int fall) {
  /** Checks the values. */
  public HealthCheck {
    Objects.requireNonNull(path, "path");
    Objects.requireNonNull(interval, "interval");
    Objects.requireNonNull(timeout, "timeout");
    if (!path.matches("/[A-Za-z0-9._~!$&'()*+,;=:@%/?-]{0,1000}")) {
      throw new IllegalArgumentException("health path must start with / and be URL-safe: " + path);
    }
    if (interval.compareTo(Duration.ofMillis(100)) < 0
        || interval.compareTo(Duration.ofHours(1)) > 0) {
      throw new IllegalArgumentException(
          "health interval must be 100ms to 1h: " + interval.toMillis() + " ms");
    }
    if (timeout.isNegative() || timeout.isZero() || timeout.compareTo(interval) > 0) {
      throw new IllegalArgumentException(
          "health timeout must be positive and at most the interval ("
              + interval.toMillis()
              + " ms): "
              + timeout.toMillis()
              + " ms");
    }
    if (rise < 1 || rise > 100 || fall < 1 || fall > 100) {
      throw new IllegalArgumentException(
          "health rise and fall must be 1 to 100: " + rise + ", " + fall);
    }
  }
}
