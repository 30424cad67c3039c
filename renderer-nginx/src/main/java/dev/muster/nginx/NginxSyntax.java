package dev.muster.nginx;

import dev.muster.discovery.Escaper;

/**
 * Escaping for nginx configuration files. A value made only of {@code A-Z a-z 0-9 . _ : / @ + , = -
 * [ ] %} is written as it is; anything else is written in double quotes with {@code "} and {@code
 * \} escaped by a backslash, inside which {@code ;}, {@code {}, {@code }} and {@code #} are plain
 * text. The result is always exactly one argument.
 *
 * <p>Refused, because nginx has no safe way to write them: {@code $} (nginx expands variables
 * inside quotes too, and has no escape for the dollar sign) and control characters (members never
 * carry them; this guards user variables).
 */
public final class NginxSyntax implements Escaper {
  /** The shared instance. */
  public static final NginxSyntax INSTANCE = new NginxSyntax();

  private NginxSyntax() {}

  @Override
  public String escape(String text) {
    boolean plain = !text.isEmpty();
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c < 0x20 || c == 0x7f || c == 0x85 || c == 0x2028 || c == 0x2029) {
        throw new IllegalArgumentException(
            String.format("U+%04X cannot be written into an nginx configuration", (int) c));
      }
      if (c == '$') {
        throw new IllegalArgumentException(
            "'$' cannot be written into an nginx configuration "
                + "(nginx expands variables even in quotes): "
                + text);
      }
      if (!(c >= 'a' && c <= 'z'
          || c >= 'A' && c <= 'Z'
          || c >= '0' && c <= '9'
          || ".:_/@+,=-[]%".indexOf(c) >= 0)) {
        plain = false;
      }
    }
    return plain ? text : "\"" + text.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
  }
}
