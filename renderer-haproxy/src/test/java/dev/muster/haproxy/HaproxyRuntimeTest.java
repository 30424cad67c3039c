package dev.muster.haproxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.muster.discovery.ApplyException;
import dev.muster.discovery.ApplyResult;
import dev.muster.discovery.Member;
import dev.muster.discovery.Snapshot;
import dev.muster.discovery.Validator;
import dev.muster.fixtures.MutableClock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Runtime mode against a fake runtime API and a hand-moved clock: no HAProxy, no sleeping. */
class HaproxyRuntimeTest {
  private static final Instant T = Instant.parse("2026-01-01T00:00:00Z");

  @TempDir Path dir;

  private final FakeRuntimeApi api = new FakeRuntimeApi();
  private final List<Runnable> onPause = new ArrayList<>();
  private final MutableClock clock = new MutableClock(T);
  private Path config;
  private int pauses;
  private boolean reloadFails;
  private Validator validator = Validator.NONE;

  @BeforeEach
  void paths() {
    config = dir.resolve("haproxy.cfg");
  }

  private HaproxyRuntime runtime(int slots) {
    return HaproxyRuntime.newBuilder()
        .configFile(config)
        .validator(candidate -> validator.validate(candidate))
        .reloader(
            () -> {
              if (reloadFails) {
                throw new ApplyException("reload failed: the master socket does not answer");
              }
              api.load(config); // HAProxy rereads the file on reload
            })
        .config(
            Haproxy.renderer()
                .headerText("global\n    stats socket admin.sock level admin\n")
                .serverOptions("check inter 1s")
                .serverOptions("api", "check inter 5s")
                .backendOptions("web", "    option httpchk GET /health"))
        .slots(slots)
        .drainTimeout(Duration.ofSeconds(10))
        .warmupTimeout(Duration.ofSeconds(5))
        .pollInterval(Duration.ofMillis(100))
        .api(api)
        .time(
            clock,
            d -> {
              clock.advance(d);
              pauses++;
              onPause.forEach(Runnable::run);
            })
        .build();
  }

  private static Member member(int i) {
    return Member.newBuilder(String.format("i-%03d", i)).address("10.0.0." + i).port(8080).build();
  }

  private static Map<String, Snapshot> web(Member... members) {
    return Map.of("web", Snapshot.of(List.of(members), T));
  }

  /** Starts HAProxy (the fake) from the file the runtime wrote, every server healthy. */
  private HaproxyRuntime started(int slots, Member... members) {
    HaproxyRuntime runtime = runtime(slots);
    runtime.bootstrap(web(members));
    for (Member m : members) {
      api.healthy.add(m.address());
    }
    api.load(config);
    return runtime;
  }

  @Test
  void theFirstApplyWritesTheFileSoHaproxyCanStartAndIsPendingUntilItAnswers() {
    HaproxyRuntime runtime = runtime(4);

    ApplyException e =
        assertThrows(ApplyException.class, () -> runtime.apply(web(member(1), member(2))));

    assertTrue(e.getMessage().contains("no backend web"), e.getMessage());
    assertTrue(Files.exists(config));
    api.load(config); // HAProxy starts with it
    api.healthy.add("10.0.0.1");
    api.healthy.add("10.0.0.2");
    runtime.apply(web(member(1), member(2)));
    assertEquals("10.0.0.2", api.server("web", "srv2").address);
    assertFalse(api.server("web", "srv2").maint);
  }

  @Test
  void aNewMemberIsWarmedUpDrainedAndSetReadyOnceItsCheckPasses() {
    HaproxyRuntime runtime = started(4, member(1));
    onPause.add(
        () -> {
          if (pauses == 3) {
            api.healthy.add("10.0.0.2");
          }
        });

    ApplyResult result = runtime.apply(web(member(1), member(2)));

    assertEquals(ApplyResult.Outcome.APPLIED, result.outcome());
    FakeRuntimeApi.Server srv2 = api.server("web", "srv2");
    assertEquals("10.0.0.2", srv2.address);
    assertFalse(srv2.drain || srv2.maint, "ready");
    assertEquals(
        Duration.ofMillis(300), Duration.between(T, clock.instant()), "three polls of 100 ms");
  }

  @Test
  void aNewMemberThatFailsItsCheckStaysDrainedAndTheApplyStaysPending() {
    HaproxyRuntime runtime = started(4, member(1));

    ApplyException e =
        assertThrows(ApplyException.class, () -> runtime.apply(web(member(1), member(2))));

    assertTrue(e.getMessage().contains("web/i-002"), e.getMessage());
    assertTrue(api.server("web", "srv2").drain, "no traffic before the check passes");
    assertEquals(
        Duration.ofSeconds(5), Duration.between(T, clock.instant()), "the warm-up timeout");
    api.healthy.add("10.0.0.2");
    runtime.apply(web(member(1), member(2)));
    assertFalse(api.server("web", "srv2").drain, "set ready by the next apply");
  }

  @Test
  void aRemovedMemberIsDrainedUntilItsSessionsEndThenSetToMaint() {
    HaproxyRuntime runtime = started(4, member(1), member(2));
    api.sessionsByAddress.put("10.0.0.2", 3L);
    onPause.add(() -> api.sessionsByAddress.merge("10.0.0.2", -1L, Long::sum));

    runtime.apply(web(member(1)));

    assertTrue(api.server("web", "srv2").maint);
    assertEquals(
        Duration.ofMillis(300), Duration.between(T, clock.instant()), "until the 3 sessions ended");
  }

  @Test
  void aDrainEndsAtItsTimeoutWhenSessionsNeverEnd() {
    HaproxyRuntime runtime = started(4, member(1), member(2));
    api.sessionsByAddress.put("10.0.0.2", 1L);

    runtime.apply(web(member(1)));

    assertTrue(api.server("web", "srv2").maint);
    assertEquals(Duration.ofSeconds(10), Duration.between(T, clock.instant()));
  }

  /** Records every candidate HAProxy's checker sees; refuses one holding {@code refused}. */
  private List<String> checked(String refused) {
    List<String> seen = new ArrayList<>();
    validator =
        candidate -> {
          String text;
          try {
            text = Files.readString(candidate);
          } catch (java.io.IOException e) {
            throw new AssertionError(e);
          }
          seen.add(text);
          if (refused != null && text.contains(refused)) {
            throw new ApplyException("validation failed: haproxy -c refuses " + refused);
          }
        };
    return seen;
  }

  private static long serverLines(String config) {
    return config.lines().filter(l -> l.strip().startsWith("server ")).count();
  }

  @Test
  void aRuntimeChangeIsCheckedWithOnlyTheLinesItChangesAndTheWholeFileIsWritten() throws Exception {
    HaproxyRuntime runtime = started(8, member(1), member(2), member(3));
    List<String> seen = checked(null);
    api.healthy.add("10.0.0.4");

    runtime.apply(web(member(1), member(2), member(3), member(4)));

    assertEquals(1, seen.size(), "one check per apply, not a second one for the rewrite");
    String candidate = seen.get(0);
    assertEquals(1, serverLines(candidate), candidate);
    assertTrue(candidate.contains("10.0.0.4:8080 weight 100 check inter 1s"), candidate);
    assertTrue(candidate.startsWith("global\n    stats socket"), "the real header: " + candidate);
    assertTrue(candidate.contains("backend web\n    option httpchk GET /health\n"), candidate);
    String written = Files.readString(config);
    assertEquals(8, serverLines(written), written);
    assertTrue(written.contains("10.0.0.4:8080"), written);
  }

  @Test
  void aMemberTheCheckerRefusesFailsBeforeAnyRuntimeCommand() throws Exception {
    HaproxyRuntime runtime = started(8, member(1));
    String before = Files.readString(config);
    checked("10.0.0.4");
    api.healthy.add("10.0.0.4");

    ApplyException e =
        assertThrows(ApplyException.class, () -> runtime.apply(web(member(1), member(4))));

    assertTrue(e.getMessage().contains("refuses 10.0.0.4"), e.getMessage());
    assertTrue(
        api.serversState("web").values().stream().noneMatch(s -> "10.0.0.4".equals(s.address())),
        "no server was set");
    assertEquals(before, Files.readString(config));
  }

  @Test
  void growingTheSlotsChecksTheWholeFileItsReloadLoads() {
    HaproxyRuntime runtime = started(2, member(1), member(2));
    List<String> seen = checked(null);
    api.healthy.add("10.0.0.3");

    runtime.apply(web(member(1), member(2), member(3)));

    assertEquals(4, serverLines(seen.get(0)), seen.get(0));
    assertTrue(seen.stream().allMatch(c -> serverLines(c) == 4), "every candidate whole");
  }

  @Test
  void slotsGrowWithOneReloadWhenTheyRunOut() throws Exception {
    HaproxyRuntime runtime = started(2, member(1), member(2));
    api.healthy.add("10.0.0.3");
    api.healthy.add("10.0.0.4");

    runtime.apply(web(member(1), member(2), member(3), member(4)));

    assertEquals(1, runtime.reloadCount());
    assertEquals(6, runtime.slotCount("web"), "4 needed, and half again");
    assertEquals("10.0.0.4", api.server("web", "srv4").address);
    assertEquals(
        4, Files.readAllLines(config).stream().filter(l -> l.contains(" weight 100 ")).count());
  }

  @Test
  void aBackendNewToTheConfigurationIsWrittenAndReloadedOnce() {
    HaproxyRuntime runtime = started(4, member(1));
    api.healthy.add("10.0.0.9");
    Map<String, Snapshot> both =
        Map.of(
            "web", Snapshot.of(List.of(member(1)), T),
            "api", Snapshot.of(List.of(member(9)), T));

    runtime.apply(both);

    assertEquals(1, runtime.reloadCount());
    assertEquals("10.0.0.9", api.server("api", "srv1").address);
    assertFalse(api.server("api", "srv1").maint);
    assertEquals("10.0.0.1", api.server("web", "srv1").address);
    assertEquals(ApplyResult.UNCHANGED, runtime.apply(both), "nothing left to do");
    assertEquals(1, runtime.reloadCount());
  }

  @Test
  void aFailedReloadForANewBackendIsTriedAgainByTheNextApply() {
    HaproxyRuntime runtime = started(4, member(1));
    api.healthy.add("10.0.0.9");
    Map<String, Snapshot> both =
        Map.of(
            "web", Snapshot.of(List.of(member(1)), T),
            "api", Snapshot.of(List.of(member(9)), T));
    reloadFails = true;

    assertThrows(ApplyException.class, () -> runtime.apply(both));
    reloadFails = false;
    runtime.apply(both);

    assertEquals("10.0.0.9", api.server("api", "srv1").address);
    assertEquals(1, runtime.reloadCount());
  }

  /** For every command a change sends, a failure there is finished by the next apply. */
  @org.junit.jupiter.params.ParameterizedTest
  @org.junit.jupiter.params.provider.ValueSource(ints = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12})
  void aChangeCutShortAtAnyCommandIsFinishedByTheNextApply(int cut) {
    HaproxyRuntime runtime = started(4, member(1), member(2));
    api.healthy.add("10.0.0.3");
    Map<String, Snapshot> next = web(member(1), member(3, 50));
    api.failAt = api.commands + cut;

    try {
      runtime.apply(next);
    } catch (ApplyException e) {
      // HAProxy restarted under that command; the pipeline applies again
    }
    api.failAt = 0; // past the change's last command, nothing failed
    runtime.apply(next);

    assertServing("10.0.0.1", 100);
    assertServing("10.0.0.3", 50);
    String old = api.slotOf("web", "10.0.0.2");
    assertTrue(old == null || api.server("web", old).maint, "i-002 gets no traffic");
    assertEquals(0, runtime.verify("web"), "nothing left to repair");
  }

  private void assertServing(String address, int weight) {
    String slot = api.slotOf("web", address);
    FakeRuntimeApi.Server s = api.server("web", slot);
    assertFalse(s.maint || s.drain, address + " is ready");
    assertEquals(weight, s.weight);
  }

  private static Member member(int i, int weight) {
    return Member.newBuilder(String.format("i-%03d", i))
        .address("10.0.0." + i)
        .port(8080)
        .weight(weight)
        .build();
  }

  @Test
  void driftIsRepairedFromTheSlots() {
    HaproxyRuntime runtime = started(4, member(1), member(2));
    api.server("web", "srv2").weight = 1;
    api.server("web", "srv4").maint = false;

    assertEquals(2, runtime.verify("web"));

    assertEquals(100, api.server("web", "srv2").weight);
    assertTrue(api.server("web", "srv4").maint);
  }

  @Test
  void theFileHasTheServerLinesOfConfigFileModeWithSlotNames() throws Exception {
    Member big =
        Member.newBuilder("i-009")
            .address("10.0.0.9")
            .port(8080)
            .tag("muster:maxconn", "50")
            .build();
    HaproxyRuntime runtime = runtime(2);

    runtime.bootstrap(
        Map.of("web", Snapshot.of(List.of(big), T), "api", Snapshot.of(List.of(member(1)), T)));

    String text = Files.readString(config);
    assertTrue(
        text.contains(
            "backend web\n    option httpchk GET /health\n"
                + "    server srv1 10.0.0.9:8080 weight 100 maxconn 50 check inter 1s\n"
                + "    server srv2 127.0.0.1:1 disabled check inter 1s\n"),
        text);
    assertTrue(text.contains("    server srv1 10.0.0.1:8080 weight 100 check inter 5s\n"), text);
  }
}
