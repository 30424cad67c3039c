package dev.muster.discovery;

/**
 * Makes the proxy pick up the live configuration file: a command ({@link Command#reloader}), a
 * signal, or a management socket (the renderer modules provide those).
 */
@FunctionalInterface
public interface Reloader {

  /** Does nothing; for files that a proxy rereads by itself. */
  Reloader NONE = () -> {};

  /**
   * Reloads.
   *
   * @throws ApplyException if the proxy did not take the new configuration, with its message
   */
  void reload();
}
