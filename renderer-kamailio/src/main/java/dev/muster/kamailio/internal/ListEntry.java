package dev.muster.kamailio.internal;

import dev.muster.discovery.internal.Validation;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One destination line of a dispatcher list, parsed and checked: Kamailio itself skips or misreads
 * many malformed lines silently, so Muster refuses them before writing.
 *
 * @param setId the set id
 * @param uri the SIP URI, e.g. {@code sip:10.0.0.1:5060;transport=tcp}
 * @param flags the flags column
 * @param priority the priority column
 * @param attrs the attributes column, or empty
 */
public record ListEntry(int setId, String uri, int flags, int priority, String attrs) {
  /** Kamailio splits longer lines, and the tail becomes a separate (broken) entry. */
  public static final int MAX_LINE_BYTES = 1022;

  private static final Pattern URI =
      Pattern.compile(
          "sips?:(\\[[0-9A-Fa-f:.]+\\]|[0-9.]+):(\\d{1,5})(;transport=(udp|tcp|tls|sctp))?");
  private static final Pattern ATTRS =
      Pattern.compile("[A-Za-z0-9_]+=[^\\s;=]*(;[A-Za-z0-9_]+=[^\\s;=]*)*");

  /**
   * Parses every line of {@code text}: blank lines and {@code #} comments are skipped, any other
   * line must be a valid destination.
   *
   * @throws IllegalArgumentException naming the first bad line and why
   */
  public static List<ListEntry> parseAll(String text) {
    List<ListEntry> entries = new ArrayList<>();
    String[] lines = text.split("\n", -1);
    for (int i = 0; i < lines.length; i++) {
      String line = lines[i];
      if (line.isBlank() || line.stripLeading().startsWith("#")) {
        continue;
      }
      try {
        entries.add(parse(line));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(
            "line " + (i + 1) + ": " + e.getMessage() + ": " + Validation.printable(line), e);
      }
    }
    return entries;
  }

  static ListEntry parse(String line) {
    if (line.getBytes(java.nio.charset.StandardCharsets.UTF_8).length > MAX_LINE_BYTES) {
      throw new IllegalArgumentException("longer than " + MAX_LINE_BYTES + " bytes");
    }
    String problem = Validation.characterProblem(line.replace('\t', ' '));
    if (problem != null) {
      throw new IllegalArgumentException(problem);
    }
    String[] f = line.strip().split("[ \t]+");
    if (f.length < 2 || f.length > 5) {
      throw new IllegalArgumentException("expected 'setid uri [flags [priority [attrs]]]'");
    }
    int setId = number(f[0], 1, 99_999, "set id");
    Matcher uri = URI.matcher(f[1]);
    if (!uri.matches()) {
      throw new IllegalArgumentException(
          "the URI must be sip:IP:PORT[;transport=...] with an "
              + "IP address, not a host name ("
              + f[1]
              + ")");
    }
    String host = uri.group(1);
    if (host.startsWith("[")
        ? !Validation.isIpv6(host.substring(1, host.length() - 1))
        : !Validation.isIpv4(host)) {
      throw new IllegalArgumentException("not an IP address: " + host);
    }
    number(uri.group(2), 1, 65535, "port");
    int flags = f.length > 2 ? number(f[2], 0, 255, "flags") : 0;
    int priority = f.length > 3 ? number(f[3], 0, 9999, "priority") : 0;
    String attrs = f.length > 4 ? f[4] : "";
    if (!attrs.isEmpty()) {
      if (!ATTRS.matcher(attrs).matches()) {
        throw new IllegalArgumentException("attrs must be key=value;key=value");
      }
      for (String pair : attrs.split(";")) {
        if (pair.startsWith("weight=")) {
          number(pair.substring(7), 1, 100, "weight");
        }
      }
    }
    return new ListEntry(setId, f[1], flags, priority, attrs);
  }

  private static int number(String text, int min, int max, String what) {
    Integer value = Validation.parseBounded(text, min, max);
    if (value == null) {
      throw new IllegalArgumentException(what + " must be " + min + " to " + max + ": " + text);
    }
    return value;
  }
}
