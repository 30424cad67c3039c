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
  @TempDir Path dir;

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
    return Main.run(
        List.of(args),
        new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
  }

  private String[] common(String command, String... more) {
    List<String> args =
        new ArrayList<>(
            List.of(
                command,
                "--region",
                "us-east-1",
                "--endpoint",
                ec2.endpoint().toString(),
                "--tag",
                "role=web",
                "--port",
                "8080"));
    args.addAll(List.of(more));
    return args.toArray(String[]::new);
  }

  @Test
  void helpExitsZeroAndListsTheOptions() {
    assertEquals(0, run("haproxy", "--help"));

    String help = out.toString(StandardCharsets.UTF_8);
    for (String option :
        List.of(
            "--region",
            "--endpoint",
            "--tag",
            "--port",
            "--interval",
            "--once",
            "--dry-run",
            "--out",
            "--header",
            "--master-socket",
            "Exit codes")) {
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
    assertEquals(
        2,
        run(
            "nginx",
            "--region",
            "us-east-1",
            "--tag",
            "role=web",
            "--port",
            "0",
            "--once",
            "--dry-run"));

    assertTrue(
        err.toString(StandardCharsets.UTF_8).contains("--port must be"),
        err.toString(StandardCharsets.UTF_8));
  }

  @Test
  void onceDryRunPrintsTheRenderedFile() throws IOException {
    Path header = dir.resolve("header.cfg");
    Files.writeString(header, "defaults\n    mode http\n");

    assertEquals(0, run(common("haproxy", "--header", header.toString(), "--once", "--dry-run")));

    String printed = out.toString(StandardCharsets.UTF_8);
    assertTrue(printed.contains("backend web\n"), printed);
    assertTrue(printed.contains(" 10.0.0.1:8080 weight 100 check inter 5s fall 3"), printed);
  }

  @Test
  void onceWritesTheFileAndAKeyAloneMeansTagKey() throws IOException {
    Path file = dir.resolve("upstreams.conf");

    assertEquals(
        0,
        run(
            "nginx",
            "--region",
            "us-east-1",
            "--endpoint",
            ec2.endpoint().toString(),
            "--tag",
            "role",
            "--port",
            "8080",
            "--once",
            "--out",
            file.toString()));

    String written = Files.readString(file);
    assertTrue(written.contains("server 10.0.0.2:8080 weight=100"), written);
    assertTrue(ec2.requests().get(0).params().containsValue("tag-key"));
  }

  @Test
  void fetchFailureExitsOne() {
    assertEquals(
        1,
        run(
            "nginx",
            "--region",
            "us-east-1",
            "--endpoint",
            "http://127.0.0.1:1",
            "--tag",
            "role=web",
            "--port",
            "8080",
            "--once",
            "--dry-run"));
  }

  @Test
  void refusedConfigurationExitsThree() {
    Path file = dir.resolve("dispatcher.list");

    assertEquals(
        3,
        run(
            "kamailio",
            "--region",
            "us-east-1",
            "--endpoint",
            ec2.endpoint().toString(),
            "--tag",
            "role=web",
            "--port",
            "5060",
            "--max-entries",
            "1",
            "--once",
            "--out",
            file.toString()));

    assertTrue(err.toString(StandardCharsets.UTF_8).contains("more than the cap of 1"));
    assertTrue(Files.notExists(file));
  }

  @Test
  void aTypoInATagNeverEmptiesALiveConfiguration() throws IOException {
    Path header = dir.resolve("header.cfg");
    Files.writeString(
        header,
        "defaults\n    mode http\n    timeout connect 1s\n"
            + "    timeout client 1s\n    timeout server 1s\nfrontend fe\n"
            + "    bind 127.0.0.1:18080\n    default_backend web\n");
    Path file = dir.resolve("haproxy.cfg");
    assertEquals(
        0,
        run(common("haproxy", "--header", header.toString(), "--once", "--out", file.toString())),
        err.toString(StandardCharsets.UTF_8));
    String live = Files.readString(file);

    assertEquals(
        4,
        run(
            "haproxy",
            "--region",
            "us-east-1",
            "--endpoint",
            ec2.endpoint().toString(),
            "--tag",
            "role=wbe",
            "--port",
            "8080",
            "--header",
            header.toString(),
            "--once",
            "--out",
            file.toString()));

    assertEquals(live, Files.readString(file));
    String said = err.toString(StandardCharsets.UTF_8);
    assertTrue(said.contains("fetch returned 0 members, fewer than minMembers 1"), said);
    assertTrue(said.contains("--tag role=wbe in us-east-1"), said);
  }

  @Test
  void onceRefusesAMassRemovalAgainstTheStateFileUntilAccepted() throws IOException {
    ec2.fleet().launch(3, spec -> spec.tag("role", "web"));
    Path file = dir.resolve("upstreams.conf");
    Path state = dir.resolve("web.state");
    String[] once =
        common("nginx", "--once", "--out", file.toString(), "--state-file", state.toString());
    assertEquals(0, run(once));
    List<String> running = ec2.fleet().running().stream().map(i -> i.instanceId()).toList();
    running.subList(0, 3).forEach(ec2.fleet()::terminate);
    String five = Files.readString(file);

    assertEquals(4, run(once));
    assertEquals(five, Files.readString(file));
    assertTrue(err.toString(StandardCharsets.UTF_8).contains("would remove 3 of 5 members"));

    List<String> accepted = new ArrayList<>(List.of(once));
    accepted.add("--accept-held");
    assertEquals(0, run(accepted.toArray(String[]::new)));
    assertEquals(2, Files.readString(file).lines().filter(l -> l.contains("server ")).count());
  }

  @Test
  void everyUsageErrorIsOneLineNamingTheSettingAndExitsTwo() throws IOException {
    Path header = dir.resolve("header.cfg");
    Files.writeString(header, "defaults\n");
    Path template = dir.resolve("t.ftl");
    Files.writeString(template, "x\n");
    Path notUtf8 = dir.resolve("latin1.cfg");
    Files.write(notUtf8, new byte[] {'#', ' ', (byte) 0xe9, '\n'});
    String endpoint = ec2.endpoint().toString();
    String[][] cases = {
      {"--endpoint", "--region", "us-east-1", "--endpoint", "not-a-url"},
      {"--endpoint", "--region", "us-east-1", "--endpoint", "127.0.0.1:46149"},
      {"--interval", "--endpoint", endpoint, "--interval", "0s"},
      {"--interval", "--endpoint", endpoint, "--interval", "1ms"},
      {"--asg", "--endpoint", endpoint, "--asg", "web\u0007"},
      {
        "--header and --template",
        "--endpoint",
        endpoint,
        "--header",
        header.toString(),
        "--template",
        template.toString()
      },
      {"No such file or directory", "--endpoint", endpoint, "--header", "/nope"},
      {"not valid UTF-8", "--endpoint", endpoint, "--header", notUtf8.toString()},
      {"--region", "--endpoint", endpoint, "--region", "not a region"},
      {
        "--reload-cmd",
        "--endpoint",
        endpoint,
        "--header",
        header.toString(),
        "--reload-cmd",
        "systemctl 'reload"
      },
    };
    for (String[] c : cases) {
      err.reset();
      List<String> args =
          new ArrayList<>(
              List.of(
                  "haproxy",
                  "--tag",
                  "role=web",
                  "--port",
                  "8080",
                  "--out",
                  dir.resolve("x.cfg").toString()));
      args.addAll(List.of(c).subList(1, c.length));
      if (!args.contains("--region")) {
        args.addAll(List.of("--region", "us-east-1"));
      }
      if (!args.contains("--header") && !args.contains("--template")) {
        args.addAll(List.of("--header", header.toString()));
      }
      args.add("--once");

      assertEquals(
          2,
          Main.run(
              args,
              new PrintStream(out, true, StandardCharsets.UTF_8),
              new PrintStream(err, true, StandardCharsets.UTF_8)),
          String.join(" ", args));
      String said = err.toString(StandardCharsets.UTF_8);
      assertTrue(said.startsWith("muster: ") && said.contains(c[0]), c[0] + ": " + said);
      assertEquals(2, said.lines().count(), "one line and the --help hint: " + said);
    }
  }

  @Test
  void aLongIntervalNeedsNoMaxBackoff() throws IOException {
    Path header = dir.resolve("header.cfg");
    Files.writeString(header, "defaults\n");

    assertEquals(
        0,
        run(
            common(
                "haproxy",
                "--header",
                header.toString(),
                "--interval",
                "10m",
                "--once",
                "--dry-run")));
  }

  @Test
  void theRegionComesFromTheSdkSettingsBeforeImds() throws IOException {
    System.setProperty("aws.region", "eu-west-1");
    try {
      assertEquals(
          0,
          run(
              "nginx",
              "--endpoint",
              ec2.endpoint().toString(),
              "--tag",
              "role=web",
              "--port",
              "8080",
              "--once",
              "--dry-run"));
    } finally {
      System.clearProperty("aws.region");
    }

    String authorization = ec2.requests().get(0).headers().get("authorization");
    assertTrue(authorization.contains("/eu-west-1/ec2/aws4_request"), authorization);
  }

  @Test
  void aSlowMetadataServiceForExcludeSelfIsOneLineAndExitOne() {
    String self = ec2.fleet().running().get(0).instanceId();
    try (dev.muster.testkit.FakeImds imds =
        dev.muster.testkit.FakeImds.start(ec2.fleet(), self).hangTokens(true)) {
      System.setProperty("aws.ec2MetadataServiceEndpoint", imds.endpoint().toString());
      try {
        assertEquals(1, run(common("nginx", "--exclude-self", "--once", "--dry-run")));
      } finally {
        System.clearProperty("aws.ec2MetadataServiceEndpoint");
      }
    }

    String said = err.toString(StandardCharsets.UTF_8);
    assertTrue(
        said.startsWith(
            "muster: reading this instance's identity from IMDS failed "
                + "(needed for --exclude-self)"),
        said);
    assertEquals(1, said.lines().count(), said);
  }

  @Test
  void anAwsErrorShowsItsCodeAndMessage() {
    ec2.failNext(
        1, 401, "AuthFailure", "AWS was not able to validate the provided access credentials");

    assertEquals(1, run(common("nginx", "--once", "--dry-run")));

    String said = err.toString(StandardCharsets.UTF_8);
    // The JDK HTTP client the SDK uses here drops a 401's body; the line still says what to do.
    assertTrue(said.contains("HTTP 401 (AuthFailure): the credentials were not accepted"), said);
    err.reset();
    ec2.failNext(
        1, 403, "UnauthorizedOperation", "You are not authorized to perform this " + "operation.");
    assertEquals(1, run(common("nginx", "--once", "--dry-run")));
    said = err.toString(StandardCharsets.UTF_8);
    assertTrue(said.contains("HTTP 403 UnauthorizedOperation: You are not authorized"), said);
  }

  @Test
  void sigtermStopsTheLoopWithExitCodeZero() throws Exception {
    Path file = dir.resolve("upstreams.conf");
    String classpath =
        System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    ProcessBuilder builder =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp",
                classpath,
                Main.class.getName(),
                "nginx",
                "--region",
                "us-east-1",
                "--endpoint",
                ec2.endpoint().toString(),
                "--tag",
                "role=web",
                "--port",
                "8080",
                "--interval",
                "1s",
                "--out",
                file.toString())
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve("muster.log").toFile());
    builder.environment().put("AWS_ACCESS_KEY_ID", "AKIDMUSTERTEST");
    builder.environment().put("AWS_SECRET_ACCESS_KEY", "muster-test-secret");
    Process process = builder.start();
    try {
      long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(60);
      while (!Files.exists(file) && process.isAlive() && System.nanoTime() < deadline) {
        Thread.sleep(50);
      }
      assertTrue(Files.exists(file), Files.readString(dir.resolve("muster.log")));

      process.destroy(); // SIGTERM

      assertTrue(process.waitFor(30, java.util.concurrent.TimeUnit.SECONDS));
      assertEquals(0, process.exitValue(), Files.readString(dir.resolve("muster.log")));
    } finally {
      process.destroyForcibly();
    }
  }

  @Test
  void reloadCommandsAreSplitLikeAShellWouldWithoutOne() {
    assertEquals(
        List.of("sh", "-c", "kill -USR2 $(cat /run/haproxy.pid)"),
        Options.words("reload-cmd", "sh -c 'kill -USR2 $(cat /run/haproxy.pid)'"));
    assertEquals(
        List.of("systemctl", "reload", "my proxy", "a\"b"),
        Options.words("reload-cmd", "  systemctl\treload \"my proxy\" a\\\"b "));
  }

  @Test
  void dryRunWithAnExistingFilePrintsADiff() throws IOException {
    Path file = dir.resolve("dispatcher.list");
    Files.writeString(file, "# old\n");

    assertEquals(0, run(common("kamailio", "--once", "--dry-run", "--out", file.toString())));

    assertTrue(
        out.toString(StandardCharsets.UTF_8).contains("+1 sip:10.0.0.1:8080 0 0"),
        out.toString(StandardCharsets.UTF_8));
    assertEquals("# old\n", Files.readString(file));
  }
}
