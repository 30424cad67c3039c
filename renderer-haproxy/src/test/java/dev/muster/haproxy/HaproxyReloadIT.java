package dev.muster.haproxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.muster.discovery.ApplyException;
import dev.muster.discovery.ConfigPipeline;
import dev.muster.discovery.Ec2MembershipSource;
import dev.muster.discovery.FileTarget;
import dev.muster.discovery.MemberMapping;
import dev.muster.discovery.Query;
import dev.muster.discovery.Renderer;
import dev.muster.discovery.Snapshot;
import dev.muster.discovery.testing.LoopRig;
import dev.muster.fixtures.Await;
import dev.muster.fixtures.Closeables;
import dev.muster.fixtures.HttpBackend;
import dev.muster.fixtures.HttpFleet;
import dev.muster.fixtures.LoadClient;
import dev.muster.fixtures.ScaleScript;
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
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Config-file mode against the real HAProxy: the fake EC2 fleet scales, the discovery loop renders,
 * {@code haproxy -c} validates, the master CLI reloads, and a bounded raw-socket load counts every
 * failed request.
 */
class HaproxyReloadIT {
  @TempDir Path dir;

  private HttpFleet fleet;
  private List<HttpBackend> servers;
  private FakeEc2 ec2;
  private HaproxyProcess haproxy;
  private LoopRig loop;
  private ConfigPipeline pipeline;
  private Renderer renderer;
  private Path config;
  private int port;

  @BeforeEach
  void start() throws Exception {
    ec2 = FakeEc2.start();
    fleet = HttpFleet.start(ec2, "web", 8, 2);
    servers = fleet.servers();
    launch(servers.get(0));
    launch(servers.get(1));

    port = HaproxyProcess.freePort();
    Path master = dir.resolve("master.sock");
    config = dir.resolve("haproxy.cfg");
    renderer =
        HaproxyConfig.newBuilder()
            .headerText(header(port))
            .backendOptions("web", "    balance roundrobin\n    option httpchk GET /health")
            .serverOptions("check inter 1s fall 2 rise 1")
            .build();
    Ec2MembershipSource source =
        Ec2MembershipSource.newBuilder()
            .client(ec2.client())
            .query(Query.newBuilder().tag("role", "web").build())
            .mapping(MemberMapping.newBuilder().port(80).build())
            .build();
    // Bootstrap: HAProxy needs a file before it can start; later renders of the same fleet
    // are byte-identical, so the loop's first publication changes nothing.
    FileTarget.newBuilder(config)
        .validator(Haproxy.validator())
        .build()
        .apply(renderer.render(Map.of("web", source.fetch())));
    haproxy = HaproxyProcess.start(config, master, port);

    pipeline =
        ConfigPipeline.newBuilder()
            .name("haproxy")
            .renderer(renderer)
            .target(
                FileTarget.newBuilder(config)
                    .validator(Haproxy.validator())
                    .reloader(Haproxy.reloader(master))
                    .build())
            .build();
    loop =
        LoopRig.start("web", source, Duration.ofSeconds(2), Duration.ZERO, pipeline.backend("web"));
  }

  @AfterEach
  void stop() {
    Closeables.closeAll(loop, pipeline, haproxy, ec2, fleet);
  }

  static String header(int port) {
    return dev.muster.fixtures.ProxyConfigs.haproxyHeader(port, null);
  }

  private FakeInstance launch(HttpBackend server) {
    return fleet.launch(server);
  }

  private void applyChange(Runnable change) throws InterruptedException {
    loop.applyChange(change, pipeline::appliedCount);
  }

  private static void await(BooleanSupplier condition, String what) throws InterruptedException {
    Await.until(condition, Duration.ofSeconds(20), what);
  }

  @Test
  void zeroFailedRequestsWhileTheFleetScalesTwentyFourTimes() throws Exception {
    LoadClient keepAlive =
        LoadClient.start(
            "127.0.0.1",
            port,
            LoadClient.Mode.KEEP_ALIVE,
            "/",
            2,
            1_000_000,
            Duration.ofSeconds(90));
    LoadClient close =
        LoadClient.start(
            "127.0.0.1", port, LoadClient.Mode.CLOSE, "/", 2, 1_000_000, Duration.ofSeconds(90));
    HttpBackend lastRemoved = null;
    try {
      lastRemoved =
          ScaleScript.play(
              ec2,
              fleet,
              servers.subList(2, servers.size()),
              24,
              Duration.ofMillis(200),
              this::applyChange);
      // The last removed backend gets no new requests once its removal is live.
      Thread.sleep(500);
      long afterRemoval = lastRemoved.requests();
      Thread.sleep(1500);
      assertEquals(
          afterRemoval,
          lastRemoved.requests(),
          lastRemoved + " got requests after its removal was applied");
    } finally {
      keepAlive.stop();
      close.stop();
    }

    System.out.printf(
        "HAProxy master-CLI reload mode, 24 scale events (%d reloads): %s; %s%n",
        pipeline.appliedCount(), keepAlive, close);
    System.out.println("answered by: " + keepAlive.answeredBy());
    assertEquals(0, keepAlive.failed(), keepAlive.failures().toString());
    assertEquals(0, close.failed(), close.failures().toString());
    assertTrue(keepAlive.ok() > 1000 && close.ok() > 500, keepAlive + "; " + close);
    assertEquals(24, pipeline.appliedCount());
  }

  @Test
  void inFlightSlowRequestsToARemovedBackendComplete() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      List<Future<LoadClient>> slow = new ArrayList<>();
      for (int i = 0; i < 4; i++) {
        slow.add(
            pool.submit(
                () -> {
                  return LoadClient.start(
                          "127.0.0.1",
                          port,
                          LoadClient.Mode.CLOSE,
                          "/slow?ms=2500",
                          1,
                          1,
                          Duration.ofSeconds(30))
                      .awaitCompletion();
                }));
      }
      HttpBackend first = servers.get(0);
      await(() -> first.inFlight() > 0, "a slow request on " + first);
      String leaving = fleet.instanceOf(first);

      applyChange(() -> ec2.fleet().terminate(leaving));
      // The old worker finishes the slow requests: the drain is complete only once it is gone.
      assertTrue(
          Haproxy.oldWorkers(haproxy.masterSocket) >= 1, "an old worker serves the slow requests");

      long completed = 0;
      for (Future<LoadClient> f : slow) {
        LoadClient c = f.get();
        assertEquals(0, c.failed(), c.failures().toString());
        completed += c.ok();
      }
      assertEquals(4, completed);
      await(() -> Haproxy.oldWorkers(haproxy.masterSocket) == 0, "the old worker to exit");
      System.out.println(
          "slow requests in flight across a reload that removed their backend: "
              + completed
              + " of 4 completed");
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void failedValidationKeepsTheOldConfigLiveAndServing() throws Exception {
    String before = Files.readString(config);
    Renderer broken =
        HaproxyConfig.newBuilder()
            .headerText(header(port))
            .backendOptions("web", "    no_such_keyword 1")
            .build();
    ConfigPipeline bad =
        ConfigPipeline.newBuilder()
            .renderer(broken)
            .target(
                FileTarget.newBuilder(config)
                    .validator(Haproxy.validator())
                    .reloader(Haproxy.reloader(haproxy.masterSocket))
                    .build())
            .build();
    bad.backend("web")
        .onChange(loop.discovery().current().orElseThrow(), dev.muster.discovery.Changes.NONE);

    assertTrue(bad.lastFailure() instanceof ApplyException);
    assertTrue(
        bad.lastFailure().getMessage().contains("no_such_keyword"), bad.lastFailure().getMessage());
    assertEquals(before, Files.readString(config));
    LoadClient check =
        LoadClient.start(
                "127.0.0.1", port, LoadClient.Mode.CLOSE, "/", 1, 50, Duration.ofSeconds(20))
            .awaitCompletion();
    assertEquals(50, check.ok());
    assertThrows(ApplyException.class, bad::applyNow);
  }

  @Test
  void unchangedFleetCausesNoWriteAndNoReload() throws Exception {
    long modified = Files.getLastModifiedTime(config).toMillis();
    long reloads =
        MasterCliReloader.counters(
            new dev.muster.discovery.internal.UnixSocketCli(
                    haproxy.masterSocket, Duration.ofSeconds(5))
                .send("show proc"))[0];
    int calls = ec2.describeInstancesCalls();

    for (int i = 0; i < 20; i++) {
      loop.discovery().refresh();
      int target = calls + i + 1;
      await(() -> ec2.describeInstancesCalls() >= target, "fetch " + target);
    }

    assertEquals(0, pipeline.appliedCount());
    assertEquals(modified, Files.getLastModifiedTime(config).toMillis());
    assertEquals(
        reloads,
        MasterCliReloader.counters(
            new dev.muster.discovery.internal.UnixSocketCli(
                    haproxy.masterSocket, Duration.ofSeconds(5))
                .send("show proc"))[0]);
  }

  @Test
  void hostileTagValuesProduceNoExtraLineInTheLiveConfig() throws Exception {
    List<String> hostile = new ArrayList<>(HostileCorpus.VALUES);
    hostile.add("web\nserver evil 6.6.6.6:80");
    hostile.add("x\rbackend evil");
    applyChange(
        () -> {
          for (int i = 0; i < 6; i++) {
            HttpBackend server = servers.get(2 + i);
            FakeInstance instance = launch(server);
            ec2.fleet().tag(instance.instanceId(), "Name", hostile.get(i * 4 % hostile.size()));
            ec2.fleet()
                .tag(
                    instance.instanceId(),
                    "muster:maxconn",
                    i % 2 == 0 ? "10\nbackup" : "20 backup");
          }
          ec2.fleet()
              .tag(
                  ec2.fleet().running().get(0).instanceId(),
                  "muster:weight",
                  "5\nserver evil 6.6.6.6:80");
        });

    String live = Files.readString(config);
    List<String> serverLines = live.lines().filter(l -> l.strip().startsWith("server")).toList();
    Snapshot published = loop.discovery().current().orElseThrow();
    assertEquals(published.size(), serverLines.size(), live);
    assertTrue(
        serverLines.stream()
            .allMatch(
                l ->
                    l.strip()
                        .matches(
                            "server i-[0-9a-f]{17} 127\\.0\\.0\\.\\d+:\\d+ id \\d+ weight \\d+ check inter 1s fall 2 rise 1")),
        live);
    assertTrue(live.lines().noneMatch(l -> l.contains("evil") || l.contains("backup")), live);
  }
}
