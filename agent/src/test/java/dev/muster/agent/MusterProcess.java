package dev.muster.agent;

import java.io.File;
import java.io.IOException;
import java.nio.file.Path;

/**
 * {@code muster run --config FILE} in a JVM of its own, as systemd starts it, logging to a file.
 */
final class MusterProcess {
  private MusterProcess() {}

  /** Starts it with test credentials; stdout and stderr go to {@code log}. */
  static Process run(Path config, Path log) throws IOException {
    return start(log, "run", "--config", config.toString());
  }

  /** Starts {@code muster ARGS...} with test credentials; stdout and stderr go to {@code log}. */
  static Process start(Path log, String... args) throws IOException {
    return start(java.util.List.of(), log, args);
  }

  /** As {@link #start(Path, String...)}, run by {@code wrapper} (for example {@code nohup}). */
  static Process start(java.util.List<String> wrapper, Path log, String... args)
      throws IOException {
    return start(java.util.Map.of(), wrapper, log, args);
  }

  /** As {@link #start(java.util.List, Path, String...)}, with {@code env} added. */
  static Process start(
      java.util.Map<String, String> env, java.util.List<String> wrapper, Path log, String... args)
      throws IOException {
    String classpath =
        System.getProperty("jdk.module.path", "")
            + File.pathSeparator
            + System.getProperty("java.class.path");
    java.util.List<String> command = new java.util.ArrayList<>(wrapper);
    command.addAll(
        java.util.List.of(
            Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "-cp",
            classpath,
            Main.class.getName()));
    command.addAll(java.util.List.of(args));
    ProcessBuilder builder =
        new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
    builder.environment().put("AWS_ACCESS_KEY_ID", "AKIDMUSTERTEST");
    builder.environment().put("AWS_SECRET_ACCESS_KEY", "muster-test-secret");
    builder.environment().putAll(env);
    return builder.start();
  }

  /** Sends signal {@code name} (HUP, TERM) to {@code process}; true if kill succeeded. */
  static boolean signal(Process process, String name) throws IOException, InterruptedException {
    return new ProcessBuilder("kill", "-" + name, Long.toString(process.pid())).start().waitFor()
        == 0;
  }
}
