package dev.muster.haproxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.muster.discovery.Member;
import dev.muster.discovery.Renderer;
import dev.muster.discovery.Snapshot;
import dev.muster.fixtures.Closeables;
import dev.muster.fixtures.ExternalProcess;
import dev.muster.fixtures.HttpBackend;
import dev.muster.fixtures.Proxies;
import dev.muster.fixtures.ProxyConfigs;
import java.io.InputStream;
import java.net.HttpURLConnection;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two HAProxy 2.6 processes, each given the same 20 members in its own order, with {@code balance
 * uri} and {@code hash-type consistent}: with the instance-derived server {@code id} they send
 * every key to the same server, and removing or adding one member moves only about 1/N of the keys.
 * In file mode each file lists the members in its own order, and without the ids (HAProxy numbering
 * servers by position) they are measured beside it; in runtime mode each process starts from other
 * members and learns the rest through its runtime API in another order. Only loopback addresses.
 */
class HaproxyIdentityIT {
  private static final Instant T = Instant.parse("2026-12-06T00:00:00Z");
  private static final int KEYS = 1000;

  @TempDir Path dir;
  private final List<HttpBackend> backends = new ArrayList<>();
  private final List<AutoCloseable> open = new ArrayList<>();

  @AfterEach
  void stop() {
    List<AutoCloseable> all = new ArrayList<>(open);
    all.addAll(backends);
    Closeables.closeAll(all.toArray(AutoCloseable[]::new));
  }

  private List<Member> members(int count) {
    List<Member> out = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      HttpBackend b = HttpBackend.start("web-" + i, "127.0.0." + (100 + i));
      backends.add(b);
      out.add(
          Member.newBuilder(String.format("i-%017x", 0x5eed0000L + i * 7919L))
              .address(b.address())
              .port(b.port())
              .build());
    }
    return out;
  }

  /** One HAProxy serving {@code members} in that order; {@code ids} false strips the ids. */
  private int proxy(String name, List<Member> members, boolean ids) throws Exception {
    int port = ExternalProcess.freeTcpPort();
    Renderer renderer =
        HaproxyConfig.newBuilder()
            .headerText(ProxyConfigs.haproxyHeader(port, null))
            .backendOptions("web", "    balance uri\n    hash-type consistent")
            .serverOptions("")
            .build();
    String text = renderer.render(Map.of("web", Snapshot.of(members, T)));
    if (!ids) {
      text = text.replaceAll(" id [0-9]+ weight ", " weight ");
    }
    Path cfg = Files.writeString(dir.resolve(name + ".cfg"), text);
    open.add(Proxies.haproxy(cfg, dir.resolve(name + ".sock"), port));
    return port;
  }

  /** A HAProxy in runtime mode, started from {@code first}; its runtime applies the rest. */
  private record RuntimeHost(int port, HaproxyRuntime runtime) {
    void apply(List<Member> members) {
      runtime.apply(Map.of("web", Snapshot.of(members, T)));
    }
  }

  private RuntimeHost runtimeHost(String name, List<Member> first) throws Exception {
    int port = ExternalProcess.freeTcpPort();
    Path admin = dir.resolve(name + "-admin.sock");
    Path master = dir.resolve(name + ".sock");
    Path cfg = dir.resolve(name + ".cfg");
    HaproxyRuntime runtime =
        HaproxyRuntime.newBuilder()
            .statsSocket(admin)
            .configFile(cfg)
            .reloader(Haproxy.reloader(master))
            .config(
                HaproxyConfig.newBuilder()
                    .headerText(ProxyConfigs.haproxyHeader(port, admin))
                    .backendOptions("web", "    balance uri\n    hash-type consistent")
                    .serverOptions(""))
            .pollInterval(java.time.Duration.ofMillis(20))
            .build();
    runtime.bootstrap(Map.of("web", Snapshot.of(first, T)));
    open.add(Proxies.haproxy(cfg, master, port));
    dev.muster.fixtures.Await.until(
        () -> Files.exists(admin), java.time.Duration.ofSeconds(10), "the stats socket");
    return new RuntimeHost(port, runtime);
  }

  @Test
  void inRuntimeModeHostsThatLearntTheFleetInDifferentOrdersAgree() throws Exception {
    List<Member> fleet = members(21);
    List<Member> twenty = fleet.subList(0, 20);
    RuntimeHost a = runtimeHost("rt-a", twenty.subList(0, 5));
    RuntimeHost b = runtimeHost("rt-b", twenty.subList(15, 20));
    List<Member> seenByA = new ArrayList<>(twenty.subList(0, 5));
    for (int i = 5; i < 20; i++) { // one launch at a time, in launch order
      seenByA.add(twenty.get(i));
      a.apply(seenByA);
    }
    List<Member> seenByB = new ArrayList<>(twenty.subList(15, 20));
    for (int i = 14; i >= 0; i -= 3) { // three at a time, newest first
      seenByB.addAll(twenty.subList(Math.max(0, i - 2), i + 1));
      b.apply(seenByB);
    }

    Map<String, String> routeA = route(a.port());
    Map<String, String> routeB = route(b.port());
    List<Member> nineteen = new ArrayList<>(twenty);
    nineteen.remove(7);
    a.apply(nineteen);
    Map<String, String> removed = route(a.port());
    a.apply(twenty);
    Map<String, String> back = route(a.port());
    a.apply(fleet);
    Map<String, String> added = route(a.port());

    int movedByRemoval = KEYS - agree(routeA, removed);
    int movedByAddition = KEYS - agree(routeA, added);
    System.out.printf(
        "HAProxy identity, runtime mode (balance uri, hash-type consistent, 20 servers, %d keys):"
            + " two hosts that learnt the fleet in different orders agree on %d; removing one"
            + " moves %d keys, adding it back restores %d, adding a 21st moves %d; reloads %d%n",
        KEYS,
        agree(routeA, routeB),
        movedByRemoval,
        agree(routeA, back),
        movedByAddition,
        a.runtime().reloadCount() + b.runtime().reloadCount());
    assertEquals(KEYS, agree(routeA, routeB), "the same server for every key on both hosts");
    assertTrue(movedByRemoval <= KEYS * 1.5 / 20, "removal moved " + movedByRemoval);
    assertTrue(movedByAddition <= KEYS * 1.5 / 21, "addition moved " + movedByAddition);
    assertEquals(KEYS, agree(routeA, back), "the member back in its place");
    assertEquals(0, a.runtime().reloadCount() + b.runtime().reloadCount());
  }

  private static Map<String, String> route(int port) throws Exception {
    Map<String, String> out = new HashMap<>();
    for (int k = 0; k < KEYS; k++) {
      HttpURLConnection c =
          (HttpURLConnection)
              URI.create("http://127.0.0.1:" + port + "/k" + k).toURL().openConnection();
      c.setConnectTimeout(2000);
      c.setReadTimeout(5000);
      try (InputStream in = c.getInputStream()) {
        out.put("/k" + k, new String(in.readAllBytes(), StandardCharsets.UTF_8).trim());
      }
    }
    return out;
  }

  private static int agree(Map<String, String> a, Map<String, String> b) {
    int same = 0;
    for (String key : a.keySet()) {
      if (a.get(key).equals(b.get(key))) {
        same++;
      }
    }
    return same;
  }

  @Test
  void everyHostSendsAKeyToTheSameServerAndOneChangeMovesAboutOneNth() throws Exception {
    List<Member> fleet = members(21);
    List<Member> twenty = fleet.subList(0, 20);
    List<Member> shuffled = new ArrayList<>(twenty);
    Collections.shuffle(shuffled, new Random(7));

    Map<String, String> a = route(proxy("a", twenty, true));
    Map<String, String> b = route(proxy("b", shuffled, true));
    Map<String, String> plainA = route(proxy("plain-a", twenty, false));
    Map<String, String> plainB = route(proxy("plain-b", shuffled, false));

    List<Member> nineteen = new ArrayList<>(twenty);
    nineteen.remove(7);
    Map<String, String> removed = route(proxy("removed", nineteen, true));
    Map<String, String> added = route(proxy("added", fleet, true));
    Map<String, String> plainRemoved = route(proxy("plain-removed", nineteen, false));

    int movedByRemoval = KEYS - agree(a, removed);
    int movedByAddition = KEYS - agree(a, added);
    System.out.printf(
        "HAProxy identity (balance uri, hash-type consistent, 20 servers, %d keys): two hosts in"
            + " different orders agree on %d with ids, %d without; removing one moves %d keys,"
            + " adding one moves %d; without ids removing one moves %d%n",
        KEYS,
        agree(a, b),
        agree(plainA, plainB),
        movedByRemoval,
        movedByAddition,
        KEYS - agree(plainA, plainRemoved));
    assertEquals(KEYS, agree(a, b), "the same server for every key on both hosts");
    assertTrue(movedByRemoval <= KEYS * 1.5 / 20, "removal moved " + movedByRemoval);
    assertTrue(movedByAddition <= KEYS * 1.5 / 21, "addition moved " + movedByAddition);
  }
}
