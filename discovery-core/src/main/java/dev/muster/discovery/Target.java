package dev.muster.discovery;

/**
 * Where rendered text goes, and how the proxy picks it up. {@link FileTarget} writes a file,
 * validates it with the proxy's own checker, reloads, and rolls back on failure. With a {@link
 * Renderer} it makes a file {@link Sink} ({@link Sink#of}); a proxy's runtime API is a {@link Sink}
 * of its own.
 *
 * <p>Contract: after {@code apply} returns or throws, the proxy runs either the new configuration
 * or the previous one, never a mix and never a half-written file. Calls are serialised by the
 * caller; implementations need not be thread-safe.
 */
public interface Target {

  /**
   * Applies {@code content}.
   *
   * @return what happened: unchanged (nothing written or reloaded), applied, or a dry run
   * @throws ApplyException if validation, writing or reloading failed; the previous configuration
   *     is live again (the message says whether restoring it succeeded)
   */
  ApplyResult apply(String content);

  /**
   * Checks {@code content} the way {@link #apply} would before it changes anything (for a file, the
   * proxy's own checker on a candidate beside the live file), and changes nothing. The pipeline
   * uses it to find which members make a candidate invalid. The default accepts everything.
   *
   * @throws ApplyException {@linkplain ApplyException#rejected() rejected} if the proxy's checker
   *     refuses it, or another one if it could not be checked
   */
  default void check(String content) {}
}
