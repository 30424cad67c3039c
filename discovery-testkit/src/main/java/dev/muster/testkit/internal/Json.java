package dev.muster.testkit.internal;

import com.fasterxml.jackson.core.io.JsonStringEncoder;

/** JSON text for the stand-ins' answers. */
public final class Json {
  private Json() {}

  /** {@code text} as a JSON string (Jackson's escaping), or {@code null}. */
  public static String quote(String text) {
    if (text == null) {
      return "null";
    }
    return '"' + new String(JsonStringEncoder.getInstance().quoteAsString(text)) + '"';
  }
}
