package dev.muster.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The library demo (examples/target/muster-demo.jar) runs from start to end on this machine, with a
 * real HAProxy.
 */
class DemoIT {

  @Test
  void demoPlaysTheWholeScriptAndWritesTheFiles(@TempDir Path dir) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    PrintStream print = new PrintStream(out, true, StandardCharsets.UTF_8);

    int code = Demo.run(List.of("--dir", dir.toString()), print, print);

    String text = out.toString(StandardCharsets.UTF_8);
    System.out.println(text);
    assertEquals(0, code, text);
    assertTrue(text.contains("HAProxy listens on"), "CI installs haproxy");
    assertTrue(text.contains("probe requests through HAProxy, answered by"), text);
    assertTrue(text.contains("failed fetch(es) in a row"), text);
    assertTrue(text.contains("still serving 4 members"), text);
    assertTrue(text.contains("haproxy.cfg has no 'evil' line"), text);
    assertTrue(text.contains("guard: held: fetch would remove 2 of 3 members"), text);
    for (String file : List.of("haproxy.cfg", "upstreams.conf", "dispatcher.list")) {
      assertTrue(Files.exists(dir.resolve(file)), file);
    }
    assertTrue(
        text.lines().filter(l -> l.contains("answered by")).noneMatch(l -> l.contains("failed")),
        "no probe failed");
  }
}
