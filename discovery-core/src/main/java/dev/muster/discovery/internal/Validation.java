package dev.muster.discovery.internal;

/**
 * The rules every value from a tag passes before it reaches a {@code Member}. Each check returns
 * {@code null} when the value is acceptable and otherwise a short reason that names the problem,
 * for one warning that users can act on.
 */
public final class Validation {
  /** EC2's limits: 128 characters for a key, 256 for a value. */
  public static final int MAX_TAG_KEY = 128;

  public static final int MAX_TAG_VALUE = 256;

  private Validation() {}

  /** Why the tag {@code key}={@code value} is not acceptable, or {@code null}. */
  public static String tagProblem(String key, String value) {
    String problem = tagKeyProblem(key);
    return problem != null ? problem : tagValueProblem(value);
  }

  /** Why {@code key} is not acceptable as a tag key, or {@code null}. */
  public static String tagKeyProblem(String key) {
    if (key.isEmpty()) {
      return "the key is empty";
    }
    if (key.length() > MAX_TAG_KEY) {
      return "the key is " + key.length() + " characters long (EC2's limit is " + MAX_TAG_KEY + ")";
    }
    return characterProblem(key);
  }

  /** Why {@code value} is not acceptable as a tag value, or {@code null}. */
  public static String tagValueProblem(String value) {
    if (value.length() > MAX_TAG_VALUE) {
      return "the value is "
          + value.length()
          + " characters long (EC2's limit is "
          + MAX_TAG_VALUE
          + ")";
    }
    return characterProblem(value);
  }

  /**
   * Refuses control characters (C0, C1, DEL), line and paragraph separators, invisible format
   * characters such as bidi overrides and zero-width spaces, and unpaired surrogates: anything that
   * could start a new line in a config or make it read differently from what it does.
   */
  public static String characterProblem(String text) {
    for (int i = 0; i < text.length(); ) {
      int cp = text.codePointAt(i);
      switch (Character.getType(cp)) {
        case Character.CONTROL,
            Character.FORMAT,
            Character.LINE_SEPARATOR,
            Character.PARAGRAPH_SEPARATOR,
            Character.SURROGATE,
            Character.UNASSIGNED -> {
          return String.format("it contains U+%04X at offset %d", cp, i);
        }
        default -> i += Character.charCount(cp);
      }
    }
    return null;
  }

  /** Why {@code address} is not an IPv4 literal, IPv6 literal or host name, or {@code null}. */
  public static String addressProblem(String address) {
    if (address.isEmpty()) {
      return "the address is empty";
    }
    if (isIpv4(address) || isIpv6(address) || isHostName(address)) {
      return null;
    }
    return "'" + printable(address) + "' is not an IP address or host name";
  }

  /** Dotted-quad IPv4 without leading zeros. */
  public static boolean isIpv4(String s) {
    String[] parts = s.split("\\.", -1);
    if (parts.length != 4) {
      return false;
    }
    for (String part : parts) {
      if (part.isEmpty() || part.length() > 3 || (part.length() > 1 && part.charAt(0) == '0')) {
        return false;
      }
      for (int i = 0; i < part.length(); i++) {
        if (part.charAt(i) < '0' || part.charAt(i) > '9') {
          return false;
        }
      }
      if (Integer.parseInt(part) > 255) {
        return false;
      }
    }
    return true;
  }

  /** An IPv6 literal without brackets or zone id, optionally with an embedded IPv4 tail. */
  public static boolean isIpv6(String s) {
    if (s.length() < 2 || s.length() > 45 || s.indexOf(':') < 0) {
      return false;
    }
    int doubleColon = s.indexOf("::");
    if (doubleColon >= 0 && s.indexOf("::", doubleColon + 1) >= 0) {
      return false;
    }
    String[] groups = s.split(":", -1);
    int count = 0;
    for (int g = 0; g < groups.length; g++) {
      String group = groups[g];
      if (group.isEmpty()) {
        continue; // part of "::", or a leading/trailing colon checked below
      }
      if (g == groups.length - 1 && group.indexOf('.') >= 0) {
        if (!isIpv4(group)) {
          return false;
        }
        count += 2;
        continue;
      }
      if (group.length() > 4) {
        return false;
      }
      for (int i = 0; i < group.length(); i++) {
        if (Character.digit(group.charAt(i), 16) < 0) {
          return false;
        }
      }
      count++;
    }
    if (s.startsWith(":") && !s.startsWith("::") || s.endsWith(":") && !s.endsWith("::")) {
      return false;
    }
    return doubleColon >= 0 ? count < 8 : count == 8;
  }

  /**
   * RFC 1123 host name: labels of letters, digits and hyphens, at most 253 characters, and a last
   * label that is not all digits (RFC 3696), so {@code 10.0.0.256} is neither an IPv4 address nor a
   * host name. Names that the C library would read as an IPv4 address in another notation ({@code
   * 0x7f000001}, {@code 0x7f.1}) are refused too: a proxy would connect to that address, not look
   * the name up.
   */
  public static boolean isHostName(String s) {
    if (s.length() > 253 || s.endsWith(".")) {
      return false;
    }
    String last = s.substring(s.lastIndexOf('.') + 1);
    if (last.chars().allMatch(c -> c >= '0' && c <= '9') || looksLikeInetAton(s)) {
      return false;
    }
    for (String label : s.split("\\.", -1)) {
      if (label.isEmpty() || label.length() > 63 || label.startsWith("-") || label.endsWith("-")) {
        return false;
      }
      for (int i = 0; i < label.length(); i++) {
        char c = label.charAt(i);
        if (!(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-')) {
          return false;
        }
      }
    }
    return true;
  }

  /** Whether inet_aton(3) would take {@code s} as an address: 1 to 4 numeric parts. */
  private static boolean looksLikeInetAton(String s) {
    String[] parts = s.split("\\.", -1);
    if (parts.length > 4) {
      return false;
    }
    for (String part : parts) {
      boolean hex = part.length() > 2 && (part.startsWith("0x") || part.startsWith("0X"));
      String digits = hex ? part.substring(2) : part;
      if (digits.isEmpty()
          || !digits
              .chars()
              .allMatch(c -> hex ? Character.digit(c, 16) >= 0 : c >= '0' && c <= '9')) {
        return false;
      }
    }
    return true;
  }

  /**
   * Parses a decimal integer made of ASCII digits only (no sign, spaces or leading zeros beyond a
   * single {@code 0}) within {@code [min, max]}; {@code null} if it is not one.
   */
  public static Integer parseBounded(String text, int min, int max) {
    if (text.isEmpty() || text.length() > 6 || (text.length() > 1 && text.charAt(0) == '0')) {
      return null;
    }
    int value = 0;
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c < '0' || c > '9') {
        return null;
      }
      value = value * 10 + (c - '0');
    }
    return value >= min && value <= max ? value : null;
  }

  /**
   * {@code text} shortened to 40 characters with non-printable characters shown as {@code \\uXXXX},
   * safe to put in a log line.
   */
  public static String printable(String text) {
    StringBuilder out = new StringBuilder(Math.min(text.length(), 48));
    for (int i = 0; i < text.length() && i < 40; i++) {
      char c = text.charAt(i);
      if (c < 0x20
          || c == 0x7f
          || Character.getType(c) == Character.FORMAT
          || Character.getType(c) == Character.LINE_SEPARATOR
          || Character.getType(c) == Character.PARAGRAPH_SEPARATOR
          || Character.getType(c) == Character.CONTROL) {
        out.append(String.format("\\u%04X", (int) c));
      } else {
        out.append(c);
      }
    }
    if (text.length() > 40) {
      out.append("...(").append(text.length()).append(" chars)");
    }
    return out.toString();
  }
}
