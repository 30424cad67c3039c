package dev.muster.agent;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.snakeyaml.engine.v2.nodes.MappingNode;
import org.snakeyaml.engine.v2.nodes.Node;
import org.snakeyaml.engine.v2.nodes.NodeTuple;
import org.snakeyaml.engine.v2.nodes.ScalarNode;
import org.snakeyaml.engine.v2.nodes.SequenceNode;

/**
 * The strict walk over the configuration's YAML nodes that every section reader shares: typed
 * values with their checks, unknown keys and keys given twice at any level, and problems reported
 * as {@code FILE:LINE: setting.path: message} (one line each: control characters shown as {@code
 * \\uXXXX}). Nothing is guessed and no value is clamped; every problem is collected, so a file's
 * mistakes are reported at once.
 */
final class Nodes {
  private static final Pattern DURATION = Pattern.compile("(\\d{1,9})(ms|s|m|h)");

  /** The longest duration any setting takes. */
  private static final Duration MAX_DURATION = Duration.ofHours(24);

  /** Backend and output names: they become file names, metric labels and log words. */
  static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,62}");

  private final Path file;
  private final List<String> problems = new ArrayList<>();

  /** Problems name {@code file}; relative paths are relative to its directory. */
  Nodes(Path file) {
    this.file = file;
  }

  /** The problems found so far, in order. */
  List<String> problems() {
    return problems;
  }

  /** How many problems were found so far (a reader compares counts to see its own). */
  int count() {
    return problems.size();
  }

  /** The keys of {@code map}; any other key is a problem that lists the known ones. */
  Map<String, Node> keys(MappingNode map, String path, String... known) {
    Map<String, Node> keys = new LinkedHashMap<>();
    if (map == null) {
      return keys;
    }
    Set<String> allowed = Set.of(known);
    for (NodeTuple tuple : map.getValue()) {
      String key = key(tuple);
      if (keys.containsKey(key)) {
        problem(tuple.getKeyNode(), join(path, key), "given twice");
      } else if (!allowed.contains(key)) {
        problem(
            tuple.getKeyNode(),
            join(path, key),
            "unknown setting (known here: " + String.join(", ", known) + ")");
      } else {
        keys.put(key, tuple.getValueNode());
      }
    }
    return keys;
  }

  /**
   * The entries of a map whose keys are names (backends, outputs, tags); a repeated one is a
   * problem.
   */
  List<NodeTuple> entries(MappingNode map, String path) {
    List<NodeTuple> entries = new ArrayList<>();
    Set<String> seen = new LinkedHashSet<>();
    for (NodeTuple tuple : map.getValue()) {
      if (seen.add(key(tuple))) {
        entries.add(tuple);
      } else {
        problem(tuple.getKeyNode(), join(path, key(tuple)), "given twice");
      }
    }
    return entries;
  }

  static String key(NodeTuple tuple) {
    return tuple.getKeyNode() instanceof ScalarNode s ? s.getValue() : "?";
  }

  MappingNode mapping(Node node, String path) {
    if (node instanceof MappingNode m) {
      return m;
    }
    problem(node, path.isEmpty() ? "(top)" : path, "must be a mapping of settings");
    return null;
  }

  String string(Node node, String path) {
    if (node == null) {
      return null;
    }
    if (node instanceof ScalarNode s && !s.getValue().isEmpty()) {
      return s.getValue();
    }
    problem(node, path, "must be a non-empty text");
    return null;
  }

  /** A text or a list of texts. */
  List<String> strings(Node node, String path) {
    if (node instanceof SequenceNode seq) {
      List<String> values = new ArrayList<>();
      for (Node item : seq.getValue()) {
        String v = string(item, path);
        if (v != null) {
          values.add(v);
        }
      }
      if (values.isEmpty()) {
        problem(node, path, "must not be an empty list");
      }
      return values;
    }
    String single = string(node, path);
    return single == null ? List.of() : List.of(single);
  }

  int integer(Node node, String path, int fallback, int min, int max) {
    if (node == null) {
      return fallback;
    }
    String text = node instanceof ScalarNode s ? s.getValue() : "";
    if (text.matches("\\d{1,9}")) {
      int value = Integer.parseInt(text);
      if (value >= min && value <= max) {
        return value;
      }
    }
    problem(node, path, "must be a whole number from " + min + " to " + max + ": " + text);
    return fallback;
  }

  double fraction(Node node, String path, double fallback) {
    if (node == null) {
      return fallback;
    }
    String text = node instanceof ScalarNode s ? s.getValue() : "";
    try {
      double value = Double.parseDouble(text);
      if (value > 0 && value <= 1) {
        return value;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    problem(node, path, "must be a share above 0 and at most 1, e.g. 0.5: " + text);
    return fallback;
  }

  boolean bool(Node node, String path, boolean fallback) {
    if (node == null) {
      return fallback;
    }
    String text = node instanceof ScalarNode s ? s.getValue() : "";
    if (text.equals("true") || text.equals("false")) {
      return Boolean.parseBoolean(text);
    }
    problem(node, path, "must be true or false: " + text);
    return fallback;
  }

  Duration duration(Node node, String path, Duration fallback) {
    if (node == null) {
      return fallback;
    }
    String text = node instanceof ScalarNode s ? s.getValue() : "";
    Matcher m = DURATION.matcher(text);
    if (!m.matches()) {
      problem(node, path, "must be a duration like 500ms, 15s, 2m or 1h: " + text);
      return fallback;
    }
    long n = Long.parseLong(m.group(1));
    Duration value =
        switch (m.group(2)) {
          case "ms" -> Duration.ofMillis(n);
          case "s" -> Duration.ofSeconds(n);
          case "m" -> Duration.ofMinutes(n);
          default -> Duration.ofHours(n);
        };
    if (value.compareTo(MAX_DURATION) > 0) {
      problem(node, path, "must be at most 24h: " + text);
      return fallback;
    }
    return value;
  }

  Path path(Node node, String path) {
    String text = string(node, path);
    return text == null ? null : resolve(text);
  }

  /** A path to a file that must exist and be readable now (a header, a template). */
  Path existing(Node node, String path) {
    Path p = path(node, path);
    if (p != null && !Files.isReadable(p)) {
      problem(node, path, (Files.exists(p) ? "cannot read " : "no such file: ") + p);
    }
    return p;
  }

  /** Relative paths are relative to the configuration file's directory. */
  Path resolve(String text) {
    Path p = Path.of(text);
    Path dir = file.toAbsolutePath().getParent();
    return p.isAbsolute() || dir == null ? p : dir.resolve(p).normalize();
  }

  URI url(Node node, String path) {
    String text = string(node, path);
    if (text == null) {
      return null;
    }
    try {
      URI uri = new URI(text);
      if (("http".equals(uri.getScheme()) || "https".equals(uri.getScheme()))
          && uri.getHost() != null) {
        return uri;
      }
    } catch (URISyntaxException e) {
      // reported below
    }
    problem(node, path, "must be an http(s) URL like http://127.0.0.1:8999: " + text);
    return null;
  }

  /** Runs a core builder call; its argument check becomes a problem at {@code node}. */
  void build(Node node, String path, Runnable call) {
    try {
      call.run();
    } catch (IllegalArgumentException e) {
      problem(node, path, e.getMessage());
    }
  }

  void problem(Node node, String path, String message) {
    int line = node == null ? 0 : node.getStartMark().map(m -> m.getLine() + 1).orElse(0);
    problems.add(printable(file + (line > 0 ? ":" + line : "") + ": " + path + ": " + message));
  }

  /** {@code text} with control and line-breaking characters as {@code \\uXXXX}: one log line. */
  private static String printable(String text) {
    StringBuilder out = new StringBuilder(text.length());
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c < 0x20 || c == 0x7f || c == 0x85 || c == 0x2028 || c == 0x2029) {
        out.append(String.format("\\u%04X", (int) c));
      } else {
        out.append(c);
      }
    }
    return out.toString();
  }

  static String join(String path, String key) {
    return path.isEmpty() ? key : path + "." + key;
  }

  static String firstLine(String text) {
    return text == null ? "" : text.lines().findFirst().orElse("");
  }
}
