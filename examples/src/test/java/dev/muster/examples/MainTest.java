package dev.muster.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.muster.testkit.FakeEc2;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The command line: options, exit codes, and --once against the fake EC2. */
class MainTest {
  @TempDir
  Path dir;

  private FakeEc2 ec2;
  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();

  @BeforeAll
  static void credentials() {
    // The sidecar uses the SDK's default credential chain; system properties come first.
    System.setProperty("aws.accessKeyId", "AKIDMUSTERTEST");
    System.setProperty("aws.secretAccessKey", "muster-test-secret");
  }

  @AfterAll
  static void clearCredentials() {
    System.clearProperty("aws.accessKeyId");
    System.clearProperty("aws.secretAccessKey");
  }

  @BeforeEach
  void start() {
    ec2 = FakeEc2.start();
    ec2.fleet().launch(2, spec -> spec.privateIps("10.0.0.1", "10.0.0.2").tag("role", "web"));
  }

  @AfterEach
  void stop() {
    ec2.close();
  }

  private int run(String... args) {
    return Main.run(List.of(args), new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
  }

  private String[] common(String command, String... more) {
    List<String> args = new ArrayList<>(List.of(command, "--region", "us-east-1",
        "--endpoint", ec2.endpoint().toString(), "--tag", "role=web", "--port", "8080"));
    args.addAll(List.of(more));
    return args.toArray(String[]::new);
  }

  @Test
  void helpExitsZeroAndListsTheOptions() {
    assertEquals(0, run("haproxy", "--help"));

    String help = out.toString(StandardCharsets.UTF_8);
    for (String option : List.of("--region", "--endpoint", "--tag", "--port", "--interval",
        "--once", "--dry-run", "--out", "--header", "--master-socket", "Exit codes")) {
      assertTrue(help.contains(option), option);
    }
  }

  @Test
  void noArgumentsIsAUsageError() {
    assertEquals(2, run());
  }

  @Test
  void unknownOptionIsAUsageErrorNamingIt() {
    assertEquals(2, run("nginx", "--colour", "blue"));

    assertTrue(err.toString(StandardCharsets.UTF_8).contains("unknown option --colour"));
  }

  @Test
  void badPortIsAUsageErrorNamingIt() {
    assertEquals(2, run("nginx", "--region", "us-east-1", "--tag", "role=web", "--port", "0",
        "--once", "--dry-run"));

    assertTrue(err.toString(StandardCharsets.UTF_8).contains("--port must be"),
        err.toString(StandardCharsets.UTF_8));
  }

  @Test
  void onceDryRunPrintsTheRenderedFile() throws IOException {
    Path header = dir.resolve("header.cfg");
    Files.writeString(header, "defaults\n    mode http\n");

    assertEquals(0, run(common("haproxy", "--header", header.toString(), "--once",
        "--dry-run")));

    String printed = out.toString(StandardCharsets.UTF_8);
    assertTrue(printed.contains("backend web\n"), printed);
    assertTrue(printed.contains(" 10.0.0.1:8080 weight 100 check inter 5s fall 3"), printed);
  }

  @Test
  void onceWritesTheFileAndAKeyAloneMeansTagKey() throws IOException {
    Path file = dir.resolve("upstreams.conf");

    assertEquals(0, run("nginx", "--region", "us-east-1", "--endpoint",
        ec2.endpoint().toString(), "--tag", "role", "--port", "8080", "--once",
        "--out", file.toString()));

    String written = Files.readString(file);
    assertTrue(written.contains("server 10.0.0.2:8080 weight=100"), written);
    assertTrue(ec2.requests().get(0).params().containsValue("tag-key"));
  }

  @Test
  void fetchFailureExitsOne() {
    assertEquals(1, run("nginx", "--region", "us-east-1", "--endpoint", "http://127.0.0.1:1",
        "--tag", "role=web", "--port", "8080", "--once", "--dry-run"));
  }

  @Test
  void refusedConfigurationExitsThree() {
    Path file = dir.resolve("dispatcher.list");

    assertEquals(3, run("kamailio", "--region", "us-east-1", "--endpoint",
        ec2.endpoint().toString(), "--tag", "role=nothing", "--port", "5060", "--once",
        "--out", file.toString()));

    assertTrue(err.toString(StandardCharsets.UTF_8).contains("no destinations"));
    assertTrue(Files.notExists(file));
  }

  @Test
  void dryRunWithAnExistingFilePrintsADiff() throws IOException {
    Path file = dir.resolve("dispatcher.list");
    Files.writeString(file, "# old\n");

    assertEquals(0, run(common("kamailio", "--once", "--dry-run", "--out", file.toString())));

    assertTrue(out.toString(StandardCharsets.UTF_8).contains("+1 sip:10.0.0.1:8080 0 0"),
        out.toString(StandardCharsets.UTF_8));
    assertEquals("# old\n", Files.readString(file));
  }
}
