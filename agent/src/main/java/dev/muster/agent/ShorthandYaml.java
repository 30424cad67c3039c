package dev.muster.agent;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The YAML of a one-line form ({@link Shorthand}), built line by line, remembering which option
 * each line came from so that a problem the reader finds names the option.
 */
final class ShorthandYaml {
  private final List<String> lines = new ArrayList<>();
  private final List<String> options = new ArrayList<>();

  void line(int indent, String line, String option) {
    lines.add("  ".repeat(indent) + line);
    options.add(option);
  }

  /** A string setting, quoted, if given. */
  void value(int indent, String key, String value, String option) {
    if (value != null) {
      line(indent, key + ": " + quote(value), option);
    }
  }

  /** A number as YAML reads one when it is digits; otherwise quoted, so the reader refuses it. */
  void number(int indent, String key, String value, String option) {
    if (value != null) {
      line(indent, key + ": " + (value.matches("[0-9]{1,9}") ? value : quote(value)), option);
    }
  }

  void flag(int indent, String key, boolean on, String option) {
    if (on) {
      line(indent, key + ": true", option);
    }
  }

  void list(int indent, String key, List<String> values, String option) {
    line(
        indent,
        key + ": [" + String.join(", ", values.stream().map(ShorthandYaml::quote).toList()) + "]",
        option);
  }

  /** The text, without sections that got no setting (YAML would read them as null). */
  String text() {
    boolean dropped = true;
    while (dropped) {
      dropped = false;
      for (int i = 0; i < lines.size(); i++) {
        String line = lines.get(i);
        boolean section = line.endsWith(":");
        if (section && (i + 1 == lines.size() || indent(lines.get(i + 1)) <= indent(line))) {
          lines.remove(i);
          options.remove(i);
          dropped = true;
          break;
        }
      }
    }
    return String.join("\n", lines) + "\n";
  }

  private static int indent(String line) {
    return line.length() - line.stripLeading().length();
  }

  /** {@code muster:LINE: path: message} as {@code --option: path: message}. */
  String explain(String problem) {
    Matcher m = Pattern.compile("^.*?muster:(\\d+): (.*)$", Pattern.DOTALL).matcher(problem);
    if (m.matches()) {
      int line = Integer.parseInt(m.group(1));
      String option = line >= 1 && line <= options.size() ? options.get(line - 1) : null;
      return (option == null ? "" : option + ": ") + m.group(2);
    }
    return problem.replaceFirst("^.*?muster: ", "");
  }

  /**
   * A YAML double-quoted scalar, which is also a JSON string: the escapes both read the same way
   * (control characters, DEL, C1 and the line separators as {@code \\uXXXX}).
   */
  static String quote(String value) {
    StringBuilder out = new StringBuilder("\"");
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      switch (c) {
        case '"' -> out.append("\\\"");
        case '\\' -> out.append("\\\\");
        default -> {
          if (c < 0x20 || c == 0x7f || (c >= 0x80 && c <= 0x9f) || c == 0x2028 || c == 0x2029) {
            out.append(String.format("\\u%04x", (int) c));
          } else {
            out.append(c);
          }
        }
      }
    }
    return out.append('"').toString();
  }
}
