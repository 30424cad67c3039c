package dev.muster.agent;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * How the agent's log lines look (SLF4J's simple logger, on stderr): a time stamp on each line,
 * unless stderr is the systemd journal, which stamps lines itself; the SDK's own chatter only from
 * warnings up. A setting given with {@code -D} (or {@code JAVA_OPTS}) wins.
 */
final class Logging {
  private static final String PREFIX = "org.slf4j.simpleLogger.";

  private Logging() {}

  /** Applies {@link #settings} before the first logger is made. */
  static void configure() {
    settings(System.getenv("JOURNAL_STREAM") != null)
        .forEach(
            (key, value) -> {
              if (System.getProperty(key) == null) {
                System.setProperty(key, value);
              }
            });
  }

  /**
   * The simple logger's settings: time stamps (ISO 8601 with the offset) unless {@code toJournal}
   * (systemd sets {@code JOURNAL_STREAM} for a unit whose stderr is the journal).
   */
  static Map<String, String> settings(boolean toJournal) {
    Map<String, String> out = new LinkedHashMap<>();
    out.put(PREFIX + "showDateTime", Boolean.toString(!toJournal));
    out.put(PREFIX + "dateTimeFormat", "yyyy-MM-dd'T'HH:mm:ss.SSSXXX");
    out.put(PREFIX + "showThreadName", "false");
    out.put(PREFIX + "showShortLogName", "true");
    out.put(PREFIX + "log.software.amazon.awssdk", "warn");
    return out;
  }
}
