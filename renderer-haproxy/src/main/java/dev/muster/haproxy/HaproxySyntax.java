package dev.muster.haproxy;

import dev.muster.discovery.Escaper;

/**
 * Escaping for HAProxy configuration files (2.x quoting rules). A value made only of {@code A-Z a-z
 * 0-9 . _ : / @ + , = - [ ] %} is written as it is; anything else is written in strong quotes
 * ({@code '...'}), inside which HAProxy interprets nothing (no {@code #} comments, no {@code $}
 * variables, no backslashes); an embedded quote is spliced as {@code '\''}. The result is always
 * exactly one word.
 *
 * <p>Refused, because HAProxy has no way to write them as one word: control characters (members
 * never carry them; this guards user variables) and the empty string (HAProxy drops empty
 * arguments, even quoted, so a directive would lose a word). A template that writes a tag which may
 * be empty should guard it: {@code <#if m.tags.owner?has_content>}.
 */
public final class HaproxySyntax implements Escaper {
  /** The shared instance. */
  public static final HaproxySyntax INSTANCE = new HaproxySyntax();

  private HaproxySyntax() {}

  @Override
  public String escape(String text) {
    if (text.isEmpty()) {
      throw new IllegalArgumentException(
          "an empty value cannot be written as an HAProxy word "
              + "(HAProxy drops empty arguments); guard it with ?has_content in the template");
    }
    boolean plain = true;
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c < 0x20 || c == 0x7f || c == 0x85 || c == 0x2028 || c == 0x2029) {
        throw new IllegalArgumentException(
            String.format("U+%04X cannot be written into an HAProxy configuration", (int) c));
      }
      if (!(c >= 'a' && c <= 'z'
          || c >= 'A' && c <= 'Z'
          || c >= '0' && c <= '9'
          || ".:_/@+,=-[]%".indexOf(c) >= 0)) {
        plain = false;
      }
    }
    return plain ? text : "'" + text.replace("'", "'\\''") + "'";
  }
}
