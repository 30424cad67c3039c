package dev.muster.kamailio;

import dev.muster.discovery.Escaper;

/**
 * Escaping for Kamailio's {@code dispatcher.list}: the format has no quoting at all (fields are
 * separated by white space, attributes by {@code ;} and {@code =}, {@code #} starts a comment), so
 * a value is written only if it consists of {@code A-Z a-z 0-9 . _ : @ + - / [ ]}; anything else is
 * refused and the render fails before Kamailio sees the file.
 */
public final class KamailioSyntax implements Escaper {
  /** The shared instance. */
  public static final KamailioSyntax INSTANCE = new KamailioSyntax();

  private KamailioSyntax() {}

  @Override
  public String escape(String text) {
    if (text.isEmpty()) {
      throw new IllegalArgumentException(
          "an empty value cannot be written into a dispatcher " + "list field");
    }
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (!(c >= 'a' && c <= 'z'
          || c >= 'A' && c <= 'Z'
          || c >= '0' && c <= '9'
          || "._:@+-/[]".indexOf(c) >= 0)) {
        throw new IllegalArgumentException(
            String.format(
                "'%s' cannot be written into a "
                    + "dispatcher list (U+%04X; the format has no quoting)",
                text.length() > 40 ? text.substring(0, 40) + "..." : text, (int) c));
      }
    }
    return text;
  }
}
