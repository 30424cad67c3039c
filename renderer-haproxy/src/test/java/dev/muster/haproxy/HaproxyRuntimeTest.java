package dev.muster.haproxy;

import static dev.muster.haproxy.RuntimeFixture.T;
import static dev.muster.haproxy.RuntimeFixture.member;
import static dev.muster.haproxy.RuntimeFixture.serverLines;
import static dev.muster.haproxy.RuntimeFixture.web;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.muster.discovery.ApplyException;
import dev.muster.discovery.ApplyResult;
import dev.muster.discovery.Member;
import dev.muster.discovery.Snapshot;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Runtime mode on dynamic servers, one behaviour at a time, against the fake runtime API. */
class HaproxyRuntimeTest {
  @TempDir Path dir;

  private RuntimeFixture f;
  private FakeRuntimeApi api;

  @BeforeEach
  void fixture() {
    f = new RuntimeFixture(dir);
    api = f.api;
  }

  @Test
  void theFirstApplyWritesTheFileSoHaproxyCanStartAndIsPendingUntilItAnswers() {
    HaproxyRuntime runtime = f.runtime();
    api.failAt = 1; // nothing listens on the stats socket yet

    assertThrows(ApplyException.class, () -> runtime.apply(web(member(1), member(2))));

    assertTrue(Files.exists(f.config));
    api.failAt = 0;
    api.load(f.config); // HAProxy starts with it
    api.healthy.add("10.0.0.1");
    api.healthy.add("10.0.0.2");
    assertEquals(ApplyResult.UNCHANGED, runtime.apply(web(member(1), member(2))));
    assertTrue(f.serving("web", "i-002"));
    assertEquals(0, f.reloads);
  }

  @Test
  void aNewMemberIsAddedWithItsIdWarmedUpAndSetReadyOnceItsCheckPasses() throws Exception {
    HaproxyRuntime runtime = f.started(member(1));
    f.onPause.add(
        () -> {
          if (f.pauses == 3) {
            api.healthy.add("10.0.0.2");
          }
        });

    ApplyResult result = runtime.apply(web(member(1), member(2)));

    assertEquals(ApplyResult.Outcome.APPLIED, result.outcome());
    int id = api.server("web", "i-002").id;
    String line = "server i-002 10.0.0.2:8080 id " + id + " weight 100 check inter 1s";
    assertTrue(Files.readString(f.config).contains(line), "the file holds the same server");
    assertEquals(
        List.of(
            "add server web/i-002 10.0.0.2:8080 id "
                + id
                + " weight 100 check inter 1s pool-max-conn -1 pool-purge-delay 5s",
            "enable health web/i-002",
            "set server web/i-002 state drain",
            "set server web/i-002 health down",
            "set server web/i-002 state ready"),
        api.log);
    assertTrue(f.serving("web", "i-002"));
    assertEquals(Duration.ofMillis(300), Duration.between(T, f.clock.instant()), "three polls");
    assertEquals(ApplyResult.UNCHANGED, runtime.apply(web(member(1), member(2))));
  }

  @Test
  void aNewMemberThatFailsItsCheckStaysDrainedAndTheApplyStaysPending() {
    HaproxyRuntime runtime = f.started(member(1));

    ApplyException e =
        assertThrows(ApplyException.class, () -> runtime.apply(web(member(1), member(2))));

    assertTrue(e.getMessage().contains("web/i-002"), e.getMessage());
    assertTrue(api.server("web", "i-002").drain, "no traffic before the check passes");
    assertEquals(Duration.ofSeconds(5), Duration.between(T, f.clock.instant()), "the warm-up");
    api.healthy.add("10.0.0.2");
    runtime.apply(web(member(1), member(2)));
    assertTrue(f.serving("web", "i-002"), "set ready by the next apply");
  }

  @Test
  void aRemovedMemberIsDrainedUntilItsSessionsEndThenDeleted() {
    HaproxyRuntime runtime = f.started(member(1), member(2));
    api.sessionsByAddress.put("10.0.0.2", 3L);
    f.onPause.add(() -> api.sessionsByAddress.merge("10.0.0.2", -1L, Long::sum));

    runtime.apply(web(member(1)));

    assertNull(api.server("web", "i-002"));
    assertEquals(
        List.of(
            "set server web/i-002 state drain",
            "set server web/i-002 state maint",
            "del server web/i-002"),
        api.log);
    assertEquals(Duration.ofMillis(300), Duration.between(T, f.clock.instant()), "3 sessions");
  }

  @Test
  void aDrainEndsAtItsTimeoutWhenSessionsNeverEnd() {
    HaproxyRuntime runtime = f.started(member(1), member(2));
    api.sessionsByAddress.put("10.0.0.2", 1L);

    runtime.apply(web(member(1)));

    assertNull(api.server("web", "i-002"));
    assertEquals(Duration.ofSeconds(10), Duration.between(T, f.clock.instant()));
  }

  @Test
  void aServerStillConnectedStaysInMaintAndIsDeletedByTheNextApply() {
    HaproxyRuntime runtime = f.started(member(1), member(2));
    api.connected.add("i-002");

    ApplyException e = assertThrows(ApplyException.class, () -> runtime.apply(web(member(1))));

    assertTrue(e.getMessage().contains("web/i-002 (not deleted yet)"), e.getMessage());
    assertTrue(api.server("web", "i-002").maint, "no traffic meanwhile");
    api.connected.clear();
    runtime.apply(web(member(1)));
    assertNull(api.server("web", "i-002"));
  }

  @Test
  void weightAndMaxconnChangeInPlace() {
    HaproxyRuntime runtime = f.started(member(1), member(2));
    Member limited = member(2, 50).toBuilder().tag("muster:maxconn", "30").build();

    runtime.apply(web(member(1), limited));

    assertEquals(
        List.of("set server web/i-002 weight 50", "set maxconn server web/i-002 30"), api.log);
    assertTrue(f.serving("web", "i-002"));
  }

  @Test
  void aMemberAtANewAddressIsDrainedThenAddedAgainUnderItsName() {
    HaproxyRuntime runtime = f.started(member(1), member(2));
    Member moved = member(2).toBuilder().address("10.0.0.22").build();
    api.healthy.add("10.0.0.22");

    runtime.apply(web(member(1), moved));

    assertEquals("10.0.0.22", api.server("web", "i-002").address);
    assertTrue(f.serving("web", "i-002"));
    assertEquals("set server web/i-002 state drain", api.log.get(0), "the old one drains first");
  }

  @Test
  void aRuntimeChangeIsCheckedWithOnlyTheLinesItChangesAndTheWholeFileIsWritten() throws Exception {
    HaproxyRuntime runtime = f.started(member(1), member(2), member(3));
    List<String> seen = f.checked(null);
    api.healthy.add("10.0.0.4");

    runtime.apply(web(member(1), member(2), member(3), member(4)));

    assertEquals(1, seen.size(), "one check per apply, not a second one for the rewrite");
    String candidate = seen.get(0);
    assertEquals(1, serverLines(candidate), candidate);
    assertTrue(candidate.contains("10.0.0.4:8080 id "), candidate);
    assertTrue(candidate.startsWith("global\n    stats socket"), "the real header: " + candidate);
    assertTrue(candidate.contains("backend web\n    option httpchk GET /health\n"), candidate);
    String written = Files.readString(f.config);
    assertEquals(4, serverLines(written), written);
  }

  @Test
  void aMemberTheCheckerRefusesFailsBeforeAnyRuntimeCommand() throws Exception {
    HaproxyRuntime runtime = f.started(member(1));
    String before = Files.readString(f.config);
    f.checked("10.0.0.4");
    api.healthy.add("10.0.0.4");

    ApplyException e =
        assertThrows(ApplyException.class, () -> runtime.apply(web(member(1), member(4))));

    assertTrue(e.getMessage().contains("refuses 10.0.0.4"), e.getMessage());
    assertTrue(api.log.isEmpty(), "no command: " + api.log);
    assertEquals(before, Files.readString(f.config));
  }

  @Test
  void aBackendNewToTheConfigurationIsWrittenAndReloadedOnce() {
    HaproxyRuntime runtime = f.started(member(1));
    api.healthy.add("10.0.0.9");
    Map<String, Snapshot> both =
        Map.of(
            "web", Snapshot.of(List.of(member(1)), T),
            "api", Snapshot.of(List.of(member(9)), T));

    runtime.apply(both);

    assertEquals(1, runtime.reloadCount());
    assertTrue(f.serving("api", "i-009"));
    assertTrue(f.serving("web", "i-001"));
    assertEquals(ApplyResult.UNCHANGED, runtime.apply(both), "nothing left to do");
    assertEquals(1, runtime.reloadCount());
  }

  @Test
  void aFailedReloadForANewBackendIsTriedAgainByTheNextApply() {
    HaproxyRuntime runtime = f.started(member(1));
    api.healthy.add("10.0.0.9");
    Map<String, Snapshot> both =
        Map.of(
            "web", Snapshot.of(List.of(member(1)), T),
            "api", Snapshot.of(List.of(member(9)), T));
    f.reloadFails = true;

    assertThrows(ApplyException.class, () -> runtime.apply(both));
    f.reloadFails = false;
    runtime.apply(both);

    assertTrue(f.serving("api", "i-009"));
    assertEquals(1, runtime.reloadCount());
  }

  @Test
  void driftIsRepairedFromTheMembers() {
    HaproxyRuntime runtime = f.started(member(1), member(2), member(3));
    runtime.apply(web(member(1), member(2), member(3)));
    api.server("web", "i-001").weight = 1;
    api.server("web", "i-002").maint = true;
    api.backends.get("web").remove("i-003");
    FakeRuntimeApi.Server stray = FakeRuntimeApi.Server.parse("10.9.9.9:80 id 77");
    api.backends.get("web").put("by-hand", stray);

    assertEquals(4, runtime.verify("web"));

    assertEquals(100, api.server("web", "i-001").weight);
    assertTrue(f.serving("web", "i-002"), "warmed up again, never forced up");
    assertTrue(f.serving("web", "i-003"));
    assertNull(api.server("web", "by-hand"));
    assertEquals(4, runtime.repairCount());
  }

  @Test
  void serversTheBackendsOwnOptionsDeclareAreLeftAlone() {
    HaproxyRuntime runtime =
        f.runtime(
            c ->
                c.backendOptions(
                    "web", "    option httpchk GET /health\n    server sorry 127.0.0.1:9 backup"));
    runtime.bootstrap(web(member(1)));
    api.healthy.add("10.0.0.1");
    api.load(f.config);

    assertEquals(ApplyResult.UNCHANGED, runtime.apply(web(member(1))));

    assertFalse(api.server("web", "sorry") == null, "still there");
  }

  @Test
  void twoHostsThatLearntTheFleetInADifferentOrderHoldTheSameServers() {
    RuntimeFixture other = new RuntimeFixture(dir.resolve("other"));
    try {
      Files.createDirectories(dir.resolve("other"));
    } catch (java.io.IOException e) {
      throw new AssertionError(e);
    }
    HaproxyRuntime a = f.started(member(1));
    HaproxyRuntime b = other.started(member(4));
    for (int i = 1; i <= 4; i++) {
      f.api.healthy.add("10.0.0." + i);
      other.api.healthy.add("10.0.0." + i);
    }
    a.apply(web(member(1), member(2)));
    a.apply(web(member(1), member(2), member(3), member(4)));
    b.apply(web(member(4), member(3)));
    b.apply(web(member(4), member(3), member(1), member(2)));

    for (int i = 1; i <= 4; i++) {
      String name = String.format("i-%03d", i);
      assertEquals(f.api.server("web", name).id, other.api.server("web", name).id, name);
    }
  }

  @Test
  void thePlanSaysWhatAnApplyWouldDoWithoutDoingIt() throws Exception {
    HaproxyRuntime runtime = f.runtime();
    java.nio.file.Files.writeString(
        f.config,
        RuntimeFixture.HEADER
            + "\nbackend web\n    server srv1 10.0.0.1:8080 weight 100 check\n"
            + "    server srv2 127.0.0.1:1 disabled check\n"
            + "    server i-003 10.0.0.3:8080 weight 100 check\n");
    api.load(f.config); // HAProxy as slot-based runtime mode left it, and a server by name
    String before = Files.readString(f.config);

    List<String> plan = runtime.plan(web(member(1), member(2), member(3, 50)));

    assertTrue(api.log.isEmpty(), "nothing sent but reads: " + api.log);
    assertEquals(before, Files.readString(f.config));
    String text = String.join("\n", plan);
    assertTrue(text.contains("web: - srv2 127.0.0.1:1 (in maint: del server)"), text);
    assertTrue(text.contains("web: + i-001 10.0.0.1:8080 id "), text);
    assertTrue(
        text.contains(
            "web: - srv1 10.0.0.1:8080 (handed over: drained and deleted once its successor is"
                + " ready)"),
        text);
    assertTrue(text.contains("web: ~ i-003 id 3 -> "), "numbered by position before: " + text);
    assertTrue(text.endsWith("web: 0 of 3 server(s) stay as they are"), text);
  }

  @Test
  void aSettledBackendIsNotAskedForItsStatsAgainUntilSomethingDiffers() {
    HaproxyRuntime runtime = f.started(member(1), member(2));
    runtime.apply(web(member(1), member(2)));
    int reads = api.statsReads;
    api.healthy.add("10.0.0.3");

    runtime.apply(web(member(1), member(2), member(3)));
    runtime.apply(web(member(1), member(2), member(3, 50)));

    assertEquals(reads, api.statsReads, "backup flags and limits known from the last apply");
    api.backends.get("web").put("by-hand", FakeRuntimeApi.Server.parse("10.9.9.9:80 id 77"));
    runtime.apply(web(member(1), member(2), member(3, 50)));
    assertEquals(reads + 2, api.statsReads, "another server: read afresh, and its drain polled");
    assertNull(api.server("web", "by-hand"));
  }

  @Test
  void theUpgradePlanInTheDocsIsWhatThePlanSays() throws Exception {
    HaproxyRuntime runtime = f.runtime();
    Files.writeString(
        f.config,
        RuntimeFixture.HEADER
            + "\nbackend web\n    server srv1 10.0.1.5:8080 weight 100 check\n"
            + "    server srv2 127.0.0.1:1 disabled check\n");
    api.load(f.config);
    Member m = Member.newBuilder("i-0a1b2c3d4e5f60718").address("10.0.1.5").port(8080).build();

    String plan = String.join("\n", runtime.plan(web(m))) + "\n";

    String docs = Files.readString(Path.of("../docs/haproxy.md"));
    int start = docs.indexOf("web: - srv2 ");
    assertTrue(start > 0, "the example is in docs/haproxy.md");
    assertEquals(docs.substring(start, docs.indexOf("```", start)), plan);
  }
}
