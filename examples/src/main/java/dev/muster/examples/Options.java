package dev.muster.examples;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Command-line options: {@code --name value}, {@code --name=value} or a flag. Each subcommand
 * accepts the common options plus its own; anything else is a usage error that names it.
 */
final class Options {
  /** One option: its name, whether it takes a value, and its help line. */
  record Spec(String name, boolean takesValue, String help) {}

  static final List<Spec> COMMON =
      List.of(
          new Spec(
              "region",
              true,
              "AWS region, e.g. us-east-1 (default: AWS_REGION, the "
                  + "profile, then IMDS on EC2)"),
          new Spec("endpoint", true, "EC2 endpoint URL (VPC endpoint, FIPS, or a test stand-in)"),
          new Spec(
              "tag",
              true,
              "KEY=VALUE or KEY (any value); repeatable, all must match; "
                  + "VALUE may use * and ?"),
          new Spec("asg", true, "Auto Scaling group name (tag aws:autoscaling:groupName)"),
          new Spec("port", true, "default backend port (tag muster:port overrides per instance)"),
          new Spec(
              "address",
              true,
              "private-ip (default), public-ip, private-dns, ipv6, or "
                  + "tag:NAME (an IP address)"),
          new Spec(
              "address-tag-host-names",
              false,
              "let tag:NAME hold a host name too (it must " + "resolve where the proxy runs)"),
          new Spec("name", true, "backend name in the generated file (default: web)"),
          new Spec("interval", true, "time between fetches, at least 1s (default 15s)"),
          new Spec("wait-min", true, "publish after the fleet was quiet this long (default 0s)"),
          new Spec(
              "min-members",
              true,
              "never apply fewer members than this, the first view " + "included (default 1)"),
          new Spec(
              "allow-empty",
              false,
              "allow an empty membership (after the same confirmation " + "as a mass removal)"),
          new Spec(
              "hold-min",
              true,
              "how long a mass removal must be seen before it is applied " + "(default 60s)"),
          new Spec(
              "state-file",
              true,
              "remember the last good membership across restarts; the "
                  + "guard's baseline for --once"),
          new Spec("exclude-self", false, "leave this instance out (reads IMDS)"),
          new Spec("out", true, "the file to write"),
          new Spec(
              "once", false, "one guarded fetch, render and apply, then exit (see exit codes)"),
          new Spec("accept-held", false, "with --once: apply a mass removal the guard would hold"),
          new Spec("dry-run", false, "print the rendered file or the diff; touch nothing"),
          new Spec("help", false, "show this help"));

  static final Map<String, List<Spec>> SPECIFIC =
      Map.of(
          "haproxy",
              List.of(
                  new Spec(
                      "header",
                      true,
                      "file with global/defaults/frontends (required unless " + "--template)"),
                  new Spec("template", true, "your own whole-file FreeMarker template"),
                  new Spec(
                      "server-options",
                      true,
                      "after each server line (default: check inter 5s " + "fall 3)"),
                  new Spec(
                      "master-socket",
                      true,
                      "reload through this master CLI socket (haproxy -W -S)"),
                  new Spec(
                      "reload-cmd",
                      true,
                      "reload with this command instead, e.g. " + "\"systemctl reload haproxy\""),
                  new Spec("no-validate", false, "skip haproxy -c (not recommended)")),
          "nginx",
              List.of(
                  new Spec(
                      "main-config",
                      true,
                      "your nginx.conf that includes --out (for nginx -t and " + "reload)"),
                  new Spec("template", true, "your own whole-file FreeMarker template"),
                  new Spec(
                      "reload-cmd", true, "reload with this command instead of nginx -s reload")),
          "kamailio",
              List.of(
                  new Spec("rpc", true, "Kamailio JSON-RPC URL, e.g. http://127.0.0.1:5071/RPC"),
                  new Spec("set-id", true, "dispatcher set id (default 1)"),
                  new Spec("max-entries", true, "refuse lists longer than this (default 5000)"),
                  new Spec("template", true, "your own whole-file FreeMarker template")),
          "demo",
              List.of(
                  new Spec(
                      "duration", true, "how long to keep playing after the script (default 0s)"),
                  new Spec(
                      "dir", true, "where to write the rendered files (default ./muster-demo)")));

  private final Map<String, List<String>> values = new LinkedHashMap<>();

  private Options() {}

  /** Parses {@code args} for {@code command}. */
  static Options parse(String command, List<String> args) {
    Map<String, Spec> allowed = new LinkedHashMap<>();
    if (!command.equals("demo")) {
      COMMON.forEach(s -> allowed.put(s.name(), s));
    } else {
      allowed.put("help", COMMON.get(COMMON.size() - 1));
    }
    SPECIFIC.getOrDefault(command, List.of()).forEach(s -> allowed.put(s.name(), s));
    Options options = new Options();
    for (int i = 0; i < args.size(); i++) {
      String arg = args.get(i);
      if (!arg.startsWith("--")) {
        throw new UsageException("unexpected argument '" + arg + "'");
      }
      String name = arg.substring(2);
      String value = null;
      int eq = name.indexOf('=');
      if (eq >= 0) {
        value = name.substring(eq + 1);
        name = name.substring(0, eq);
      }
      Spec spec = allowed.get(name);
      if (spec == null) {
        throw new UsageException("unknown option --" + name + " for " + command);
      }
      if (spec.takesValue() && value == null) {
        if (i + 1 >= args.size()) {
          throw new UsageException("--" + name + " needs a value");
        }
        value = args.get(++i);
      } else if (!spec.takesValue() && value != null) {
        throw new UsageException("--" + name + " takes no value");
      }
      options.values.computeIfAbsent(name, k -> new ArrayList<>()).add(value == null ? "" : value);
    }
    return options;
  }

  boolean has(String name) {
    return values.containsKey(name);
  }

  String get(String name) {
    List<String> v = values.get(name);
    return v == null ? null : v.get(v.size() - 1);
  }

  String get(String name, String fallback) {
    String v = get(name);
    return v == null ? fallback : v;
  }

  List<String> all(String name) {
    return values.getOrDefault(name, List.of());
  }

  String require(String name, String why) {
    String v = get(name);
    if (v == null || v.isEmpty()) {
      throw new UsageException("--" + name + " is required" + (why.isEmpty() ? "" : " " + why));
    }
    return v;
  }

  int integer(String name, int fallback, int min, int max) {
    String v = get(name);
    if (v == null) {
      return fallback;
    }
    try {
      int n = Integer.parseInt(v);
      if (n >= min && n <= max) {
        return n;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new UsageException(
        "--" + name + " must be a number from " + min + " to " + max + ": " + v);
  }

  Duration duration(String name, Duration fallback) {
    String v = get(name);
    return v == null ? fallback : parseDuration(name, v);
  }

  Path path(String name) {
    String v = get(name);
    return v == null ? null : Path.of(v);
  }

  /**
   * Splits a command line into words as a shell would, without running one: blanks separate words,
   * single quotes keep everything, double quotes keep everything but {@code \"} and {@code \\}, a
   * backslash outside quotes keeps the next character.
   */
  static List<String> words(String name, String text) {
    List<String> words = new ArrayList<>();
    StringBuilder word = new StringBuilder();
    boolean inWord = false;
    char quote = 0;
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (quote == '\'') {
        if (c == '\'') {
          quote = 0;
        } else {
          word.append(c);
        }
      } else if (quote == '"') {
        if (c == '"') {
          quote = 0;
        } else if (c == '\\'
            && i + 1 < text.length()
            && (text.charAt(i + 1) == '"' || text.charAt(i + 1) == '\\')) {
          word.append(text.charAt(++i));
        } else {
          word.append(c);
        }
      } else if (c == '\'' || c == '"') {
        quote = c;
        inWord = true;
      } else if (c == '\\') {
        if (i + 1 == text.length()) {
          throw new UsageException("--" + name + " ends with a lone backslash: " + text);
        }
        word.append(text.charAt(++i));
        inWord = true;
      } else if (c == ' ' || c == '\t') {
        if (inWord) {
          words.add(word.toString());
          word.setLength(0);
          inWord = false;
        }
      } else {
        word.append(c);
        inWord = true;
      }
    }
    if (quote != 0) {
      throw new UsageException("--" + name + " has an unclosed " + quote + " quote: " + text);
    }
    if (inWord) {
      words.add(word.toString());
    }
    if (words.isEmpty()) {
      throw new UsageException("--" + name + " is empty");
    }
    return words;
  }

  static Duration parseDuration(String name, String text) {
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("(\\d+)(ms|s|m|h)").matcher(text);
    if (!m.matches()) {
      throw new UsageException("--" + name + " must be a duration like 500ms, 15s, 2m: " + text);
    }
    long n = Long.parseLong(m.group(1));
    return switch (m.group(2)) {
      case "ms" -> Duration.ofMillis(n);
      case "s" -> Duration.ofSeconds(n);
      case "m" -> Duration.ofMinutes(n);
      default -> Duration.ofHours(n);
    };
  }

  /** A usage error: exit code 2, message names the option. */
  static final class UsageException extends RuntimeException {
    UsageException(String message) {
      super(message);
    }
  }
}
