package dev.muster.nginx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.muster.discovery.ApplyException;
import dev.muster.discovery.ConfigPipeline;
import dev.muster.discovery.Ec2MembershipSource;
import dev.muster.discovery.MemberMapping;
import dev.muster.discovery.Query;
import dev.muster.discovery.testing.LoopRig;
import dev.muster.fixtures.Closeables;
import dev.muster.fixtures.HttpBackend;
import dev.muster.fixtures.HttpFleet;
import dev.muster.fixtures.LoadClient;
import dev.muster.fixtures.ProxyConfigs;
import dev.muster.fixtures.ScaleScript;
import dev.muster.testkit.FakeEc2;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * nginx without reloads against Debian's nginx 1.22 and lua-nginx-module 0.10.23: keep-alive
 * clients that never retry see no failed request across 100 membership changes, and nginx's master
 * and workers are the same processes before and after (no reload). Only loopback addresses.
 */
class NginxDynamicIT {
  @TempDir Path dir;

  private FakeEc2 ec2;
  private HttpFleet fleet;
  private NginxProcess nginx;
  private LoopRig loop;
  private ConfigPipeline pipeline;
  private Path main;
  private int port;

  /** The main configuration: the Lua module loaded, Muster's include inside http {}. */
  static String dynamicMain(Path dir, int port, Path include) {
    return """
        load_module /usr/lib/nginx/modules/ndk_http_module.so;
        load_module /usr/lib/nginx/modules/ngx_http_lua_module.so;
        """
        + ProxyConfigs.nginxMain(dir, port, include.toString())
            // Keep-alive to the members too, as a production nginx.conf would.
            .replace(
                "location / { proxy_pass http://web; }",
                "location / { proxy_pass http://web; proxy_http_version 1.1;"
                    + " proxy_set_header Connection \"\"; }");
  }

  @AfterEach
  void stop() throws Exception {
    Closeables.closeAll(loop, pipeline, dynamicSink, nginx, ec2, fleet);
    // nginx's own account, kept: the temporary folder goes.
    for (String log : List.of("error.log", "muster.conf")) {
      if (Files.exists(dir.resolve(log))) {
        Files.copy(
            dir.resolve(log),
            Path.of("target", "nginx-dynamic-" + log),
            java.nio.file.StandardCopyOption.REPLACE_EXISTING);
      }
    }
  }

  private void start() throws Exception {
    start(true);
  }

  /** The fleet, nginx and the loop; {@code dynamic} or file mode (upstream blocks, reloads). */
  private void start(boolean dynamic) throws Exception {
    start(dynamic, null);
  }

  private NginxDynamic dynamicSink;

  private void start(boolean dynamic, HealthCheck health) throws Exception {
    // nginx's workers run as another user and read the members file and the Lua module here.
    Files.setPosixFilePermissions(
        dir, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
    ec2 = FakeEc2.start();
    fleet = HttpFleet.start(ec2, "web", 12, 40);
    fleet.launch(fleet.server(0));
    fleet.launch(fleet.server(1));
    port = NginxProcess.freePort();
    main = dir.resolve("nginx.conf");
    Path include = dir.resolve("muster.conf");
    Files.writeString(main, dynamicMain(dir, port, include));
    NginxDynamic.Builder dynamicBuilder =
        Nginx.dynamic(include, main).upstreamOptions("web", "    keepalive 16;");
    if (health != null) {
      dynamicBuilder.health("web", health);
    }
    dynamicSink = dynamic ? dynamicBuilder.build() : null;
    dev.muster.discovery.Sink sink =
        dynamic
            ? dynamicSink
            : dev.muster.discovery.Sink.of(
                Nginx.renderer().upstreamOptions("web", "    keepalive 16;").build(),
                dev.muster.discovery.FileTarget.newBuilder(include)
                    .validator(Nginx.validator(main, include))
                    .reloader(Nginx.reloader(main))
                    .build());
    Ec2MembershipSource source =
        Ec2MembershipSource.newBuilder()
            .client(ec2.client())
            .query(Query.newBuilder().tag("role", "web").build())
            .mapping(MemberMapping.newBuilder().port(80).build())
            .build();
    // Before nginx runs: the include and the members file are written, the reload fails.
    ApplyException before =
        assertThrows(ApplyException.class, () -> sink.apply(Map.of("web", source.fetch())));
    assertTrue(Files.exists(include), before.getMessage());
    nginx = NginxProcess.start(main, port);
    pipeline = ConfigPipeline.newBuilder().name("nginx-dynamic").sink(sink).build();
    loop =
        LoopRig.start(
            "web", source, Duration.ofMillis(100), Duration.ZERO, pipeline.backend("web"));
  }

  private void applyChange(Runnable change) throws InterruptedException {
    loop.applyChange(change, pipeline::appliedCount);
  }

  @Test
  void keepAliveClientsThatNeverRetryLoseNothingAcrossAHundredChangesAndNginxIsNotReloaded()
      throws Exception {
    start();
    // A starting nginx serves the members file at once: both first members answer.
    LoadClient first =
        LoadClient.start(
                "127.0.0.1", port, LoadClient.Mode.CLOSE, "/", 1, 20, Duration.ofSeconds(20))
            .awaitCompletion();
    assertEquals(0, first.failed(), first.failures().toString());
    assertEquals(2, first.answeredBy().size(), first.answeredBy().toString());

    // The include was written before nginx ran, so the first apply reloaded it once (the
    // reload FileTarget owed); from here on, nothing may.
    dev.muster.fixtures.Await.until(
        () -> pipeline.pendingSince() == null && Nginx.workers(main).size() == 1,
        Duration.ofSeconds(30),
        "the first apply, and the worker from before it to exit");
    long master = Workers.masterPid(main);
    Set<Long> workers = Nginx.workers(main);
    Played run = playUnderLoad();
    System.out.printf(
        "nginx dynamic mode, %s; master %d and workers %s unchanged: %s%n",
        run, master, workers, workers.equals(Nginx.workers(main)));
    assertEquals(0, run.load().failed(), run.load().failures().toString());
    assertTrue(run.load().ok() > 1000, run.toString());
    assertTrue(run.changes() >= 100, run.toString());
    assertEquals(master, Workers.masterPid(main), "the same master");
    assertEquals(workers, Nginx.workers(main), "the same workers: no reload");
  }

  /** What {@link #playUnderLoad} measured. */
  record Played(LoadClient load, int changes, long millis) {
    @Override
    public String toString() {
      return changes
          + " membership changes in "
          + millis
          + " ms under keep-alive load without retries: "
          + load;
    }
  }

  /** 100 changes, 50 ms apart, under 4 keep-alive clients that never retry. */
  private Played playUnderLoad() throws InterruptedException {
    int appliedBefore = pipeline.appliedCount();
    long started = System.nanoTime();
    LoadClient plain =
        LoadClient.start(
            "127.0.0.1",
            port,
            LoadClient.Mode.KEEP_ALIVE,
            "/",
            4,
            1_000_000,
            Duration.ofSeconds(120));
    try {
      List<HttpBackend> spare = fleet.servers().subList(2, fleet.servers().size());
      ScaleScript.play(ec2, fleet, spare, 100, Duration.ofMillis(50), this::applyChange);
    } finally {
      plain.stop();
      plain.awaitCompletion();
    }
    return new Played(
        plain, pipeline.appliedCount() - appliedBefore, (System.nanoTime() - started) / 1_000_000);
  }

  /** The same script against file mode (an nginx reload per change): measured, not promised. */
  @Test
  void theSameScriptInFileModeReloadsAtEveryChange() throws Exception {
    start(false);
    dev.muster.fixtures.Await.until(
        () -> pipeline.pendingSince() == null, Duration.ofSeconds(30), "the first apply");
    Played run = playUnderLoad();
    System.out.printf("nginx file mode (one reload per change), %s%n", run);
    assertTrue(run.changes() >= 100, run.toString());
    assertTrue(run.load().ok() > 0, run.toString());
  }

  @Test
  void withoutMusterNginxKeepsServingAndARestartedNginxServesTheLastMembersAtOnce()
      throws Exception {
    start();
    dev.muster.fixtures.Await.until(
        () -> pipeline.pendingSince() == null, Duration.ofSeconds(30), "the first apply");
    loop.applyChange(() -> fleet.launch(fleet.server(2)), pipeline::appliedCount);
    // Muster goes away.
    loop.close();
    pipeline.close();
    LoadClient still =
        LoadClient.start(
                "127.0.0.1", port, LoadClient.Mode.CLOSE, "/", 1, 30, Duration.ofSeconds(20))
            .awaitCompletion();
    assertEquals(0, still.failed(), still.failures().toString());
    assertEquals(3, still.answeredBy().size(), still.answeredBy().toString());
    // nginx restarts with no Muster running: the members file feeds the new shared dict.
    nginx.close();
    nginx = NginxProcess.start(main, port);
    LoadClient restarted =
        LoadClient.start(
                "127.0.0.1", port, LoadClient.Mode.CLOSE, "/", 1, 30, Duration.ofSeconds(20))
            .awaitCompletion();
    assertEquals(0, restarted.failed(), restarted.failures().toString());
    assertEquals(3, restarted.answeredBy().size(), restarted.answeredBy().toString());
  }

  @Test
  void aDrainWaitsForTheRequestsInFlightAndTheMemberGetsNoNewOne() throws Exception {
    start();
    dev.muster.fixtures.Await.until(
        () -> pipeline.pendingSince() == null, Duration.ofSeconds(30), "the first apply");
    HttpBackend target = fleet.server(0);
    String id = fleet.instanceOf(target);
    java.util.concurrent.ExecutorService pool =
        java.util.concurrent.Executors.newFixedThreadPool(4);
    try {
      List<java.util.concurrent.Future<LoadClient>> slow = new java.util.ArrayList<>();
      for (int i = 0; i < 4; i++) {
        slow.add(
            pool.submit(
                () ->
                    LoadClient.start(
                            "127.0.0.1",
                            port,
                            LoadClient.Mode.CLOSE,
                            "/slow?ms=3000",
                            1,
                            1,
                            Duration.ofSeconds(30))
                        .awaitCompletion()));
      }
      dev.muster.fixtures.Await.until(
          () -> target.inFlight() > 0, Duration.ofSeconds(10), "a slow request on the target");
      dev.muster.discovery.Drain wait = pipeline.prepareDrain(Set.of(id));
      pipeline.drain(Set.of(id), Duration.ofMinutes(5));
      long requestsAtDrain = target.requests();
      long started = System.nanoTime();
      wait.await(java.time.Instant.now().plusSeconds(20));
      long waited = (System.nanoTime() - started) / 1_000_000;
      assertEquals(0, target.inFlight(), "the drain returned only after the slow requests");
      for (java.util.concurrent.Future<LoadClient> f : slow) {
        LoadClient c = f.get();
        assertEquals(0, c.failed(), c.failures().toString());
      }
      LoadClient more =
          LoadClient.start(
                  "127.0.0.1", port, LoadClient.Mode.CLOSE, "/", 1, 50, Duration.ofSeconds(20))
              .awaitCompletion();
      assertEquals(0, more.failed(), more.failures().toString());
      assertEquals(requestsAtDrain, target.requests(), "no new request to the drained member");
      System.out.printf("nginx dynamic mode: the drain waited %d ms for slow requests%n", waited);
      assertTrue(waited > 500, "it waited: " + waited + " ms");
    } finally {
      pool.shutdownNow();
    }
  }

  /** The members that answered {@code count} requests through nginx. */
  private java.util.Map<String, Long> answers(int count) throws InterruptedException {
    LoadClient probe =
        LoadClient.start(
                "127.0.0.1", port, LoadClient.Mode.CLOSE, "/", 1, count, Duration.ofSeconds(20))
            .awaitCompletion();
    assertEquals(0, probe.failed(), probe.failures().toString());
    return probe.answeredBy();
  }

  @Test
  void activeHealthChecksTakeAFailingMemberOutAndFailOpenWhenAllFail() throws Exception {
    start(true, new HealthCheck("/health", Duration.ofMillis(200), Duration.ofMillis(150), 2, 2));
    fleet.launch(fleet.server(2));
    dev.muster.fixtures.Await.until(
        () -> {
          try {
            return pipeline.pendingSince() == null && answers(30).size() == 3;
          } catch (InterruptedException e) {
            throw new IllegalStateException(e);
          }
        },
        Duration.ofSeconds(30),
        "three healthy members taking requests");

    // A new member whose check fails gets no request (warm-up: rise successes first); once its
    // check passes, it does.
    HttpBackend late = fleet.server(3);
    late.healthy(false);
    fleet.launch(late);
    dev.muster.fixtures.Await.until(
        () -> pipeline.pendingSince() == null && dynamicSink.membersLive().contains(late.address()),
        Duration.ofSeconds(30),
        "the new member in the balancer");
    Thread.sleep(1000);
    assertEquals(3, answers(40).size(), "the unchecked new member takes no request");
    assertEquals(0, late.requests(), "no request before its check passed");
    late.healthy(true);
    dev.muster.fixtures.Await.until(
        () -> {
          try {
            return answers(40).containsKey(late.name());
          } catch (InterruptedException e) {
            throw new IllegalStateException(e);
          }
        },
        Duration.ofSeconds(10),
        "the new member to take requests once its check passes");
    loop.applyChange(() -> ec2.fleet().terminate(fleet.instanceOf(late)), pipeline::appliedCount);

    HttpBackend sick = fleet.server(0);
    long failedAt = System.nanoTime();
    sick.healthy(false);
    dev.muster.fixtures.Await.until(
        () -> {
          try {
            return !answers(12).containsKey(sick.name());
          } catch (InterruptedException e) {
            throw new IllegalStateException(e);
          }
        },
        Duration.ofSeconds(10),
        "the failing member to stop getting requests");
    long outAfter = (System.nanoTime() - failedAt) / 1_000_000;
    long before = sick.requests();
    assertEquals(2, answers(40).size());
    assertEquals(before, sick.requests(), "no request to the failing member");

    fleet.server(1).healthy(false);
    fleet.server(2).healthy(false);
    dev.muster.fixtures.Await.until(
        () -> dynamicSink.healthFailOpen().getOrDefault("web", 0L) > 0,
        Duration.ofSeconds(10),
        "every member failing: fail open");
    dev.muster.fixtures.Await.until(
        () -> {
          try {
            return answers(30).size() == 3;
          } catch (InterruptedException e) {
            throw new IllegalStateException(e);
          }
        },
        Duration.ofSeconds(10),
        "all three members in again (fail open)");
    System.out.printf(
        "nginx dynamic mode health: a failing member out after %d ms (fall 2 x 200 ms); all"
            + " failing: fail open, %s%n",
        outAfter, dynamicSink.healthFailOpen());
  }
}
