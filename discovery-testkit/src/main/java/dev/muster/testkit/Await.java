package dev.muster.testkit;

import java.time.Duration;
import java.util.function.BooleanSupplier;

/** Polls a condition every 10 ms until it holds, within a bounded time. */
public final class Await {
  private Await() {}

  /**
   * Returns once {@code condition} holds.
   *
   * @throws AssertionError naming {@code what} if it does not hold within {@code timeout}
   */
  public static void until(BooleanSupplier condition, Duration timeout, String what)
      throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out after " + timeout.toMillis() + " ms waiting for "
            + what);
      }
      Thread.sleep(10);
    }
  }
}
