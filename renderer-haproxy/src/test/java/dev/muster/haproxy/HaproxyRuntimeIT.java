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
 * Runtime-API mode against the real HAProxy: membership changes become stats-socket commands on
 * dynamic servers (add, warm-up, ready; drain, maint, delete), with no reload.
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
  private String header;

  private static final String BACKEND_OPTIONS =
      "    balance roundrobin\n    option httpchk GET /health";
  private static final String SERVER_OPTIONS = "check inter 200ms fall 2 rise 1";

  /** The file slot-based runtime mode (before dynamic servers) wrote for these members. */
  private String slotFile(List<dev.muster.discovery.Member> members) {
    StringBuilder out = new StringBuilder(header).append("\n\nbackend web\n");
    out.append(BACKEND_OPTIONS).append('\n');
    for (int i = 0; i < 4; i++) {
      String server =
          i < members.size() ? members.get(i).hostPort() + " weight 100" : "127.0.0.1:1 disabled";
      out.append("    server srv").append(i + 1).append(' ').append(server);
      out.append(' ').append(SERVER_OPTIONS).append('\n');
    }
    return out.toString();
  }

  private void start(int initialMembers) throws Exception {
    start(initialMembers, false);
  }

  /**
   * Starts the fleet with its first members, and HAProxy from the file runtime mode writes, or from
   * the file of the older slot-based runtime mode if {@code slotFile}: {@code srv1..srv4}, the
   * members in the first slots, the others disabled.
   */
  private void start(int initialMembers, boolean slotFile) throws Exception {
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
    header =
        HaproxyReloadIT.header(port)
            .replace("global\n", "global\n    stats socket " + admin + " mode 600 level admin\n");
    runtime =
        HaproxyRuntime.newBuilder()
            .statsSocket(admin)
            .configFile(config)
            .reloader(Haproxy.reloader(master))
            .config(
                Haproxy.renderer()
                    .headerText(header)
                    .backendOptions("web", BACKEND_OPTIONS)
                    .serverOptions(SERVER_OPTIONS))
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
    if (slotFile) {
      Files.writeString(config, slotFile(source.fetch().members()));
    } else {
      runtime.bootstrap(Map.of("web", source.fetch()));
    }
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
  void zeroFailedRequestsAndNoReloadWhileTheFleetChangesAHundredAndFourTimes() throws Exception {
    start(2);
    long reloadsBefore = masterReloads();
    LoadClient keepAlive =
        LoadClient.start(
            "127.0.0.1",
            port,
            LoadClient.Mode.KEEP_ALIVE,
            "/",
            2,
            1_000_000,
            Duration.ofSeconds(240));
    LoadClient close =
        LoadClient.start(
            "127.0.0.1", port, LoadClient.Mode.CLOSE, "/", 2, 1_000_000, Duration.ofSeconds(240));
    HttpBackend lastRemoved = null;
    try {
      lastRemoved =
          ScaleScript.play(
              ec2,
              fleet,
              servers.subList(2, servers.size()),
              104,
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
        "HAProxy runtime-API mode, 104 scale events, %d reloads: %s; %s%n",
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
    start(2);
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
              .noneMatch(server -> server.address().equals(first.address())),
          "the drained server is deleted");
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
    start(2);
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
    String slot = fleet.instanceOf(sick);
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
  void anUpgradeFromSlotsMovesToDynamicServersWithNoFailedRequestAndNoReload() throws Exception {
    start(2, true);
    long reloadsBefore = masterReloads();
    LoadClient keepAlive =
        LoadClient.start(
            "127.0.0.1",
            port,
            LoadClient.Mode.KEEP_ALIVE,
            "/",
            2,
            1_000_000,
            Duration.ofSeconds(60));
    try {
      await(() -> keepAlive.ok() > 200, "load through the slot servers");
      applyChange(() -> launch(servers.get(2))); // the first apply migrates, then adds
      Thread.sleep(500);
    } finally {
      keepAlive.stop();
    }

    assertEquals(0, keepAlive.failed(), keepAlive.failures().toString());
    assertEquals(reloadsBefore, masterReloads(), "no reload");
    Map<String, RuntimeApi.ServerState> state = api.serversState("web");
    assertEquals(
        java.util.Set.of(
            fleet.instanceOf(servers.get(0)),
            fleet.instanceOf(servers.get(1)),
            fleet.instanceOf(servers.get(2))),
        state.keySet(),
        "only servers named after their instances: " + state);
    String config = Files.readString(dir.resolve("haproxy.cfg"));
    assertTrue(!config.contains("srv1") && config.contains(" id "), config);
    System.out.println("slot-based to dynamic servers under keep-alive load: " + keepAlive);
  }

  @Test
  void driftIsRepairedAndTheFileIsKeptInStep() throws Exception {
    start(3);
    String first = fleet.instanceOf(servers.get(0));
    String second = fleet.instanceOf(servers.get(1));
    String third = fleet.instanceOf(servers.get(2));
    await(() -> pipeline.lastResult() != null, "the first apply"); // then nothing changes
    api.setServer("web", first, "weight 1");
    api.setServer("web", second, "state maint");
    api.command("add server web/by-hand 127.0.0.99:9 id 7");
    api.setServer("web", third, "state maint");
    api.command("del server web/" + third);

    assertEquals(4, runtime.verify("web"));

    Map<String, RuntimeApi.ServerState> state = api.serversState("web");
    assertEquals(java.util.Set.of(first, second, third), state.keySet());
    assertEquals(100, state.get(first).weight());
    assertTrue(state.values().stream().allMatch(RuntimeApi.ServerState::ready), state.toString());
    String config = Files.readString(dir.resolve("haproxy.cfg"));
    assertEquals(3, config.lines().filter(l -> l.contains(" weight 100 ")).count(), config);
  }
}
