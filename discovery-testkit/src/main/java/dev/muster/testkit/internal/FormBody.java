package dev.muster.testkit.internal;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.TreeMap;

/** Parses {@code application/x-www-form-urlencoded} text, as the EC2 Query protocol sends it. */
public final class FormBody {
  private FormBody() {}

  /** Adds every {@code name=value} pair of {@code encoded} to {@code into}; later ones win. */
  public static Map<String, String> parse(String encoded, Map<String, String> into) {
    if (encoded == null || encoded.isEmpty()) {
      return into;
    }
    for (String pair : encoded.split("&")) {
      if (pair.isEmpty()) {
        continue;
      }
      int eq = pair.indexOf('=');
      String name = eq < 0 ? pair : pair.substring(0, eq);
      String value = eq < 0 ? "" : pair.substring(eq + 1);
      into.put(
          URLDecoder.decode(name, StandardCharsets.UTF_8),
          URLDecoder.decode(value, StandardCharsets.UTF_8));
    }
    return into;
  }

  /** A new sorted map of the pairs in {@code encoded}. */
  public static Map<String, String> parse(String encoded) {
    return parse(encoded, new TreeMap<>());
  }
}
