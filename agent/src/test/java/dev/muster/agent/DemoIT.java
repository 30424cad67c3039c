package dev.muster.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code muster demo} as README.md gives it (with {@code --duration 0} added, so it ends after the
 * script): the stand-ins, the agent and the real HAProxy, nginx and Kamailio that CI installs, on
 * loopback. Every scene passes, and nothing is left running.
 */
class DemoIT {
  @TempDir Path dir;

  @Test
  void theReadmesDemoCommandPlaysEverySceneBehindTheRealProxies() throws Exception {
    List<String> args = new ArrayList<>(readmeDemoArguments());
    args.addAll(List.of("--duration", "0", "--dir", dir.toString()));
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();

    int code = Main.run(args.toArray(String[]::new), new PrintWriter(out), new PrintWriter(err));

    String said = out.toString();
    assertEquals(0, code, said + err + tail());
    assertTrue(said.contains("Proxies found: [haproxy, nginx, kamailio]"), said);
    assertTrue(said.contains("every proxy holds the 3 instances:"), said);
    assertTrue(said.contains("3. Scale-out: "), said);
    assertTrue(said.contains("4. Scale-in: "), said);
    assertTrue(said.contains("drained from the proxies, then the action completed"), said);
    assertTrue(said.contains("still hold 3 instances: yes"), said);
    assertTrue(said.contains("Done: "), said);
    String config = Files.readString(dir.resolve("muster.yaml"));
    java.util.regex.Matcher url =
        java.util.regex.Pattern.compile("http://([^/\"]+)").matcher(config);
    while (url.find()) {
      assertTrue(url.group(1).startsWith("127.0.0.1:"), "loopback only: " + url.group());
    }
    StringWriter checked = new StringWriter();
    assertEquals(
        0,
        Main.run(
            new String[] {"check", "--config", dir.resolve("muster.yaml").toString()},
            new PrintWriter(checked),
            new PrintWriter(checked)),
        "the demo's muster.yaml passes muster check: " + checked);
    String left =
        ProcessHandle.allProcesses()
            .filter(p -> p.info().commandLine().orElse("").contains(dir.toString()))
            .map(p -> p.pid() + " " + p.info().commandLine().orElse(""))
            .reduce("", String::concat);
    assertEquals("", left, "no proxy of the demo still runs");
  }

  /** The arguments of the README's demo command: the words after {@code muster-agent.jar}. */
  private static List<String> readmeDemoArguments() throws java.io.IOException {
    String line =
        Files.readString(Path.of("..", "README.md"))
            .lines()
            .filter(l -> l.contains("java -jar agent/target/muster-agent.jar demo"))
            .findFirst()
            .orElseThrow(() -> new AssertionError("README.md has no demo command"));
    String after = line.substring(line.indexOf("muster-agent.jar") + "muster-agent.jar".length());
    return List.of(after.trim().split(" +"));
  }

  private String tail() {
    try {
      return Files.readString(dir.resolve("muster.log"));
    } catch (Exception e) {
      return e.toString();
    }
  }
}
