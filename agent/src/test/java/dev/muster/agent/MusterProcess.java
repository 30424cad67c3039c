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
    String classpath =
        System.getProperty("jdk.module.path", "")
            + File.pathSeparator
            + System.getProperty("java.class.path");
    ProcessBuilder builder =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp",
                classpath,
                Main.class.getName(),
                "run",
                "--config",
                config.toString())
            .redirectErrorStream(true)
            .redirectOutput(log.toFile());
    builder.environment().put("AWS_ACCESS_KEY_ID", "AKIDMUSTERTEST");
    builder.environment().put("AWS_SECRET_ACCESS_KEY", "muster-test-secret");
    return builder.start();
  }

  /** Sends signal {@code name} (HUP, TERM) to {@code process}; true if kill succeeded. */
  static boolean signal(Process process, String name) throws IOException, InterruptedException {
    return new ProcessBuilder("kill", "-" + name, Long.toString(process.pid())).start().waitFor()
        == 0;
  }
}
