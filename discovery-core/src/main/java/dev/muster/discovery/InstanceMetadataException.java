package dev.muster.discovery;

/**
 * The instance metadata service (IMDSv2) could not answer: not running on EC2, IMDS disabled,
 * IMDSv2 tokens refused (for example a hop limit of 1 inside a container), or a tag that was asked
 * for is missing. The message says what to do instead.
 */
public final class InstanceMetadataException extends RuntimeException {
  /** With a message that says what failed and how to work without it. */
  public InstanceMetadataException(String message, Throwable cause) {
    super(message, cause);
  }
}
