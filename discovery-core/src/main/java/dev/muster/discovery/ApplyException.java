package dev.muster.discovery;

/**
 * Applying a configuration failed. The message says at which step (validate, write, reload), what
 * the proxy said, and whether the previous configuration was restored. {@link #rejected()} tells a
 * candidate that the proxy's own checker refused (the same text will be refused again) from a
 * failure that may pass when tried again.
 */
public class ApplyException extends RuntimeException {
  private final boolean rejected;

  /** With a message naming the step and the proxy's own words. */
  public ApplyException(String message) {
    this(message, null, false);
  }

  /** With a message naming the step and the cause. */
  public ApplyException(String message, Throwable cause) {
    this(message, cause, false);
  }

  private ApplyException(String message, Throwable cause, boolean rejected) {
    super(message, cause);
    this.rejected = rejected;
  }

  /**
   * The proxy's checker refused the candidate: the same text fails again whatever the proxy's
   * state. {@code cause} keeps the checker's own failure.
   */
  public static ApplyException rejected(String message, Throwable cause) {
    return new ApplyException(message, cause, true);
  }

  /** Whether the candidate itself was refused by the proxy's checker. */
  public boolean rejected() {
    return rejected;
  }
}
