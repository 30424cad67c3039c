package dev.muster.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.muster.testkit.FakeEc2;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code muster once}: two backends into one HAProxy file, through the real SDK against the test
 * kit's EC2 and the real {@code haproxy -c}.
 */
@ExtendWith(TestCredentials.class)
class OnceTest {
  @TempDir Path dir;
  private FakeEc2 ec2;
  private final StringWriter err = new StringWriter();

  @BeforeEach
  void start() throws Exception {
    ec2 = FakeEc2.start();
    ec2.fleet().launch(2, spec -> spec.privateIps("10.0.0.1", "10.0.0.2").tag("layer", "app"));
    ec2.fleet().launch(1, spec -> spec.privateIps("10.0.1.1").tag("layer", "api"));
    Headers.write(dir, 18081);
  }

  @AfterEach
  void stop() {
    ec2.close();
  }

  private Path config(String webTag) throws Exception {
    return Files.writeString(
        dir.resolve("muster.yaml"),
        """
        aws: {region: us-east-1, endpoint: ENDPOINT}
        discovery: {state_dir: STATE}
        backends:
          web: {tags: {layer: WEB}, port: 8080}
          api: {tags: {layer: api}, port: 9090}
        outputs:
          edge:
            type: haproxy
            header: header.cfg
            file: haproxy.cfg
            backends: [web, api]
            reload: {command: ["true"]}
            server_options: check inter 3s
            backend_options: {web: "    balance leastconn"}
        """
            .replace("ENDPOINT", ec2.endpoint().toString())
            .replace("STATE", dir.toString())
            .replace("WEB", webTag));
  }

  private int once(Path config) {
    return Main.run(
        new String[] {"once", "--config", config.toString()},
        new PrintWriter(new StringWriter()),
        new PrintWriter(err));
  }

  @Test
  void writesEveryBackendIntoItsOutputOnce() throws Exception {
    assertEquals(0, once(config("app")), err.toString());

    String cfg = Files.readString(dir.resolve("haproxy.cfg"));
    assertTrue(cfg.contains("backend web\n"), cfg);
    assertTrue(
        java.util.regex.Pattern.compile(
                " 10\\.0\\.0\\.2:8080 id [0-9]+ weight 100 check inter 3s\n")
            .matcher(cfg)
            .find(),
        cfg);
    assertTrue(cfg.contains("backend web\n    balance leastconn\n"), cfg);
    assertTrue(cfg.contains("backend api\n") && cfg.contains(" 10.0.1.1:9090 "), cfg);
    assertTrue(Files.exists(dir.resolve("web.state")));
  }

  @Test
  void backendsWithOneQueryShareOneWalkCountedAtEc2() throws Exception {
    Path config = config("app");
    Files.writeString(
        config,
        Files.readString(config)
            .replace(
                "  api: {tags: {layer: api}, port: 9090}\n",
                "  api: {tags: {layer: api}, port: 9090}\n"
                    + "  admin: {tags: {layer: app}, port: 9443}\n")
            .replace("backends: [web, api]", "backends: [web, api, admin]"));
    ec2.clearRequests();

    assertEquals(0, once(config), err.toString());

    assertEquals(2, ec2.describeInstancesCalls(), "three backends, two distinct queries");
    String cfg = Files.readString(dir.resolve("haproxy.cfg"));
    assertTrue(cfg.contains(" 10.0.0.1:9443 ") && cfg.contains(" 10.0.0.1:8080 "), cfg);
  }

  /** The configuration with {@code aws.endpoints.SERVICE} set and the web backend replaced. */
  private Path configWith(String service, java.net.URI endpoint, String web) throws Exception {
    Path config = config("app");
    Files.writeString(
        config,
        Files.readString(config)
            .replace(
                "aws: {region: us-east-1, endpoint: " + ec2.endpoint() + "}",
                "aws: {region: us-east-1, endpoint: "
                    + ec2.endpoint()
                    + ", endpoints: {"
                    + service
                    + ": "
                    + endpoint
                    + "}}")
            .replace("web: {tags: {layer: app}, port: 8080}", web));
    return config;
  }

  @Test
  void inServiceOnlyLeavesOutInstancesAHookHoldsAndThoseInNoGroup() throws Exception {
    try (dev.muster.testkit.FakeSqs sqs = dev.muster.testkit.FakeSqs.start();
        dev.muster.testkit.FakeAutoScaling autoscaling =
            dev.muster.testkit.FakeAutoScaling.start(ec2.fleet())) {
      String queue = sqs.createQueue("hooks", java.time.Duration.ofSeconds(30));
      autoscaling.launchHook(
          "web-asg",
          "warm",
          sqs,
          queue,
          java.time.Duration.ofHours(1),
          "CONTINUE",
          dev.muster.testkit.FakeAutoScaling.Format.EVENTBRIDGE);
      var grouped =
          ec2.fleet()
              .launch(
                  2,
                  spec ->
                      spec.privateIps("10.0.2.1", "10.0.2.2")
                          .tag("layer", "app")
                          .tag(
                              dev.muster.testkit.SimulatedFleet.AUTO_SCALING_GROUP_TAG, "web-asg"));
      autoscaling.launch("web-asg", grouped.get(1).instanceId()); // Pending:Wait
      Path config =
          configWith(
              "autoscaling",
              autoscaling.endpoint(),
              "web: {tags: {layer: app}, port: 8080, in_service_only: true}");

      assertEquals(0, once(config), err.toString());

      String cfg = Files.readString(dir.resolve("haproxy.cfg"));
      assertTrue(cfg.contains(" 10.0.2.1:8080 "), "InService: " + cfg);
      assertFalse(cfg.contains("10.0.2.2"), "Pending:Wait: " + cfg);
      assertFalse(cfg.contains("10.0.0.1:8080"), "in no group: " + cfg);
      assertTrue(cfg.contains(" 10.0.1.1:9090 "), "the api backend does not ask: " + cfg);
      assertEquals(
          1,
          autoscaling.requests().stream()
              .filter(r -> "DescribeAutoScalingInstances".equals(r.get("Action")))
              .count(),
          "3 instances: one call");
    }
  }

  @Test
  void aBackendOverTwoAccountsAsksEachWithItsAssumedRole() throws Exception {
    String prod = "arn:aws:iam::111111111111:role/muster-read";
    String edge = "arn:aws:iam::222222222222:role/muster-read";
    try (dev.muster.testkit.FakeSts sts =
        dev.muster.testkit.FakeSts.start(ec2).role(prod, "ext-1").role(edge, null)) {
      ec2.fleet("111111111111", "us-east-1")
          .launch(1, spec -> spec.privateIps("10.1.0.1").tag("layer", "app"));
      ec2.fleet("222222222222", "eu-west-1")
          .launch(1, spec -> spec.privateIps("10.2.0.1").tag("layer", "app"));
      Path config =
          configWith(
              "sts",
              sts.endpoint(),
              "web:\n    tags: {layer: app}\n    port: 8080\n    accounts:\n"
                  + "      - {role_arn: \""
                  + prod
                  + "\", external_id: ext-1}\n"
                  + "      - {region: eu-west-1, role_arn: \""
                  + edge
                  + "\"}");
      ec2.clearRequests();

      assertEquals(0, once(config), err.toString());

      String cfg = Files.readString(dir.resolve("haproxy.cfg"));
      assertTrue(cfg.contains(" 10.1.0.1:8080 ") && cfg.contains(" 10.2.0.1:8080 "), cfg);
      assertFalse(cfg.contains("10.0.0.1:8080"), "the agent's own account is not asked: " + cfg);
      assertEquals(2, sts.calls().size(), sts.calls().toString());
      assertTrue(sts.calls().stream().allMatch(c -> c.sessionName().startsWith("muster-")));
      assertEquals(
          java.util.Set.of("111111111111", "222222222222"),
          ec2.requests().stream()
              .filter(r -> "DescribeInstances".equals(r.action()))
              .filter(r -> r.params().containsValue("app"))
              .map(ec2::accountOf)
              .collect(java.util.stream.Collectors.toSet()));
    }
  }

  @Test
  void aZoneAwareBackendWritesOtherZonesAsBackups() throws Exception {
    Path config = config("app");
    Files.writeString(
        config,
        Files.readString(config)
            .replace(
                "aws: {region: us-east-1, endpoint: " + ec2.endpoint() + "}",
                "aws: {region: us-east-1, zone: us-east-1a, endpoint: " + ec2.endpoint() + "}")
            .replace(
                "web: {tags: {layer: app}, port: 8080}",
                "web: {tags: {layer: app}, port: 8080, zone_aware: 1}"));

    assertEquals(0, once(config), err.toString()); // haproxy -c accepted it

    String cfg = Files.readString(dir.resolve("haproxy.cfg"));
    String inA = cfg.lines().filter(l -> l.contains("10.0.0.1:8080")).findFirst().orElseThrow();
    String inB = cfg.lines().filter(l -> l.contains("10.0.0.2:8080")).findFirst().orElseThrow();
    assertFalse(inA.contains(" backup"), cfg);
    assertTrue(inB.contains(" backup"), cfg);
    assertFalse(
        cfg.lines().filter(l -> l.contains(":9090")).anyMatch(l -> l.contains(" backup")),
        "api is not zone-aware: " + cfg);
  }

  @Test
  void aTypoInOneBackendAppliesNothingAndExitsFour() throws Exception {
    assertEquals(0, once(config("app")));
    String live = Files.readString(dir.resolve("haproxy.cfg"));

    assertEquals(4, once(config("apq")));

    assertEquals(live, Files.readString(dir.resolve("haproxy.cfg")));
    assertTrue(
        err.toString().contains("backend web: nothing applied: refused: fetch returned 0"),
        err.toString());
  }

  @Test
  void renderPrintsTheDiffAndTouchesNothing() throws Exception {
    Path config = config("app");
    StringWriter out = new StringWriter();

    assertEquals(
        0,
        Main.run(
            new String[] {"render", "--config", config.toString()},
            new PrintWriter(out),
            new PrintWriter(err)),
        err.toString());

    assertTrue(out.toString().contains("# edge\n--- /dev/null\n"), out.toString());
    assertTrue(out.toString().contains("+    server "), out.toString());
    assertTrue(Files.notExists(dir.resolve("haproxy.cfg")), "nothing written");
    assertTrue(Files.notExists(dir.resolve("web.state")), "no state saved");
  }

  @Test
  void renderOfARuntimeModeOutputListsTheServersEachBackendWouldHold() throws Exception {
    Path config = config("app");
    Files.writeString(
        config,
        Files.readString(config)
            .replace(
                "type: haproxy\n",
                "type: haproxy\n    mode: runtime\n    stats_socket: /nope.sock\n"));
    StringWriter out = new StringWriter();

    assertEquals(
        0,
        Main.run(
            new String[] {"render", "--config", config.toString()},
            new PrintWriter(out),
            new PrintWriter(err)),
        err.toString());

    String text = out.toString();
    assertTrue(text.startsWith("# edge: runtime mode, through /nope.sock:"), text);
    assertTrue(text.contains("backend web: 2 server(s)\n"), text);
    assertTrue(text.contains(" 10.0.0.2:8080 weight 100\n"), text);
    assertTrue(text.contains("backend api: 1 server(s)\n"), text);
    assertTrue(Files.notExists(dir.resolve("haproxy.cfg")), "nothing written");
  }

  @Test
  void healthzSays503WithTheReasonOnceAnApplyIsPendingPastTheDeadline() throws Exception {
    Path config = config("app");
    Files.writeString(config, Files.readString(config).replace("[\"true\"]", "[\"false\"]"));
    try (Assembly assembly = Assembly.of(ConfigReader.read(config), "us-east-1")) {
      assertEquals(0, Main.passOnce(assembly, new PrintWriter(err), false));
      assertTrue(assembly.pipelines.get("edge").pendingSince() != null, "the reload failed");
      try (StatusServer now =
              StatusServer.start(
                  "127.0.0.1", 0, () -> assembly, OnceTest::loaded, java.time.Clock.systemUTC());
          StatusServer later =
              StatusServer.start(
                  "127.0.0.1",
                  0,
                  () -> assembly,
                  OnceTest::loaded,
                  java.time.Clock.offset(
                      java.time.Clock.systemUTC(), java.time.Duration.ofMinutes(2)))) {
        assertEquals("200 ok\n", get(now.port(), "/healthz"));
        String health = get(later.port(), "/healthz");
        assertTrue(health.startsWith("503 output edge: apply pending since "), health);
        assertTrue(health.contains("exited 1"), health);
      }
    }
  }

  @Test
  void healthzSays503OnceABackendsLastSuccessfulFetchIsOlderThanStaleAfter() throws Exception {
    Path config = config("app");
    Files.writeString(
        config, Files.readString(config) + "status: {listen: \"127.0.0.1:9\", stale_after: 30s}\n");
    try (Assembly assembly = Assembly.of(ConfigReader.read(config), "us-east-1")) {
      assertEquals(0, Main.passOnce(assembly, new PrintWriter(err), false));
      java.time.Clock at20s =
          java.time.Clock.offset(java.time.Clock.systemUTC(), java.time.Duration.ofSeconds(20));
      java.time.Clock at40s =
          java.time.Clock.offset(java.time.Clock.systemUTC(), java.time.Duration.ofSeconds(40));
      try (StatusServer fresh =
              StatusServer.start("127.0.0.1", 0, () -> assembly, OnceTest::loaded, at20s);
          StatusServer stale =
              StatusServer.start("127.0.0.1", 0, () -> assembly, OnceTest::loaded, at40s)) {
        assertEquals("200 ok\n", get(fresh.port(), "/healthz"));
        String health = get(stale.port(), "/healthz");
        assertTrue(
            health.startsWith(
                "503 backend web: no successful fetch from EC2 for 40 s (status.stale_after: 30"
                    + " s)"),
            health);
        double age =
            samples(get(stale.port(), "/metrics").substring(4))
                .get("muster_last_fetch_success_age_seconds{backend=\"web\"}");
        assertTrue(age >= 40 && age < 60, "age " + age);
      }
    }
  }

  @Test
  void onceReportsAFailedReloadWithoutPromisingARetry() throws Exception {
    Path config = config("app");
    Files.writeString(config, Files.readString(config).replace("[\"true\"]", "[\"false\"]"));
    java.io.ByteArrayOutputStream logged = new java.io.ByteArrayOutputStream();
    java.io.PrintStream stderr = System.err;
    System.setErr(new java.io.PrintStream(logged, true));
    try {
      assertEquals(3, once(config));
    } finally {
      System.setErr(stderr);
    }
    assertTrue(err.toString().contains("muster: output edge: "), err.toString());
    String all = err + logged.toString();
    assertTrue(!all.contains("next try") && !all.contains("is tried again"), all);
    assertEquals(1, all.split("exited 1", -1).length - 1, "said once: " + all);
  }

  @Test
  void sdPrometheusServesTheGuardedMembersWithTheAllowedTagsAsLabels() throws Exception {
    ec2.fleet()
        .launch(1, spec -> spec.privateIps("10.0.1.2").tag("layer", "api").tag("a.b-c", "\"x\""));
    Path config = config("app");
    Files.writeString(
        config, Files.readString(config) + "status: {listen: \"127.0.0.1:9\", sd_tags: [a.b-c]}\n");
    try (Assembly assembly = Assembly.of(ConfigReader.read(config), "us-east-1")) {
      assertEquals(0, Main.passOnce(assembly, new PrintWriter(err), false));
      try (StatusServer status =
          StatusServer.start(
              "127.0.0.1", 0, () -> assembly, OnceTest::loaded, java.time.Clock.systemUTC())) {
        String all = get(status.port(), "/sd/prometheus");
        assertTrue(all.startsWith("200 [{\"targets\":[\""), all);
        assertEquals(4, all.split("\"targets\"", -1).length - 1, all);
        String api = get(status.port(), "/sd/prometheus?backend=api");
        assertTrue(
            api.contains(
                "{\"targets\":[\"10.0.1.2:9090\"],\"labels\":{\"__meta_muster_backend\":\"api\","
                    + "\"__meta_muster_instance_id\":\"i-"),
            api);
        assertTrue(api.contains("\"__meta_muster_region\":\"us-east-1\""), api);
        assertTrue(api.contains("\"__meta_muster_tag_a_b_c\":\"\\\"x\\\"\""), api);
        assertTrue(!api.contains("10.0.0.1"), api);
        assertTrue(!api.contains("__meta_muster_tag_layer"), "only allowed tags: " + api);
        String unknown = get(status.port(), "/sd/prometheus?backend=%3Cnone%3E");
        assertTrue(unknown.startsWith("404 no backend <none> is fetched; try one of "), unknown);
      }
    }
  }

  @Test
  void metricsPassPromtoolAndCountWhatHappened() throws Exception {
    try (Assembly assembly = Assembly.of(ConfigReader.read(config("app")), "us-east-1")) {
      ec2.clearRequests();
      assertEquals(0, Main.passOnce(assembly, new PrintWriter(err), false));
      try (StatusServer status =
          StatusServer.start(
              "127.0.0.1", 0, () -> assembly, OnceTest::loaded, java.time.Clock.systemUTC())) {
        String response = get(status.port(), "/metrics");
        assertTrue(response.startsWith("200 "), response);
        String text = response.substring(4);

        // The Prometheus project's own parser and linter.
        Process promtool =
            new ProcessBuilder("promtool", "check", "metrics").redirectErrorStream(true).start();
        try (var in = promtool.getOutputStream()) {
          in.write(text.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        }
        String verdict = new String(promtool.getInputStream().readAllBytes());
        assertEquals(0, promtool.waitFor(), verdict + "\n" + text);

        java.util.Map<String, Double> samples = samples(text);
        assertEquals(2.0, samples.get("muster_members{backend=\"web\"}"), text);
        assertEquals(1.0, samples.get("muster_members{backend=\"api\"}"), text);
        assertEquals(1.0, samples.get("muster_fetches_total{backend=\"web\"}"), text);
        assertEquals(0.0, samples.get("muster_fetch_failures_total{backend=\"web\"}"), text);
        assertEquals(0.0, samples.get("muster_held{backend=\"api\"}"), text);
        assertEquals(1.0, samples.get("muster_applies_total{output=\"edge\"}"), text);
        assertEquals(1.0, samples.get("muster_reloads_total{output=\"edge\"}"), text);
        assertEquals(0.0, samples.get("muster_apply_pending{output=\"edge\"}"), text);
        assertEquals(
            (double) ec2.describeInstancesCalls(),
            samples.get("muster_aws_requests_total{operation=\"DescribeInstances\"}"),
            text);
        assertTrue(samples.get("muster_last_apply_age_seconds{output=\"edge\"}") >= 0, text);
      }
    }
  }

  /** Sample name with labels to value, from text that promtool accepted. */
  private static java.util.Map<String, Double> samples(String text) {
    java.util.Map<String, Double> out = new java.util.HashMap<>();
    for (String line : text.split("\n")) {
      if (!line.isEmpty() && !line.startsWith("#")) {
        int space = line.lastIndexOf(' ');
        out.put(line.substring(0, space), Double.valueOf(line.substring(space + 1)));
      }
    }
    return out;
  }

  private static String get(int port, String path) throws Exception {
    java.net.HttpURLConnection connection =
        (java.net.HttpURLConnection)
            java.net.URI.create("http://127.0.0.1:" + port + path).toURL().openConnection();
    int code = connection.getResponseCode();
    java.io.InputStream in = code < 400 ? connection.getInputStream() : connection.getErrorStream();
    return code + " " + new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
  }

  private static Run.ConfigStatus loaded() {
    return new Run.ConfigStatus(Path.of("muster.yaml"), java.time.Instant.EPOCH, null, null);
  }
}
