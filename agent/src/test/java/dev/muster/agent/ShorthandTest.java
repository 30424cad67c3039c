package dev.muster.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.muster.testkit.FakeEc2;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The one-line forms ({@code muster haproxy --tag ... --out ...}) against the test kit's EC2 and
 * the real {@code haproxy -c}: the same reader and rules as a file, problems named by option.
 */
@ExtendWith(TestCredentials.class)
class ShorthandTest {
  @TempDir Path dir;
  private FakeEc2 ec2;
  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();

  @BeforeEach
  void start() throws Exception {
    ec2 = FakeEc2.start();
    ec2.fleet().launch(2, spec -> spec.privateIps("10.0.0.1", "10.0.0.2").tag("role", "web"));
    Headers.write(dir, 18083);
  }

  @AfterEach
  void stop() {
    ec2.close();
  }

  private int muster(String... extra) {
    return musterTagged("role=web", extra);
  }

  private int musterTagged(String tag, String... extra) {
    List<String> args =
        new ArrayList<>(
            List.of(
                "haproxy",
                "--region",
                "us-east-1",
                "--endpoint",
                ec2.endpoint().toString(),
                "--tag",
                tag,
                "--port",
                "8080",
                "--header",
                dir.resolve("header.cfg").toString(),
                "--out",
                dir.resolve("haproxy.cfg").toString()));
    args.addAll(List.of(extra));
    return Main.run(args.toArray(String[]::new), new PrintWriter(out), new PrintWriter(err));
  }

  @Test
  void onceWritesTheFileCheckedByHaproxyAndKeepsState() throws Exception {
    Path state = dir.resolve("web.state");

    assertEquals(
        0,
        muster("--once", "--reload-cmd", "true", "--state-file", state.toString()),
        err.toString());

    String cfg = Files.readString(dir.resolve("haproxy.cfg"));
    assertTrue(cfg.contains("backend web\n"), cfg);
    assertTrue(cfg.contains(" 10.0.0.1:8080 ") && cfg.contains(" 10.0.0.2:8080 "), cfg);
    assertTrue(Files.exists(state));
  }

  @Test
  void aTypoInTheTagNeverEmptiesTheFileAndExitsFour() throws Exception {
    assertEquals(0, muster("--once"), err.toString());
    String live = Files.readString(dir.resolve("haproxy.cfg"));

    int code = musterTagged("role=wbe", "--once");

    assertEquals(4, code, err.toString());
    assertEquals(live, Files.readString(dir.resolve("haproxy.cfg")));
  }

  @Test
  void dryRunPrintsTheDiffAndWritesNothing() {
    assertEquals(0, muster("--dry-run"), err.toString());

    assertTrue(out.toString().contains("+    server "), out.toString());
    assertTrue(Files.notExists(dir.resolve("haproxy.cfg")));
  }

  @Test
  void eachProblemNamesTheOptionThatSetIt() {
    assertEquals(2, muster("--once", "--port", "80800", "--min-members", "x", "--interval", "1"));

    String problems = err.toString();
    assertTrue(
        problems.contains(
            "muster: --port: backends.web.port: must be a whole number from 1 to 65535: 80800"),
        problems);
    assertTrue(problems.contains("muster: --min-members: discovery.guard.min_members: "), problems);
    assertTrue(problems.contains("muster: --interval: discovery.interval: "), problems);
  }

  @Test
  void aValueCannotAddASettingToTheGeneratedConfiguration() {
    // The value is one quoted YAML scalar, so its newline and colon stay inside it.
    assertEquals(2, muster("--once", "--address", "private-ip\n    weight: 0"));
    assertTrue(
        err.toString().contains("muster: --address: backends.web.address: "), err.toString());

    assertEquals(2, muster("--once", "--name", "web: {}\nx"));
    assertTrue(err.toString().contains("muster: --name: backends.web: {}"), err.toString());
    assertTrue(err.toString().contains("a backend name is 1 to 63 letters"), err.toString());
    assertTrue(Files.notExists(dir.resolve("haproxy.cfg")));
  }

  @Test
  void aStateFileMustBeNamedAfterTheBackend() {
    assertEquals(2, muster("--once", "--state-file", dir.resolve("other.state").toString()));

    assertTrue(err.toString().contains("must be named web.state"), err.toString());
  }
}
