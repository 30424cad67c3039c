package dev.muster.discovery;

import static dev.muster.discovery.ScriptedSource.members;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.muster.fixtures.ManualScheduler;
import dev.muster.fixtures.MutableClock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The loop, driven by a hand-moved clock and scheduler: no sleeps, no real time. */
class DiscoveryTest {
  private static final Duration INTERVAL = Duration.ofSeconds(10);

  private final MutableClock clock = new MutableClock();
  private final ManualScheduler scheduler = new ManualScheduler(clock);
  private final ScriptedSource source = new ScriptedSource(clock);
  private final List<Snapshot> published = new ArrayList<>();
  private final List<Changes> changes = new ArrayList<>();
  private Discovery discovery;

  private Discovery start(Consumer<Discovery.Builder> settings) {
    Discovery.Builder builder =
        Discovery.newBuilder()
            .name("test")
            .source(source)
            .clock(clock)
            .scheduler(scheduler)
            .interval(INTERVAL)
            .jitter(0)
            .listener(
                (snapshot, change) -> {
                  published.add(snapshot);
                  changes.add(change);
                });
    settings.accept(builder);
    discovery = builder.build();
    discovery.start();
    scheduler.runDue();
    return discovery;
  }

  private void tick() {
    scheduler.advance(INTERVAL);
  }

  @AfterEach
  void close() {
    if (discovery != null) {
      discovery.close();
    }
  }

  @Test
  void publishesTheFirstMembershipAtOnceWithEveryMemberAdded() {
    source.then(members(3));

    start(b -> b.waitMin(Duration.ofMinutes(1)));

    assertEquals(1, published.size());
    assertEquals(3, changes.get(0).added().size());
    assertEquals(3, discovery.current().orElseThrow().size());
  }

  @Test
  void unchangedMembershipPublishesNothing() {
    source.then(members(3));
    start(b -> {});

    for (int i = 0; i < 20; i++) {
      tick();
    }

    assertEquals(21, source.fetches);
    assertEquals(1, published.size());
  }

  @Test
  void publishesAddedAndRemovedMembers() {
    source.then(members(3)).then(members(1, 4));
    start(b -> {});

    tick();

    assertEquals(2, published.size());
    Changes second = changes.get(1);
    assertEquals(
        List.of("i-00000000000000003"), second.added().stream().map(Member::instanceId).toList());
    assertEquals(
        List.of("i-00000000000000000"), second.removed().stream().map(Member::instanceId).toList());
  }

  @Test
  void failedFetchKeepsTheLastGoodMembershipAndBacksOff() {
    source.then(members(4)).thenFail("boom").thenFail("boom").thenFail("boom").then(members(4));
    start(b -> b.maxBackoff(Duration.ofSeconds(50)));

    tick(); // fails: next in 20 s
    assertEquals(1, discovery.status().consecutiveFailures());
    assertEquals(List.of(clock.instant().plusSeconds(20)), scheduler.pending());
    scheduler.advance(Duration.ofSeconds(20)); // fails: next in 40 s
    assertEquals(List.of(clock.instant().plusSeconds(40)), scheduler.pending());
    scheduler.advance(Duration.ofSeconds(40)); // fails: next capped at 50 s
    assertEquals(List.of(clock.instant().plusSeconds(50)), scheduler.pending());
    assertEquals(3, discovery.status().consecutiveFailures());
    assertTrue(discovery.status().lastError().contains("boom"));
    assertEquals(4, discovery.current().orElseThrow().size());
    assertEquals(1, published.size(), "a failure publishes nothing");

    scheduler.advance(Duration.ofSeconds(50)); // succeeds: back to the interval
    assertEquals(0, discovery.status().consecutiveFailures());
    assertNull(discovery.status().lastError());
    assertEquals(List.of(clock.instant().plus(INTERVAL)), scheduler.pending());
  }

  @Test
  void emptyResultIsRefusedHoweverLongItLastsWithoutAllowEmpty() {
    source.then(members(5)).then(List.of());
    start(b -> b.confirmations(3));

    for (int i = 0; i < 100; i++) {
      tick();
    }

    assertEquals(1, published.size());
    assertEquals(5, discovery.current().orElseThrow().size());
    assertTrue(
        discovery.status().held().contains("fewer than minMembers 1"), discovery.status().held());
  }

  @Test
  void firstViewBelowTheFloorIsRefusedAndNothingIsPublished() {
    source.then(List.of());

    start(b -> {});
    for (int i = 0; i < 10; i++) {
      tick();
    }

    assertEquals(0, published.size(), "a typo in a tag must not empty the proxy");
    assertTrue(discovery.current().isEmpty());
    assertTrue(discovery.status().held().startsWith("refused: fetch returned 0 members"));
  }

  @Test
  void minMembersRefusesASmallFirstView() {
    source.then(members(2)).then(members(3));

    start(b -> b.minMembers(3));
    assertEquals(0, published.size());
    tick();

    assertEquals(1, published.size());
    assertEquals(3, published.get(0).size());
  }

  @Test
  void acceptHeldNeverLiftsTheFloor() {
    source.then(members(5)).then(List.of());
    start(b -> {});
    tick();

    discovery.acceptHeld();
    scheduler.runDue();

    assertEquals(1, published.size());
  }

  @Test
  void allowEmptyPublishesAnEmptyMembershipOnceConfirmed() {
    source.then(members(5)).then(List.of());
    start(b -> b.allowEmpty(true).confirmations(2).holdMin(Duration.ofSeconds(30)));

    tick(); // t=10: first seen
    tick(); // t=20: seen twice, but only for 10 s
    assertEquals(1, published.size());
    assertTrue(discovery.status().held().contains("0 members while 5"));
    scheduler.advance(Duration.ofSeconds(30)); // t=40, t=50: seen for 40 s

    assertEquals(2, published.size());
    assertTrue(published.get(1).isEmpty());
  }

  @Test
  void massRemovalStreakIsBrokenByANormalResult() {
    source
        .then(members(10))
        .then(members(3))
        .then(members(3))
        .then(members(10))
        .then(members(3))
        .then(members(3));
    start(b -> b.confirmations(3).holdMin(Duration.ZERO));

    for (int i = 0; i < 5; i++) {
      tick();
    }

    assertEquals(1, published.size(), "never three mass removals in a row");
  }

  @Test
  void massRemovalIsHeldUntilSeenOftenEnoughAndLongEnough() {
    source.then(members(10)).then(members(3));
    start(b -> b.confirmations(2).holdMin(Duration.ofSeconds(25)).maxRemovalFraction(0.5));

    tick(); // t=10
    assertTrue(discovery.status().held().contains("remove 7 of 10"));
    tick(); // t=20: two fetches, 10 s
    tick(); // t=30: three fetches, 20 s
    assertEquals(1, published.size());

    tick(); // t=40: 30 s

    assertEquals(2, published.size());
    assertEquals(3, published.get(1).size());
  }

  @Test
  void aFastIntervalCannotConfirmAWrongViewInSeconds() {
    source.then(members(50)).then(members(10));
    start(b -> b.interval(Duration.ofSeconds(1)).confirmations(3));

    scheduler.advance(Duration.ofSeconds(59)); // 59 fetches in 58 s

    assertEquals(1, published.size());
    scheduler.advance(Duration.ofSeconds(2));
    assertEquals(2, published.size(), "published once held for the default 60 s");
  }

  @Test
  void staircaseOfSmallRemovalsIsHeldAsOneMassRemoval() {
    source
        .then(members(50))
        .then(members(26))
        .then(members(14))
        .then(members(8))
        .then(members(5))
        .then(members(3));
    start(b -> b.interval(Duration.ofMillis(2500)));

    scheduler.advance(Duration.ofMillis(2500));
    assertEquals(26, discovery.current().orElseThrow().size(), "48% is under the limit");
    scheduler.advance(Duration.ofMillis(2500));
    assertTrue(
        discovery
            .status()
            .held()
            .contains("shrink the membership from 50 (the largest " + "within 10 min) to 14"),
        discovery.status().held());
    for (int i = 0; i < 6; i++) {
      scheduler.advance(Duration.ofMillis(2500));
    }

    assertEquals(26, discovery.current().orElseThrow().size());
  }

  @Test
  void removalWithinTheFractionIsNotHeld() {
    source.then(members(10)).then(members(5));
    start(b -> b.confirmations(5).maxRemovalFraction(0.5));

    tick();

    assertEquals(2, published.size());
  }

  @Test
  void acceptHeldPublishesAMassRemovalAtOnce() {
    source.then(members(5)).then(members(1));
    start(b -> b.confirmations(10));
    tick();
    assertEquals(1, published.size());

    discovery.acceptHeld();
    scheduler.runDue();

    assertEquals(2, published.size());
    assertEquals(1, published.get(1).size());
  }

  @Test
  void runOnceRefusesAnEmptyFirstView() {
    source.then(List.of());
    discovery =
        Discovery.newBuilder()
            .source(source)
            .clock(clock)
            .listener((s, c) -> published.add(s))
            .build();

    assertEquals(Discovery.Outcome.HELD, discovery.runOnce());

    assertEquals(0, published.size());
    assertTrue(discovery.status().held().contains("fewer than minMembers 1"));
  }

  @Test
  void runOnceRefusesAMassRemovalAgainstTheStateFileUnlessAccepted(@TempDir Path dir) {
    Path state = dir.resolve("web.state");
    source.then(members(5)).then(members(2)).then(members(2));
    Discovery first =
        Discovery.newBuilder()
            .source(source)
            .clock(clock)
            .stateFile(state)
            .listener((s, c) -> published.add(s))
            .build();
    assertEquals(Discovery.Outcome.PUBLISHED, first.runOnce());

    Discovery second =
        Discovery.newBuilder()
            .source(source)
            .clock(clock)
            .stateFile(state)
            .listener((s, c) -> published.add(s))
            .build();
    assertEquals(Discovery.Outcome.HELD, second.runOnce());
    assertTrue(second.status().held().contains("remove 3 of 5"), second.status().held());

    Discovery third =
        Discovery.newBuilder()
            .source(source)
            .clock(clock)
            .stateFile(state)
            .listener((s, c) -> published.add(s))
            .build();
    third.acceptHeld();
    assertEquals(Discovery.Outcome.PUBLISHED, third.runOnce());

    assertEquals(List.of(5, 2), published.stream().map(Snapshot::size).toList());
  }

  @Test
  void runOncePublishesAViewEqualToTheSavedOneSoOutputsCanBeRepaired(@TempDir Path dir) {
    Path state = dir.resolve("web.state");
    source.then(members(3));
    for (int i = 0; i < 2; i++) {
      Discovery once =
          Discovery.newBuilder()
              .source(source)
              .clock(clock)
              .stateFile(state)
              .listener((s, c) -> published.add(s))
              .build();
      assertEquals(Discovery.Outcome.PUBLISHED, once.runOnce());
    }

    assertEquals(2, published.size());
  }

  @Test
  void runOnceReportsAFailedFetchWithItsCause() {
    source.thenFail("boom");
    discovery = Discovery.newBuilder().source(source).clock(clock).build();

    assertEquals(Discovery.Outcome.FAILED, discovery.runOnce());
    assertTrue(discovery.status().lastError().contains("boom"));
  }

  @Test
  void failingListenerDoesNotStopTheOthersOrTheLoop() {
    List<Integer> seen = new ArrayList<>();
    source.then(members(1)).then(members(2)).then(members(3));
    discovery =
        Discovery.newBuilder()
            .source(source)
            .clock(clock)
            .scheduler(scheduler)
            .interval(INTERVAL)
            .jitter(0)
            .listener(
                (s, c) -> {
                  throw new IllegalStateException("listener bug");
                })
            .listener((s, c) -> seen.add(s.size()))
            .build();
    discovery.start();
    scheduler.runDue();

    tick();
    tick();

    assertEquals(List.of(1, 2, 3), seen);
  }

  @Test
  void debounceWaitsForQuietMin() {
    source.then(members(1)).then(members(2)).then(members(3)).then(members(3));
    start(b -> b.waitMin(Duration.ofSeconds(15)).waitMax(Duration.ofSeconds(60)));

    tick(); // t=10: sees 2, due at 25
    assertEquals(clock.instant().plusSeconds(15), discovery.status().pendingUntil());
    tick(); // t=20: sees 3, due at 35
    tick(); // t=30: sees 3 again: no change, still due at 35
    assertEquals(1, published.size());
    scheduler.advance(Duration.ofSeconds(5)); // t=35

    assertEquals(2, published.size());
    assertEquals(3, published.get(1).size());
    assertEquals(2, changes.get(1).added().size(), "one publication for the whole burst");
  }

  @Test
  void debounceNeverWaitsLongerThanMax() {
    source.then(members(1));
    for (int i = 2; i < 20; i++) {
      source.then(members(i));
    }
    start(b -> b.waitMin(Duration.ofSeconds(15)).waitMax(Duration.ofSeconds(35)));

    tick(); // t=10 first change: due by t=45 at the latest
    tick();
    tick();
    assertEquals(1, published.size());
    tick(); // t=40: sees 5, due at min(55, 45) = 45
    scheduler.advance(Duration.ofSeconds(5)); // t=45

    assertEquals(2, published.size());
    assertEquals(5, published.get(1).size());
  }

  @Test
  void debouncedChangeThatRevertsIsNotPublished() {
    source.then(members(2)).then(members(3)).then(members(2));
    start(b -> b.waitMin(Duration.ofSeconds(15)));

    tick(); // sees 3, due at +15
    tick(); // back to 2: pending dropped
    scheduler.advance(Duration.ofSeconds(30));

    assertEquals(1, published.size());
    assertNull(discovery.status().pendingUntil());
  }

  @Test
  void refreshFetchesAtOnceAndCoalesces() {
    source.then(members(1)).then(members(2));
    start(b -> {});

    discovery.refresh();
    discovery.refresh();
    scheduler.runDue();

    assertEquals(2, source.fetches);
    assertEquals(2, published.size());
    assertEquals(List.of(clock.instant().plus(INTERVAL)), scheduler.pending());
  }

  @Test
  void statusReportsFetchesAndMembers() {
    source.then(members(7));

    start(b -> {});

    DiscoveryStatus status = discovery.status();
    assertEquals("test", status.name());
    assertEquals(7, status.memberCount());
    assertNotNull(status.lastSuccess());
    assertEquals(0, status.consecutiveFailures());
    assertFalse(status.stale());
  }

  @Test
  void stateFileRestoresAStaleMembershipWhileEc2IsUnreachable(@TempDir Path dir) {
    Path state = dir.resolve("web.state");
    source.then(members(4));
    start(b -> b.stateFile(state));
    discovery.close();
    assertTrue(Files.exists(state));
    published.clear();

    ScriptedSource down = new ScriptedSource(clock).thenFail("no route to EC2");
    discovery =
        Discovery.newBuilder()
            .source(down)
            .clock(clock)
            .scheduler(scheduler)
            .interval(INTERVAL)
            .jitter(0)
            .stateFile(state)
            .listener((s, c) -> published.add(s))
            .build();
    discovery.start();
    scheduler.runDue();

    assertEquals(1, published.size());
    assertTrue(published.get(0).isStale());
    assertEquals(4, published.get(0).size());
    assertTrue(discovery.status().stale());
    assertEquals(1, discovery.status().consecutiveFailures());
  }

  @Test
  void restoredMembershipIsTheGuardsBaseline(@TempDir Path dir) {
    Path state = dir.resolve("web.state");
    source.then(members(4));
    start(b -> b.stateFile(state));
    discovery.close();
    published.clear();

    ScriptedSource empty = new ScriptedSource(clock).then(List.of());
    discovery =
        Discovery.newBuilder()
            .source(empty)
            .clock(clock)
            .scheduler(scheduler)
            .interval(INTERVAL)
            .jitter(0)
            .stateFile(state)
            .confirmations(3)
            .listener((s, c) -> published.add(s))
            .build();
    discovery.start();
    scheduler.runDue();

    assertEquals(1, published.size(), "only the restored membership");
    assertTrue(
        discovery.status().held().contains("fewer than minMembers 1 (4 are published)"),
        discovery.status().held());
  }

  @Test
  void closeStopsTheLoopAndClosesTheSource() {
    source.then(members(1));
    start(b -> {});

    discovery.close();
    scheduler.advance(Duration.ofMinutes(5));

    assertEquals(1, source.fetches);
    assertTrue(source.closed);
    assertThrows(IllegalStateException.class, discovery::refresh);
  }

  @Test
  void jitterSpreadsTheIntervalWithinItsFraction() {
    source.then(members(1));
    start(b -> b.jitter(0.2).random(new java.util.Random(42)));

    for (int i = 0; i < 50; i++) {
      Duration next = Duration.between(clock.instant(), scheduler.pending().get(0));
      assertTrue(
          next.compareTo(Duration.ofSeconds(8)) >= 0 && next.compareTo(Duration.ofSeconds(12)) <= 0,
          next.toString());
      scheduler.advance(next);
    }
  }

  @Test
  void badSettingsFailAtBuildTimeNamingTheSetting() {
    assertEquals(
        "source is not set: call source(MembershipSource)",
        assertThrows(IllegalStateException.class, () -> Discovery.newBuilder().build())
            .getMessage());
    assertTrue(
        assertThrows(
                IllegalArgumentException.class,
                () -> Discovery.newBuilder().interval(Duration.ZERO))
            .getMessage()
            .startsWith("interval"));
    assertTrue(
        assertThrows(
                IllegalArgumentException.class, () -> Discovery.newBuilder().maxRemovalFraction(0))
            .getMessage()
            .startsWith("maxRemovalFraction"));
    assertTrue(
        assertThrows(
                IllegalStateException.class,
                () ->
                    Discovery.newBuilder()
                        .source(source)
                        .waitMin(Duration.ofSeconds(5))
                        .waitMax(Duration.ofSeconds(1))
                        .build())
            .getMessage()
            .startsWith("waitMax"));
  }

  /**
   * A configuration reload (SIGHUP) replaces the loop: the new one continues from the old one's
   * membership and hold, so a held mass removal stays held (no state file involved).
   */
  @Test
  void aLoopThatReplacesAnotherKeepsItsHeldMassRemovalHeld() {
    source.then(members(7)).then(members(2));
    Discovery first = start(b -> b.holdMin(Duration.ofSeconds(60)).confirmations(3));
    tick(); // seen once: held
    assertNotNull(first.status().held());
    assertEquals(1, published.size());

    ScriptedSource next = new ScriptedSource(clock).then(members(2));
    List<Snapshot> republished = new ArrayList<>();
    Discovery second =
        Discovery.newBuilder()
            .name("test")
            .source(next)
            .clock(clock)
            .scheduler(scheduler)
            .interval(INTERVAL)
            .jitter(0)
            .holdMin(Duration.ofSeconds(60))
            .confirmations(3)
            .after(first)
            .listener((snapshot, change) -> republished.add(snapshot))
            .build();
    first.close();
    discovery = second;
    second.start();
    scheduler.runDue();

    assertEquals(1, republished.size(), "the previous membership, handed to the new outputs");
    assertEquals(7, republished.get(0).size());
    assertFalse(republished.get(0).isStale(), "EC2 listed it: not a restored state file");
    assertTrue(second.status().held().contains("seen 2 of 3"), second.status().held());
    tick(); // third sighting, but only 20 s since the hold began
    assertEquals(1, republished.size());
    for (int i = 0; i < 4; i++) {
      tick();
    }
    assertEquals(1, republished.size(), "50 s into the hold");
    tick();
    assertEquals(2, republished.get(republished.size() - 1).size(), "confirmed as before");
  }

  @Test
  void aLoopCannotContinueFromOneThatIsStillRunning() {
    source.then(members(3));
    Discovery first = start(b -> {});
    Discovery second =
        Discovery.newBuilder()
            .source(new ScriptedSource(clock).then(members(3)))
            .clock(clock)
            .scheduler(scheduler)
            .after(first)
            .build();

    IllegalStateException e = assertThrows(IllegalStateException.class, second::start);
    assertTrue(e.getMessage().contains("close"), e.getMessage());
  }
}
