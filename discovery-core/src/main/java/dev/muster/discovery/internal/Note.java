package dev.muster.discovery.internal;

/**
 * A line a pure decision wants logged; the loop logs it, prefixed with its name. Decisions return
 * notes instead of logging, so that they stay pure and their tests need no log.
 *
 * @param level how loud
 * @param text what to say
 */
public record Note(Level level, String text) {
  /** How loud a note is. */
  public enum Level {
    INFO,
    WARN,
    ERROR
  }
}
