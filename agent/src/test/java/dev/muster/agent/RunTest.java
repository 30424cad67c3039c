package dev.muster.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.muster.testkit.FakeEc2;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code muster run} as a real process: it keeps the output in step, SIGHUP with a valid file adds
 * a backend without a restart, SIGHUP with a broken file keeps the running one, and SIGTERM ends it
 * with exit code 0.
 */
class RunTest {
  @TempDir Path dir;
  private FakeEc2 ec2;
  private Process process;
  private int statusPort;

  @BeforeEach
  void start() throws Exception {
    try (java.net.ServerSocket free =
        new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      statusPort = free.getLocalPort();
    }
    ec2 = FakeEc2.start();
    ec2.fleet().launch(2, spec -> spec.privateIps("10.0.0.1", "10.0.0.2").tag("layer", "app"));
    ec2.fleet().launch(1, spec -> spec.privateIps("10.0.1.1").tag("layer", "api"));
    Headers.write(dir, 18082);
  }

  @AfterEach
  void stop() {
    if (process != null) {
      process.destroyForcibly();
    }
    ec2.close();
  }

  private Path config(String backends, String outputBackends) throws Exception {
    return Files.writeString(
        dir.resolve("muster.yaml"),
        """
        aws: {region: us-east-1, endpoint: ENDPOINT}
        discovery: {interval: 1s}
        backends:
        BACKENDS
        outputs:
          edge:
            type: haproxy
            header: header.cfg
            file: haproxy.cfg
            backends: [OUTPUT]
            reload: {command: ["true"]}
        status: {listen: "127.0.0.1:PORT"}
        """
            .replace("PORT", Integer.toString(statusPort))
            .replace("ENDPOINT", ec2.endpoint().toString())
            .replace("BACKENDS", backends)
            .replace("OUTPUT", outputBackends));
  }

  private void await(BooleanSupplier condition, String what) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (!condition.getAsBoolean()) {
      assertTrue(process.isAlive(), "muster ended early: " + log());
      assertTrue(System.nanoTime() < deadline, "waited 60 s for " + what + ": " + log());
      Thread.sleep(50);
    }
  }

  private String log() {
    try {
      return Files.readString(dir.resolve("muster.log"));
    } catch (Exception e) {
      return e.toString();
    }
  }

  private String output() {
    try {
      return Files.readString(dir.resolve("haproxy.cfg"));
    } catch (Exception e) {
      return "";
    }
  }

  /** {@code STATUS BODY} of a GET on the status listener, or the error. */
  private String get(String path) {
    try {
      java.net.HttpURLConnection connection =
          (java.net.HttpURLConnection)
              java.net.URI.create("http://127.0.0.1:" + statusPort + path).toURL().openConnection();
      connection.setConnectTimeout(2000);
      connection.setReadTimeout(2000);
      int code = connection.getResponseCode();
      java.io.InputStream in =
          code < 400 ? connection.getInputStream() : connection.getErrorStream();
      return code + " " + new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    } catch (java.io.IOException e) {
      return e.toString();
    }
  }

  private void signal(String name) throws Exception {
    assertTrue(MusterProcess.signal(process, name));
  }

  @Test
  void keepsTheOutputInStepReloadsOnSighupAndExitsZeroOnSigterm() throws Exception {
    Path file = config("  web: {tags: {layer: app}, port: 8080}", "web");
    process = MusterProcess.run(file, dir.resolve("muster.log"));

    await(() -> output().contains(" 10.0.0.2:8080 "), "the first output");
    await(() -> get("/healthz").equals("200 ok\n"), "/healthz to say ok");
    String status = get("/status");
    assertTrue(status.startsWith("200 {\"backends\":{\"web\":{\"members\":2,"), status);
    assertTrue(status.contains("\"outputs\":{\"edge\":{\"lastResult\":\"APPLIED\""), status);

    config(
        "  web: {tags: {layer: app}, port: 8080}\n  api: {tags: {layer: api}, port: 9090}",
        "web, api");
    signal("HUP");
    await(() -> output().contains(" 10.0.1.1:9090 "), "the backend added by SIGHUP");
    // The reload logs real changes only: web's members were added once, at the start.
    assertEquals(2, log().split("web: \\+ i-", -1).length - 1, log());
    assertTrue(!log().contains("STALE"), log());

    Files.writeString(file, Files.readString(file).replace("port: 9090", "port: ninety"));
    signal("HUP");
    await(() -> log().contains("muster.yaml:5: backends.api.port"), "the refusal in the log");
    String health = get("/healthz");
    assertTrue(health.startsWith("503 configuration: "), health);
    assertTrue(health.contains("muster.yaml:5: backends.api.port"), health);
    assertTrue(get("/status").contains("\"reloadFailure\":\""), get("/status"));
    assertTrue(get("/metrics").contains("muster_config_reload_failed 1.0"), get("/metrics"));
    ec2.fleet().launch(1, spec -> spec.privateIps("10.0.0.3").tag("layer", "app"));
    await(() -> output().contains(" 10.0.0.3:8080 "), "the running config to go on");
    Files.writeString(file, Files.readString(file).replace("port: ninety", "port: 9090"));
    signal("HUP");
    await(() -> get("/healthz").equals("200 ok\n"), "/healthz to say ok once the file loads");
    assertTrue(get("/metrics").contains("muster_config_reload_failed 0.0"), get("/metrics"));

    signal("TERM");
    assertTrue(process.waitFor(30, TimeUnit.SECONDS));
    assertEquals(0, process.exitValue(), log());
  }

  @Test
  void underNohupTheLogSaysThatSighupWillNotReload() throws Exception {
    Path file = config("  web: {tags: {layer: app}, port: 8080}", "web");
    process =
        MusterProcess.start(
            java.util.List.of("nohup"),
            dir.resolve("muster.log"),
            "run",
            "--config",
            file.toString());

    await(() -> output().contains(" 10.0.0.2:8080 "), "the first output");
    assertTrue(log().contains("SIGHUP was ignored when muster started (nohup?)"), log());
    signal("TERM");
    assertTrue(process.waitFor(30, TimeUnit.SECONDS));
  }

  /**
   * SIGHUP during a held mass removal, without a state directory: the reloaded configuration keeps
   * what the guard held, and /healthz keeps saying why.
   */
  @Test
  void sighupDoesNotPublishAHeldMassRemoval() throws Exception {
    ec2.fleet()
        .launch(
            5,
            spec ->
                spec.privateIps("10.0.0.3", "10.0.0.4", "10.0.0.5", "10.0.0.6", "10.0.0.7")
                    .tag("layer", "app"));
    Path file = config("  web: {tags: {layer: app}, port: 8080}", "web");
    process = MusterProcess.run(file, dir.resolve("muster.log"));
    await(() -> output().contains(" 10.0.0.7:8080 "), "the first output");
    ec2.fleet().running().stream()
        .filter(i -> "app".equals(i.tags().get("layer")))
        .skip(2)
        .forEach(i -> ec2.fleet().terminate(i.instanceId()));
    await(() -> get("/healthz").contains("held: fetch would remove 5 of 7"), "the hold");

    signal("HUP");
    await(() -> log().contains("SIGHUP: "), "the reload");
    Thread.sleep(4_000); // four more fetches at 1 s

    assertTrue(output().contains(" 10.0.0.7:8080 "), "still the 7 members: " + output());
    assertTrue(get("/healthz").contains("held: fetch would remove 5 of 7"), get("/healthz"));
  }
}
