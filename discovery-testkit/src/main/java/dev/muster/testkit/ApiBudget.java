package dev.muster.testkit;

import java.util.function.LongSupplier;

/**
 * EC2's request rate limit as a token bucket, shared by every caller of an account: each describe
 * call takes a token; tokens come back at a steady rate up to the bucket's size; a call that finds
 * the bucket empty is throttled ({@code RequestLimitExceeded}). AWS documents the model, not the
 * sizes; the defaults here are the ones AWS gives as an example for non-mutating actions: a bucket
 * of 100 refilled at 20 per second.
 *
 * <p>Thread-safe. Time comes from a nanosecond clock, so that a simulation can run it in virtual
 * time.
 */
public final class ApiBudget {
  /** The bucket size AWS gives for non-mutating (describe) actions. */
  public static final int DEFAULT_BUCKET = 100;

  /** Tokens per second AWS gives for non-mutating (describe) actions. */
  public static final double DEFAULT_REFILL_PER_SECOND = 20;

  private final int bucket;
  private final double refillPerNano;
  private final LongSupplier nanos;
  private double tokens;
  private long last;
  private long taken;
  private long throttled;

  private ApiBudget(int bucket, double refillPerSecond, LongSupplier nanos) {
    if (bucket < 1 || !(refillPerSecond > 0)) {
      throw new IllegalArgumentException(
          "bucket >= 1 and refill > 0: " + bucket + ", " + refillPerSecond);
    }
    this.bucket = bucket;
    this.refillPerNano = refillPerSecond / 1e9;
    this.nanos = nanos;
    this.tokens = bucket;
    this.last = nanos.getAsLong();
  }

  /** EC2's example budget for describe calls: 100, refilled at 20 per second, in real time. */
  public static ApiBudget ec2Default() {
    return of(DEFAULT_BUCKET, DEFAULT_REFILL_PER_SECOND, System::nanoTime);
  }

  /**
   * A budget of {@code bucket} tokens refilled at {@code refillPerSecond}, timed by {@code nanos}.
   */
  public static ApiBudget of(int bucket, double refillPerSecond, LongSupplier nanos) {
    return new ApiBudget(bucket, refillPerSecond, nanos);
  }

  /** Takes a token if there is one; {@code false} means the call is throttled. */
  public synchronized boolean tryTake() {
    long now = nanos.getAsLong();
    tokens = Math.min(bucket, tokens + (now - last) * refillPerNano);
    last = now;
    if (tokens >= 1) {
      tokens -= 1;
      taken++;
      return true;
    }
    throttled++;
    return false;
  }

  /** Calls that got a token. */
  public synchronized long taken() {
    return taken;
  }

  /** Calls throttled. */
  public synchronized long throttled() {
    return throttled;
  }
}
