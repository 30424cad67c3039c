package dev.muster.agent;

import java.util.List;

/**
 * A configuration file that cannot be used, with every problem found, each as {@code FILE:LINE:
 * setting.path: what is wrong}.
 */
final class ConfigException extends Exception {
  private final List<String> problems;

  ConfigException(List<String> problems) {
    super(String.join("\n", problems));
    this.problems = List.copyOf(problems);
  }

  List<String> problems() {
    return problems;
  }
}
