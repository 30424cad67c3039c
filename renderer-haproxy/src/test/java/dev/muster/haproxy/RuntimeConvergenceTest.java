package dev.muster.haproxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.muster.discovery.ApplyException;
import dev.muster.discovery.Member;
import dev.muster.discovery.Snapshot;
import dev.muster.haproxy.internal.ServerSpec;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.RepetitionInfo;
import org.junit.jupiter.api.io.TempDir;

/**
 * Model-based: random membership changes (launches, terminations, weights, {@code maxconn}, moved
 * addresses, a zone-aware backend crossing its floor), each apply cut short at a random command or
 * meeting a member whose check fails, then one clean apply. Whatever happened, HAProxy (the fake)
 * then holds exactly the servers config-file mode would write, every one ready; the file it keeps
 * loads into the same servers; and no apply ever drained a server whose member stayed as it was.
 */
class RuntimeConvergenceTest {
  @TempDir Path dir;

  private static final String ZONE = "us-east-1a";

  @RepeatedTest(200)
  void convergesToTheMembersWhateverHappensOnTheWay(RepetitionInfo info) {
    Random random = new Random(info.getCurrentRepetition());
    RuntimeFixture f = new RuntimeFixture(dir);
    int floor = 1 + random.nextInt(2);
    HaproxyRuntime runtime = f.runtime(c -> c.zone(ZONE).zoneAware("web", floor));
    Map<Integer, Member> fleet = new TreeMap<>();
    for (int i = 1; i <= 3; i++) {
      fleet.put(i, member(i, random));
    }
    runtime.bootstrap(web(fleet));
    f.api.load(f.config);
    for (int step = 0; step < 12; step++) {
      change(fleet, random);
      fleet.values().forEach(m -> f.api.healthy.add(m.address()));
      if (random.nextInt(4) == 0 && !fleet.isEmpty()) {
        f.api.healthy.remove(List.copyOf(fleet.values()).get(0).address());
      }
      f.api.failAt = random.nextInt(3) == 0 ? f.api.commands + 1 + random.nextInt(8) : 0;
      Map<String, Server> before = held(f);
      before.keySet().removeIf(name -> !f.serving("web", name)); // only servers taking traffic
      f.api.log.clear();
      try {
        runtime.apply(web(fleet));
      } catch (ApplyException e) {
        // cut short, or pending: the pipeline applies again
      }
      assertNoStayingServerDrained(before, f.api.log, specs(fleet, floor));
    }
    f.api.failAt = 0;
    fleet.values().forEach(m -> f.api.healthy.add(m.address()));
    runtime.apply(web(fleet));

    Map<String, Server> wanted = new TreeMap<>();
    specs(fleet, floor).forEach(s -> wanted.put(s.name(), Server.of(s)));
    assertEquals(wanted, held(f), "HAProxy holds the members");
    assertTrue(
        f.api.backends.get("web").values().stream().allMatch(s -> !s.maint && !s.drain),
        "every server ready");
    RuntimeFixture reloaded = new RuntimeFixture(dir);
    reloaded.api.load(f.config);
    assertEquals(wanted, held(reloaded), "a reload starts from the same servers");
  }

  /** A server as HAProxy holds it, for comparison. */
  record Server(String address, int port, int id, int weight, boolean backup, int maxconn) {
    static Server of(ServerSpec s) {
      return new Server(
          s.member().address(), s.member().port(), s.id(), s.weight(), s.backup(), s.maxconn());
    }

    static Server of(FakeRuntimeApi.Server s) {
      return new Server(s.address, s.port, s.id, s.weight, s.backup, s.maxconn);
    }
  }

  private static Map<String, Server> held(RuntimeFixture f) {
    Map<String, Server> out = new TreeMap<>();
    f.api.backends.get("web").forEach((name, s) -> out.put(name, Server.of(s)));
    return out;
  }

  /**
   * A drain before any {@code add server} of that name hit a server that took traffic and whose
   * member stayed (a drain of one found in maintenance is its warm-up starting again).
   */
  private static void assertNoStayingServerDrained(
      Map<String, Server> before, List<String> log, List<ServerSpec> wanted) {
    List<String> added = new ArrayList<>();
    for (String command : log) {
      if (command.startsWith("add server web/")) {
        added.add(command.split(" ")[2].substring(4));
      }
      if (command.startsWith("set server web/") && command.endsWith(" state drain")) {
        String name = command.split(" ")[2].substring(4);
        for (ServerSpec spec : wanted) {
          if (spec.name().equals(name) && !added.contains(name)) {
            Server held = before.get(name);
            Server want = Server.of(spec);
            boolean same =
                held != null
                    && held.address().equals(want.address())
                    && held.port() == want.port()
                    && held.id() == want.id()
                    && held.backup() == want.backup();
            assertTrue(!same, "drained " + name + " whose member stayed: " + log);
          }
        }
      }
    }
  }

  private static List<ServerSpec> specs(Map<Integer, Member> fleet, int floor) {
    return ServerSpec.of(Snapshot.of(List.copyOf(fleet.values()), RuntimeFixture.T), ZONE, floor);
  }

  private static Map<String, Snapshot> web(Map<Integer, Member> fleet) {
    return Map.of("web", Snapshot.of(List.copyOf(fleet.values()), RuntimeFixture.T));
  }

  private static Member member(int i, Random random) {
    return Member.newBuilder(String.format("i-%03d", i))
        .address("10.0.0." + i)
        .port(8080)
        .availabilityZone(random.nextBoolean() ? ZONE : "us-east-1b")
        .build();
  }

  private static void change(Map<Integer, Member> fleet, Random random) {
    switch (random.nextInt(6)) {
      case 0, 1 -> {
        int i = 1 + random.nextInt(12);
        fleet.putIfAbsent(i, member(i, random));
      }
      case 2 -> {
        if (fleet.size() > 1) {
          fleet.remove(List.copyOf(fleet.keySet()).get(random.nextInt(fleet.size())));
        }
      }
      case 3 -> fleet.replaceAll((i, m) -> m.toBuilder().weight(1 + random.nextInt(200)).build());
      case 4 ->
          fleet.replaceAll(
              (i, m) ->
                  random.nextBoolean()
                      ? m.toBuilder().tag("muster:maxconn", "" + (1 + random.nextInt(99))).build()
                      : m);
      default -> {
        int i = List.copyOf(fleet.keySet()).get(random.nextInt(fleet.size()));
        Member m = fleet.get(i);
        fleet.put(i, m.toBuilder().port(m.port() == 8080 ? 8081 : 8080).build());
      }
    }
  }
}
