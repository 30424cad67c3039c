package dev.muster.discovery;

/**
 * Applying a configuration failed. The message says at which step (validate, write, reload),
 * what the proxy said, and whether the previous configuration was restored.
 */
public final class ApplyException extends RuntimeException {
  /** With a message naming the step and the proxy's own words. */
  public ApplyException(String message) {
    super(message);
  }

  /** With a message naming the step and the cause. */
  public ApplyException(String message, Throwable cause) {
    super(message, cause);
  }
}
