package dev.muster.testkit.internal;

/**
 * EC2 filter value matching: {@code *} matches any run of characters, {@code ?} exactly one, and a
 * backslash makes the next character literal. Case-sensitive, as EC2 is.
 */
public final class Wildcard {
  private Wildcard() {}

  /** Whether {@code value} matches {@code pattern}; linear in practice, no regex compilation. */
  public static boolean matches(String pattern, String value) {
    int p = 0;
    int v = 0;
    int starP = -1;
    int starV = 0;
    while (v < value.length()) {
      if (p < pattern.length()) {
        char c = pattern.charAt(p);
        if (c == '*') {
          starP = p++;
          starV = v;
          continue;
        }
        if (c == '\\' && p + 1 < pattern.length()) {
          if (pattern.charAt(p + 1) == value.charAt(v)) {
            p += 2;
            v++;
            continue;
          }
        } else if (c == '?' || c == value.charAt(v)) {
          p++;
          v++;
          continue;
        }
      }
      if (starP < 0) {
        return false;
      }
      p = starP + 1;
      v = ++starV;
    }
    while (p < pattern.length() && pattern.charAt(p) == '*') {
      p++;
    }
    return p == pattern.length();
  }
}
