package dev.muster.discovery;

/**
 * Rendering failed: a template error (the message names the template and line), a missing variable
 * in strict mode, or a value the target syntax cannot carry safely.
 */
public final class RenderException extends RuntimeException {
  /** With a message that names what failed and where. */
  public RenderException(String message, Throwable cause) {
    super(message, cause);
  }
}
