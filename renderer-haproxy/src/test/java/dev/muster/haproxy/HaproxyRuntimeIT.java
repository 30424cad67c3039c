package dev.muster.haproxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.muster.discovery.ConfigPipeline;
import dev.muster.discovery.Ec2MembershipSource;
import dev.muster.discovery.MemberMapping;
import dev.muster.discovery.Query;
import dev.muster.discovery.internal.UnixSocketCli;
import dev.muster.discovery.testing.LoopRig;
import dev.muster.fixtures.Await;
import dev.muster.fixtures.Closeables;
import dev.muster.fixtures.HttpBackend;
import dev.muster.fixtures.HttpFleet;
import dev.muster.fixtures.LoadClient;
import dev.muster.fixtures.ScaleScript;
import dev.muster.haproxy.internal.RuntimeApi;
import dev.muster.haproxy.internal.StatsSocketApi;
import dev.muster.testkit.FakeEc2;
import dev.muster.testkit.FakeInstance;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runtime-API mode against the real HAProxy: membership changes become stats-socket commands
 * (drain, warm-up, ready), with no reload unless the slots run out.
 */
class HaproxyRuntimeIT {
  @TempDir Path dir;

  private HttpFleet fleet;
  private List<HttpBackend> servers;
  private FakeEc2 ec2;
  private HaproxyProcess haproxy;
  private LoopRig loop;
  private HaproxyRuntime runtime;
  private ConfigPipeline pipeline;
  private StatsSocketApi api;
  private int port;

  private void start(int slots, int initialMembers) throws Exception {
    ec2 = FakeEc2.start();
    fleet = HttpFleet.start(ec2, "web", 8, 20);
    servers = fleet.servers();
    for (int i = 0; i < initialMembers; i++) {
      launch(servers.get(i));
    }
    port = HaproxyProcess.freePort();
    Path admin = dir.resolve("admin.sock");
    Path master = dir.resolve("master.sock");
    Path config = dir.resolve("haproxy.cfg");
    runtime =
        HaproxyRuntime.newBuilder()
            .statsSocket(admin)
            .configFile(config)
            .reloader(Haproxy.reloader(master))
            .config(
                Haproxy.renderer()
                    .headerText(
                        HaproxyReloadIT.header(port)
                            .replace(
                                "global\n",
                                "global\n    stats socket " + admin + " mode 600 level admin\n"))
                    .backendOptions("web", "    balance roundrobin\n    option httpchk GET /health")
                    .serverOptions("check inter 200ms fall 2 rise 1"))
            .slots(slots)
            .drainTimeout(Duration.ofSeconds(10))
            .warmupTimeout(Duration.ofSeconds(3))
            .pollInterval(Duration.ofMillis(50))
            .build();
    Ec2MembershipSource source =
        Ec2MembershipSource.newBuilder()
            .client(ec2.client())
            .query(Query.newBuilder().tag("role", "web").build())
            .mapping(MemberMapping.newBuilder().port(80).build())
            .build();
    pipeline =
        ConfigPipeline.newBuilder()
            .name("haproxy")
            .sink(runtime)
            .retryBackoff(Duration.ofMillis(500), Duration.ofSeconds(2))
            .build();
    var listener = pipeline.backend("web");
    runtime.bootstrap(Map.of("web", source.fetch()));
    haproxy = HaproxyProcess.start(config, master, port);
    api = new StatsSocketApi(admin);
    loop = LoopRig.start("web", source, Duration.ofSeconds(2), Duration.ZERO, listener);
  }

  @AfterEach
  void stop() {
    Closeables.closeAll(loop, pipeline, haproxy, ec2, fleet);
  }

  private FakeInstance launch(HttpBackend server) {
    return fleet.launch(server);
  }

  private void applyChange(Runnable change) throws InterruptedException {
    loop.applyChange(change, loop::publications);
  }

  private long masterReloads() throws Exception {
    return MasterCliReloader.counters(
        new UnixSocketCli(haproxy.masterSocket, Duration.ofSeconds(5)).send("show proc"))[0];
  }

  private static void await(BooleanSupplier condition, String what) throws InterruptedException {
    Await.until(condition, Duration.ofSeconds(30), what);
  }

  @Test
  void zeroFailedRequestsAndNoReloadWhileTheFleetScalesTwentyFourTimes() throws Exception {
    start(8, 2);
    long reloadsBefore = masterReloads();
    LoadClient keepAlive =
        LoadClient.start(
            "127.0.0.1",
            port,
            LoadClient.Mode.KEEP_ALIVE,
            "/",
            2,
            1_000_000,
            Duration.ofSeconds(120));
    LoadClient close =
        LoadClient.start(
            "127.0.0.1", port, LoadClient.Mode.CLOSE, "/", 2, 1_000_000, Duration.ofSeconds(120));
    HttpBackend lastRemoved = null;
    try {
      lastRemoved =
          ScaleScript.play(
              ec2,
              fleet,
              servers.subList(2, servers.size()),
              24,
              Duration.ofMillis(100),
              this::applyChange);
      long afterDrain = lastRemoved.requests();
      Thread.sleep(1000);
      assertEquals(
          afterDrain,
          lastRemoved.requests(),
          lastRemoved + " got requests after its drain finished");
    } finally {
      keepAlive.stop();
      close.stop();
    }

    System.out.printf(
        "HAProxy runtime-API mode, 24 scale events, %d reloads: %s; %s%n",
        masterReloads() - reloadsBefore, keepAlive, close);
    System.out.println("answered by: " + keepAlive.answeredBy());
    assertEquals(0, keepAlive.failed(), keepAlive.failures().toString());
    assertEquals(0, close.failed(), close.failures().toString());
    assertTrue(keepAlive.ok() > 1000 && close.ok() > 500, keepAlive + "; " + close);
    assertEquals(reloadsBefore, masterReloads(), "runtime mode needs no reload");
    assertEquals(0, runtime.reloadCount());
  }

  @Test
  void drainWaitsForInFlightRequestsBeforeMaintenance() throws Exception {
    start(4, 2);
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      List<Future<LoadClient>> slow = new ArrayList<>();
      for (int i = 0; i < 4; i++) {
        slow.add(
            pool.submit(
                () ->
                    LoadClient.start(
                            "127.0.0.1",
                            port,
                            LoadClient.Mode.CLOSE,
                            "/slow?ms=2000",
                            1,
                            1,
                            Duration.ofSeconds(30))
                        .awaitCompletion()));
      }
      HttpBackend first = servers.get(0);
      await(() -> first.inFlight() > 0, "a slow request on " + first);
      String leaving = fleet.instanceOf(first);
      long started = System.nanoTime();

      applyChange(() -> ec2.fleet().terminate(leaving));
      long drainMillis = (System.nanoTime() - started) / 1_000_000;

      assertEquals(0, first.inFlight(), "maint only after the in-flight requests finished");
      int completed = 0;
      for (Future<LoadClient> f : slow) {
        LoadClient c = f.get();
        assertEquals(0, c.failed(), c.failures().toString());
        completed += (int) c.ok();
      }
      assertEquals(4, completed);
      assertTrue(
          api.serversState("web").values().stream()
              .filter(server -> server.address().equals(first.address()))
              .allMatch(RuntimeApi.ServerState::maint),
          "the drained slot is in maintenance");
      System.out.println(
          "drain of a backend with slow requests in flight took "
              + drainMillis
              + " ms; "
              + completed
              + " of 4 slow requests completed");
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void newMemberGetsNoTrafficUntilItsHealthCheckPasses() throws Exception {
    start(4, 2);
    HttpBackend sick = servers.get(2);
    sick.healthy(false);

    applyChange(() -> launch(sick));
    LoadClient probe =
        LoadClient.start(
                "127.0.0.1", port, LoadClient.Mode.CLOSE, "/", 1, 200, Duration.ofSeconds(20))
            .awaitCompletion();

    assertEquals(0, probe.failed(), probe.failures().toString());
    assertEquals(0, sick.requests(), "a member that fails its check stays drained");
    sick.healthy(true);
    String slot =
        api.serversState("web").values().stream()
            .filter(server -> server.address().equals(sick.address()))
            .findFirst()
            .orElseThrow()
            .name();
    await(() -> api.serversState("web").get(slot).healthy(), "the check to pass");
    runtime.verify("web");
    assertTrue(api.serversState("web").get(slot).ready());
    LoadClient after =
        LoadClient.start(
                "127.0.0.1", port, LoadClient.Mode.CLOSE, "/", 1, 60, Duration.ofSeconds(20))
            .awaitCompletion();
    assertEquals(0, after.failed());
    assertTrue(sick.requests() > 0, "traffic flows once it is healthy and ready");
  }

  @Test
  void slotsGrowWithOneReloadAndNoFailedRequest() throws Exception {
    start(2, 2);
    long reloadsBefore = masterReloads();
    LoadClient close =
        LoadClient.start(
            "127.0.0.1", port, LoadClient.Mode.CLOSE, "/", 2, 1_000_000, Duration.ofSeconds(60));
    try {
      applyChange(
          () ->
              ec2.fleet()
                  .atomically(
                      f -> {
                        launch(servers.get(2));
                        launch(servers.get(3));
                      }));
      Thread.sleep(500);
    } finally {
      close.stop();
    }

    assertEquals(0, close.failed(), close.failures().toString());
    assertEquals(1, runtime.reloadCount());
    assertEquals(reloadsBefore + 1, masterReloads());
    assertEquals(6, runtime.slotCount("web"), "4 needed, and half again");
    assertTrue(servers.get(2).requests() > 0 && servers.get(3).requests() > 0);
  }

  @Test
  void driftIsRepairedAndTheFileIsKeptInStep() throws Exception {
    start(4, 3);
    api.setServer("web", "srv2", "weight 1");
    api.setServer("web", "srv4", "addr 127.0.0.99 port 9");
    api.setServer("web", "srv4", "state ready");

    assertEquals(2, runtime.verify("web"));
    assertEquals(100, api.serversState("web").get("srv2").weight());
    assertTrue(api.serversState("web").get("srv4").maint());

    String config = Files.readString(dir.resolve("haproxy.cfg"));
    assertEquals(3, config.lines().filter(l -> l.contains(" weight 100 ")).count(), config);
    assertEquals(1, config.lines().filter(l -> l.contains("127.0.0.1:1 disabled")).count());
  }
}
