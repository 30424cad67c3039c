package dev.muster.discovery;

import java.nio.file.Path;

/**
 * Checks a candidate configuration file before it replaces the live one, with the proxy's own
 * checker (for example {@code haproxy -c -f FILE}). See {@link Command#validator}.
 */
@FunctionalInterface
public interface Validator {

  /** Accepts everything; for targets whose proxy has no checker. */
  Validator NONE = candidate -> {};

  /**
   * Validates {@code candidate}, a complete file written beside the live one.
   *
   * @throws ApplyException if the proxy rejects it, with the proxy's message: made with {@link
   *     ApplyException#rejected} when the candidate itself is refused (so the pipeline can look for
   *     the members that cause it), plain when it could not be checked (the checker did not start
   *     or timed out)
   */
  void validate(Path candidate);
}
