package dev.muster.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.muster.fixtures.ExternalProcess;
import dev.muster.fixtures.HttpBackend;
import dev.muster.fixtures.HttpFleet;
import dev.muster.fixtures.LoadClient;
import dev.muster.fixtures.Proxies;
import dev.muster.fixtures.ProxyConfigs;
import dev.muster.testkit.FakeAutoScaling;
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

  private LifecycleHarness aws;
  private HttpFleet web;
  private ExternalProcess proxy;
  private int port;

  @AfterEach
  void stop() throws Exception {
    if (aws != null && aws.muster != null) {
      aws.muster.destroyForcibly();
    }
    if (proxy != null) {
      proxy.close();
    }
    if (web != null) {
      web.close();
    }
    if (aws != null) {
      aws.close();
    }
  }

  @Test
  void aTerminatingBackendIsDrainedBeforeItsActionIsCompletedWithNoFailedRequest()
      throws Exception {
    start(FakeAutoScaling.Format.EVENTBRIDGE, 4, 50);
    Files.writeString(
        dir.resolve("header.cfg"), ProxyConfigs.haproxyHeader(port, dir.resolve("admin.sock")));
    aws.startMuster(
        Duration.ofSeconds(30),
        Duration.ofSeconds(1),
        """
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
        """);
    aws.await(() -> Files.exists(dir.resolve("haproxy.cfg")), "the first haproxy.cfg");
    proxy = Proxies.haproxy(dir.resolve("haproxy.cfg"), dir.resolve("master.sock"), port);
    aws.await(
        () -> HaproxyStats.up(dir.resolve("admin.sock"), "web").size() == 3,
        "three servers UP in HAProxy");

    HttpBackend target = web.server(0);
    String targetId = web.instanceOf(target);
    ExecutorService slow = Executors.newFixedThreadPool(6);
    AtomicLong lastInFlight = new AtomicLong();
    Thread watcher = watch(target, lastInFlight);
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
      aws.await(() -> target.inFlight() > 0, "a slow request on the target");

      long terminatedAt = System.currentTimeMillis();
      aws.autoscaling.terminate(GROUP, targetId);
      aws.await(
          () ->
              !HaproxyStats.status(dir.resolve("admin.sock"), "web")
                  .getOrDefault(target.address() + ":" + target.port(), "")
                  .startsWith("UP"),
          "HAProxy to stop sending new requests to the target");
      long drainSeenAt = System.currentTimeMillis();
      long requestsAtDrain = target.requests();
      aws.await(
          () -> "Terminated".equals(aws.autoscaling.lifecycleState(targetId)), "the termination");

      for (Future<Integer> f : inFlight) {
        assertEquals(200, f.get(30, TimeUnit.SECONDS), "every slow request completes");
      }
      FakeAutoScaling.Completion completion = aws.autoscaling.completions().get(0);
      load.stop();
      load.awaitCompletion();
      watcher.interrupt();
      long heartbeats = aws.autoscaling.heartbeats(HOOK, targetId);
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
      String status = aws.status();
      assertTrue(
          status.contains("\"events\":{\"received\":") && status.contains("\"completed\":1"),
          status);
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
    aws.sqs.send(
        aws.queue,
        "{\"version\":\"0\",\"detail-type\":\"EC2 Instance State-change Notification\","
            + "\"source\":\"aws.ec2\",\"detail\":{\"instance-id\":\""
            + freshId
            + "\",\"state\":\"running\"}}");
    aws.await(
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

  @Test
  void aTerminatingNginxUpstreamMemberIsCompletedOnceTheOldWorkerFinishedItsRequests()
      throws Exception {
    nginxDrain(false);
  }

  @Test
  void inDynamicModeATerminatingMemberIsCompletedOnceItsRequestsInFlightEndedWithoutAReload()
      throws Exception {
    nginxDrain(true);
  }

  /**
   * Scale-in through the lifecycle hook behind nginx, in file mode (a reload; the old worker
   * finishes the requests) or dynamic mode (the balancer; no reload, and keep-alive clients that
   * never retry lose nothing).
   */
  private void nginxDrain(boolean dynamic) throws Exception {
    start(FakeAutoScaling.Format.SNS_AUTO_SCALING, 3, dynamic ? 70 : 60);
    // nginx's workers read the members file and the Lua module in this folder.
    Files.setPosixFilePermissions(
        dir, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
    Path include = dir.resolve("upstreams.conf");
    String main = ProxyConfigs.nginxMain(dir, port, include.toString());
    if (dynamic) {
      main =
          "load_module /usr/lib/nginx/modules/ndk_http_module.so;\n"
              + "load_module /usr/lib/nginx/modules/ngx_http_lua_module.so;\n"
              + main;
    }
    Files.writeString(dir.resolve("nginx.conf"), main);
    aws.startMuster(
        Duration.ofSeconds(30),
        Duration.ofSeconds(1),
        """
        backends:
          web: {tags: {role: web}, port: 80}
        outputs:
          site:
            type: nginx
            mode: MODE
            file: upstreams.conf
            main_config: nginx.conf
            backends: [web]
        """
            .replace("MODE", dynamic ? "dynamic" : "file"));
    aws.await(() -> Files.exists(include), "the first upstreams.conf");
    proxy = Proxies.nginx(dir.resolve("nginx.conf"), port);
    HttpBackend target = web.server(0);
    String targetId = web.instanceOf(target);
    aws.await(() -> get("/") == 200 && target.requests() > 0, "nginx serving the target");
    if (dynamic) {
      // The include was written before nginx ran: the reload it owed comes with the first
      // apply that reaches the balancer; its old worker gone, nothing reloads any more.
      aws.await(() -> aws.log().contains("sent to the balancer"), "the first apply");
      aws.await(
          () -> dev.muster.nginx.Nginx.workers(dir.resolve("nginx.conf")).size() == 1,
          "the worker from before that reload to exit");
    }
    long master = Long.parseLong(Files.readString(dir.resolve("nginx.pid")).trim());

    ExecutorService slow = Executors.newFixedThreadPool(6);
    AtomicLong lastInFlight = new AtomicLong();
    Thread watcher = watch(target, lastInFlight);
    try (LoadClient load =
        LoadClient.start(
            "127.0.0.1",
            port,
            dynamic ? LoadClient.Mode.KEEP_ALIVE : LoadClient.Mode.CLOSE,
            "/",
            2,
            1_000_000,
            Duration.ofSeconds(120))) {
      List<Future<Integer>> inFlight = new ArrayList<>();
      for (int i = 0; i < 6; i++) {
        inFlight.add(slow.submit(() -> get("/slow?ms=5000")));
      }
      aws.await(() -> target.inFlight() > 0, "a slow request on the target");

      int logBefore = Files.readString(dir.resolve("muster.log")).length();
      aws.autoscaling.terminate(GROUP, targetId);
      aws.awaitTerminated(targetId);

      for (Future<Integer> f : inFlight) {
        assertEquals(200, f.get(30, TimeUnit.SECONDS), "every slow request completes");
      }
      load.stop();
      load.awaitCompletion();
      watcher.interrupt();
      String logSince = Files.readString(dir.resolve("muster.log")).substring(logBefore);
      FakeAutoScaling.Completion completion = aws.autoscaling.completions().get(0);
      System.out.printf(
          "Lifecycle drain (nginx, %s mode): last in-flight request on the target ended %d ms"
              + " before CompleteLifecycleAction (%s, %d heartbeats); load %s%n",
          dynamic ? "dynamic" : "file",
          completion.at().toEpochMilli() - lastInFlight.get(),
          completion.result(),
          aws.autoscaling.heartbeats(HOOK, targetId),
          load);
      assertEquals("CONTINUE", completion.result());
      assertTrue(!completion.timedOut(), "completed by the agent, not by the hook's timeout");
      assertTrue(
          completion.at().toEpochMilli() >= lastInFlight.get(),
          "completed only after the target's last request ended");
      assertEquals(0, load.failed(), load.failures().toString());
      if (dynamic) {
        assertEquals(
            master,
            Long.parseLong(Files.readString(dir.resolve("nginx.pid")).trim()),
            "the same nginx master");
        assertTrue(
            !logSince.contains("reloaded") && logSince.contains("no reload"),
            "the drain and the removal went to the balancer, no reload: " + logSince);
      }
    } finally {
      slow.shutdownNow();
      watcher.interrupt();
    }
  }

  /**
   * The fake AWS with a 4 s hook in {@code format}, {@code servers} web backends from
   * 127.0.0.{@code first} with the first three launched, and a free frontend port.
   */
  private void start(FakeAutoScaling.Format format, int servers, int first) {
    aws = new LifecycleHarness(dir, GROUP, HOOK, Duration.ofSeconds(4), format);
    web = HttpFleet.start(aws.ec2, "web", servers, first);
    for (int i = 0; i < 3; i++) {
      web.launch(web.server(i));
    }
    port = ExternalProcess.freeTcpPort();
  }

  /** A daemon thread that notes the last time {@code server} had a request in flight. */
  private static Thread watch(HttpBackend server, AtomicLong lastInFlight) {
    Thread watcher =
        new Thread(
            () -> {
              while (!Thread.currentThread().isInterrupted()) {
                if (server.inFlight() > 0) {
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
    return watcher;
  }
}
