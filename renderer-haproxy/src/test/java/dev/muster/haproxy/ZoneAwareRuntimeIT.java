package dev.muster.haproxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.muster.discovery.Member;
import dev.muster.discovery.Snapshot;
import dev.muster.discovery.internal.UnixSocketCli;
import dev.muster.fixtures.Await;
import dev.muster.fixtures.Closeables;
import dev.muster.fixtures.HttpBackend;
import dev.muster.fixtures.LoadClient;
import dev.muster.fixtures.ProxyConfigs;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A zone-aware backend in runtime mode on the real HAProxy, under keep-alive load: the proxy's own
 * zone takes all traffic while it holds the floor; when it drops below, the other zone's servers
 * are swapped from backup to primary through the runtime API, and back when the zone recovers; no
 * request fails and HAProxy never reloads. Only loopback addresses.
 */
class ZoneAwareRuntimeIT {
  private static final Instant T = Instant.parse("2026-12-06T00:00:00Z");

  @TempDir Path dir;
  private final List<HttpBackend> backends = new ArrayList<>();
  private HaproxyProcess haproxy;

  @AfterEach
  void stop() {
    List<AutoCloseable> all = new ArrayList<>(backends);
    all.add(haproxy);
    Closeables.closeAll(all.toArray(AutoCloseable[]::new));
  }

  private Member member(String id, String zone, int n) {
    HttpBackend b = HttpBackend.start(id, "127.0.0." + (140 + n));
    backends.add(b);
    return Member.newBuilder(id).address(b.address()).port(b.port()).availabilityZone(zone).build();
  }

  private static Map<String, Snapshot> web(Member... members) {
    return Map.of("web", Snapshot.of(List.of(members), T));
  }

  /** The master's reload count; its socket may refuse a connection right after start. */
  private long masterReloads() throws Exception {
    for (int attempt = 1; ; attempt++) {
      try {
        return MasterCliReloader.counters(
            new UnixSocketCli(haproxy.masterSocket, Duration.ofSeconds(5)).send("show proc"))[0];
      } catch (java.io.IOException e) {
        if (attempt == 20) {
          throw e;
        }
        Thread.sleep(100);
      }
    }
  }

  @Test
  void theOtherZoneTakesOverBelowTheFloorAndHandsBackWithoutAReload() throws Exception {
    Member a1 = member("i-a1", "us-east-1a", 1);
    Member a2 = member("i-a2", "us-east-1a", 2);
    Member b1 = member("i-b1", "us-east-1b", 3);
    Member b2 = member("i-b2", "us-east-1b", 4);
    HttpBackend otherB1 = backends.get(2);
    HttpBackend otherB2 = backends.get(3);
    int port = HaproxyProcess.freePort();
    Path admin = dir.resolve("admin.sock");
    Path config = dir.resolve("haproxy.cfg");
    HaproxyRuntime runtime =
        HaproxyRuntime.newBuilder()
            .statsSocket(admin)
            .configFile(config)
            .reloader(Haproxy.reloader(dir.resolve("master.sock")))
            .config(
                Haproxy.renderer()
                    .headerText(ProxyConfigs.haproxyHeader(port, admin))
                    .backendOptions("web", "    option httpchk GET /health")
                    .serverOptions("check inter 200ms fall 2 rise 1")
                    .zone("us-east-1a")
                    .zoneAware("web", 2))
            .drainTimeout(Duration.ofSeconds(10))
            .warmupTimeout(Duration.ofSeconds(5))
            .pollInterval(Duration.ofMillis(50))
            .build();
    runtime.bootstrap(web(a1, a2, b1, b2));
    haproxy = HaproxyProcess.start(config, dir.resolve("master.sock"), port);
    Await.until(() -> Files.exists(admin), Duration.ofSeconds(10), "the stats socket");
    long reloadsBefore = masterReloads();
    LoadClient load =
        LoadClient.start(
            "127.0.0.1",
            port,
            LoadClient.Mode.KEEP_ALIVE,
            "/",
            2,
            1_000_000,
            Duration.ofSeconds(60));
    long otherZoneWhileHeld;
    long otherZoneWhilePromoted;
    try {
      Await.until(() -> load.ok() > 500, Duration.ofSeconds(20), "load through the zone");
      otherZoneWhileHeld = otherB1.requests() + otherB2.requests();

      runtime.apply(web(a1, b1, b2)); // one same-zone member left: below the floor of 2
      long promotedAt = otherB1.requests() + otherB2.requests();
      Await.until(
          () -> otherB1.requests() > 50 && otherB2.requests() > 50,
          Duration.ofSeconds(20),
          "the other zone taking traffic");
      otherZoneWhilePromoted = otherB1.requests() + otherB2.requests() - promotedAt;

      runtime.apply(web(a1, a2, b1, b2)); // the zone holds its floor again
      long handedBack = otherB1.requests() + otherB2.requests();
      long ok = load.ok();
      Await.until(() -> load.ok() > ok + 500, Duration.ofSeconds(20), "more load");
      assertEquals(
          handedBack,
          otherB1.requests() + otherB2.requests(),
          "backups again: no traffic while the zone holds its floor");
    } finally {
      load.stop();
    }

    System.out.printf(
        "HAProxy runtime mode, zone-aware (floor 2): other zone served %d requests while the zone"
            + " held, %d after falling below the floor; %s; reloads %d%n",
        otherZoneWhileHeld, otherZoneWhilePromoted, load, masterReloads() - reloadsBefore);
    assertEquals(0, otherZoneWhileHeld, "the zone takes all traffic while it holds the floor");
    assertEquals(0, load.failed(), load.failures().toString());
    assertEquals(reloadsBefore, masterReloads(), "no reload");
    assertEquals(0, runtime.reloadCount());
    assertTrue(Files.readString(config).contains("server i-b1 "), "the file holds the members");
  }
}
