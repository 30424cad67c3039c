package dev.muster.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.muster.fixtures.ExternalProcess;
import dev.muster.fixtures.HttpBackend;
import dev.muster.fixtures.HttpFleet;
import dev.muster.fixtures.LoadClient;
import dev.muster.fixtures.Proxies;
import dev.muster.testkit.FakeAutoScaling;
import dev.muster.testkit.FakeEc2;
import dev.muster.testkit.FakeSqs;
import java.net.HttpURLConnection;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Drain before terminate, end to end: the agent process, HAProxy 2.6 in runtime mode, the test
 * kit's EC2, SQS and Auto Scaling (real SDK clients throughout). Auto Scaling scales in a backend
 * that has slow requests in flight under a keep-alive load; the lifecycle hook's notification
 * reaches the agent's queue; the agent drains the server, and completes the action only once its
 * sessions reached 0. And with a 60 s poll interval, an EC2 state-change event brings a new
 * instance into HAProxy in seconds.
 */
class LifecycleDrainIT {
  private static final String GROUP = "web-asg";
  private static final String HOOK = "muster-edge";

  @TempDir Path dir;

  private FakeEc2 ec2;
  private FakeSqs sqs;
  private FakeAutoScaling autoscaling;
  private HttpFleet web;
  private Process muster;
  private ExternalProcess haproxy;
  private int port;

  @AfterEach
  void stop() throws Exception {
    if (muster != null) {
      muster.destroyForcibly();
    }
    if (haproxy != null) {
      haproxy.close();
    }
    for (AutoCloseable c : new AutoCloseable[] {web, autoscaling, sqs, ec2}) {
      if (c != null) {
        c.close();
      }
    }
  }

  @Test
  void aTerminatingBackendIsDrainedBeforeItsActionIsCompletedWithNoFailedRequest()
      throws Exception {
    ec2 = FakeEc2.start();
    sqs = FakeSqs.start();
    autoscaling = FakeAutoScaling.start(ec2.fleet());
    String queue = sqs.createQueue("muster-edge", Duration.ofSeconds(30));
    autoscaling.terminateHook(
        GROUP,
        HOOK,
        sqs,
        queue,
        Duration.ofSeconds(4),
        "ABANDON",
        FakeAutoScaling.Format.EVENTBRIDGE);
    web = HttpFleet.start(ec2, "web", 4, 50);
    for (int i = 0; i < 3; i++) {
      web.launch(web.server(i));
    }
    port = ExternalProcess.freeTcpPort();
    Files.writeString(
        dir.resolve("header.cfg"),
        """
        global
            stats socket %1$s/admin.sock mode 600 level admin
            hard-stop-after 30s
        defaults
            mode http
            timeout connect 2s
            timeout client 30s
            timeout server 30s
            option idle-close-on-response
        frontend fe
            bind 127.0.0.1:%2$d
            default_backend web
        """
            .formatted(dir, port));
    Path config =
        Files.writeString(
            dir.resolve("muster.yaml"),
            """
            aws:
              region: us-east-1
              endpoint: EC2
              endpoints: {sqs: SQS, autoscaling: ASG}
            discovery: {interval: 60s}
            backends:
              web: {tags: {role: web}, port: 80}
            outputs:
              edge:
                type: haproxy
                mode: runtime
                header: header.cfg
                file: haproxy.cfg
                stats_socket: admin.sock
                backends: [web]
                reload: {master_socket: master.sock}
                server_options: check inter 200ms fall 2 rise 1
                drain_timeout: 20s
                warmup_timeout: 5s
            events:
              queue: QUEUE
              lifecycle_hook: muster-edge
              drain_timeout: 30s
              heartbeat_interval: 1s
              visibility_timeout: 10s
            """
                .replace("EC2", ec2.endpoint().toString())
                .replace("SQS", sqs.endpoint().toString())
                .replace("ASG", autoscaling.endpoint().toString())
                .replace("QUEUE", queue));
    muster = MusterProcess.run(config, dir.resolve("muster.log"));
    await(() -> Files.exists(dir.resolve("haproxy.cfg")), "the first haproxy.cfg");
    haproxy = Proxies.haproxy(dir.resolve("haproxy.cfg"), dir.resolve("master.sock"), port);
    await(
        () -> HaproxyStats.up(dir.resolve("admin.sock"), "web").size() == 3,
        "three servers UP in HAProxy");

    HttpBackend target = web.server(0);
    String targetId = web.instanceOf(target);
    ExecutorService slow = Executors.newFixedThreadPool(6);
    AtomicLong lastInFlight = new AtomicLong();
    Thread watcher =
        new Thread(
            () -> {
              while (!Thread.currentThread().isInterrupted()) {
                if (target.inFlight() > 0) {
                  lastInFlight.set(System.currentTimeMillis());
                }
                try {
                  Thread.sleep(5);
                } catch (InterruptedException e) {
                  return;
                }
              }
            });
    watcher.setDaemon(true);
    watcher.start();
    try (LoadClient load =
        LoadClient.start(
            "127.0.0.1",
            port,
            LoadClient.Mode.KEEP_ALIVE,
            "/",
            4,
            1_000_000,
            Duration.ofSeconds(120))) {
      // Slow requests (6 s each) spread over the three servers: some are on the target.
      List<Future<Integer>> inFlight = new ArrayList<>();
      for (int i = 0; i < 6; i++) {
        inFlight.add(slow.submit(() -> get("/slow?ms=6000")));
      }
      await(() -> target.inFlight() > 0, "a slow request on the target");

      long terminatedAt = System.currentTimeMillis();
      autoscaling.terminate(GROUP, targetId);
      await(
          () ->
              !HaproxyStats.status(dir.resolve("admin.sock"), "web")
                  .getOrDefault(target.address() + ":" + target.port(), "")
                  .startsWith("UP"),
          "HAProxy to stop sending new requests to the target");
      long drainSeenAt = System.currentTimeMillis();
      long requestsAtDrain = target.requests();
      await(() -> "Terminated".equals(autoscaling.lifecycleState(targetId)), "the termination");

      for (Future<Integer> f : inFlight) {
        assertEquals(200, f.get(30, TimeUnit.SECONDS), "every slow request completes");
      }
      FakeAutoScaling.Completion completion = autoscaling.completions().get(0);
      load.stop();
      load.awaitCompletion();
      watcher.interrupt();
      long heartbeats = autoscaling.heartbeats(HOOK, targetId);
      System.out.printf(
          "Lifecycle drain: event to drain in HAProxy %d ms; last in-flight request on the target"
              + " ended %d ms before CompleteLifecycleAction (%s, %d heartbeats, hook timeout 4 s);"
              + " keep-alive load %d ok, %d failed%n",
          drainSeenAt - terminatedAt,
          completion.at().toEpochMilli() - lastInFlight.get(),
          completion.result(),
          heartbeats,
          load.ok(),
          load.failed());
      assertEquals("CONTINUE", completion.result());
      assertTrue(!completion.timedOut(), "completed by the agent, not by the hook's timeout");
      assertTrue(heartbeats >= 1, "the 6 s drain outlived the 4 s heartbeat timeout");
      assertTrue(
          completion.at().toEpochMilli() >= lastInFlight.get(),
          "completed only after the target's last session ended");
      // At most the load's 4 requests that HAProxy had already routed when the drain was seen.
      assertTrue(
          target.requests() - requestsAtDrain <= 4,
          "no new requests after the drain: " + (target.requests() - requestsAtDrain));
      assertEquals(0, load.failed(), load.failures().toString());
      assertTrue(load.ok() > 100, load.toString());
    } finally {
      slow.shutdownNow();
    }

    // Reaction: a new instance with a 60 s poll interval, announced by its state-change event.
    HttpBackend fresh = web.server(3);
    String freshId = web.launch(fresh).instanceId();
    long launchedAt = System.currentTimeMillis();
    sqs.send(
        queue,
        "{\"version\":\"0\",\"detail-type\":\"EC2 Instance State-change Notification\","
            + "\"source\":\"aws.ec2\",\"detail\":{\"instance-id\":\""
            + freshId
            + "\",\"state\":\"running\"}}");
    await(
        () ->
            HaproxyStats.up(dir.resolve("admin.sock"), "web")
                .contains(fresh.address() + ":" + fresh.port()),
        "the new instance UP in HAProxy");
    System.out.printf(
        "Lifecycle drain: state-change event to new server UP in HAProxy: %d ms"
            + " (poll interval 60 s)%n",
        System.currentTimeMillis() - launchedAt);
    assertEquals(
        Set.of(
            web.server(1).address() + ":" + web.server(1).port(),
            web.server(2).address() + ":" + web.server(2).port(),
            fresh.address() + ":" + fresh.port()),
        HaproxyStats.up(dir.resolve("admin.sock"), "web"));
  }

  private int get(String path) throws Exception {
    HttpURLConnection c =
        (HttpURLConnection) URI.create("http://127.0.0.1:" + port + path).toURL().openConnection();
    c.setConnectTimeout(2000);
    c.setReadTimeout(30_000);
    int code = c.getResponseCode();
    c.getInputStream().readAllBytes();
    return code;
  }

  private void await(BooleanSupplier condition, String what) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (!condition.getAsBoolean()) {
      assertTrue(muster.isAlive(), "muster ended early: " + log());
      assertTrue(System.nanoTime() < deadline, "waited 60 s for " + what + ":\n" + log());
      Thread.sleep(20);
    }
  }

  private String log() {
    try {
      Files.copy(
          dir.resolve("muster.log"),
          Path.of("target", "lifecycle-drain-muster.log"),
          java.nio.file.StandardCopyOption.REPLACE_EXISTING);
      String text = Files.readString(dir.resolve("muster.log"));
      return text.length() > 20_000 ? text.substring(text.length() - 20_000) : text;
    } catch (Exception e) {
      return e.toString();
    }
  }
}
