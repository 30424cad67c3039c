package dev.muster.discovery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.muster.fixtures.ManualScheduler;
import dev.muster.fixtures.MutableClock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** Draining instances ahead of EC2: the capability the lifecycle hook builds on. */
class DrainTest {
  private static final Instant T = Instant.parse("2026-01-01T00:00:00Z");
  private static final Duration HOUR = Duration.ofHours(1);

  private final List<Set<String>> applied = new ArrayList<>();
  private final MutableClock clock = new MutableClock();
  private final ManualScheduler scheduler = new ManualScheduler(clock);

  private final Sink sink =
      memberships -> {
        applied.add(
            memberships.values().stream()
                .flatMap(s -> s.members().stream())
                .map(Member::instanceId)
                .collect(Collectors.toCollection(java.util.TreeSet::new)));
        return new ApplyResult(ApplyResult.Outcome.APPLIED, "");
      };

  private static Snapshot members(int from, int to) {
    return Snapshot.of(ScriptedSource.members(from, to), T);
  }

  private static String id(int i) {
    return String.format("i-%017d", i);
  }

  @Test
  void aDrainedInstanceLeavesTheOutputAtOnceAndStaysOutUntilEc2CatchesUp() {
    ConfigPipeline pipeline = ConfigPipeline.newBuilder().sink(sink).build();
    MembershipListener web = pipeline.backend("web");
    web.onChange(members(0, 3), Changes.NONE);

    pipeline.drain(Set.of(id(1)), HOUR);

    assertEquals(Set.of(id(0), id(2)), applied.get(applied.size() - 1));
    web.onChange(members(0, 4), Changes.NONE); // EC2 still lists it, and a new member came
    assertEquals(Set.of(id(0), id(2), id(3)), applied.get(applied.size() - 1));
    assertEquals(Set.of(id(1)), pipeline.drainingMembers());

    web.onChange(
        Snapshot.of(
            List.of(
                members(0, 1).members().get(0),
                members(2, 4).members().get(0),
                members(2, 4).members().get(1)),
            T),
        Changes.NONE);
    assertEquals(Set.of(), pipeline.drainingMembers(), "EC2 caught up: the drain is over");
  }

  @Test
  void aDrainThatWouldEmptyABackendIsRefused() {
    ConfigPipeline pipeline = ConfigPipeline.newBuilder().sink(sink).build();
    pipeline.backend("web").onChange(members(0, 1), Changes.NONE);

    ApplyException e =
        assertThrows(ApplyException.class, () -> pipeline.drain(Set.of(id(0)), HOUR));

    assertTrue(e.getMessage().contains("no member"), e.getMessage());
    assertEquals(Set.of(), pipeline.drainingMembers());
    assertEquals(1, applied.size());
  }

  @Test
  void aDrainBeforeTheFirstPublicationAppliesWithIt() {
    ConfigPipeline pipeline = ConfigPipeline.newBuilder().sink(sink).build();
    MembershipListener web = pipeline.backend("web");

    assertNull(pipeline.drain(Set.of(id(1)), HOUR));
    web.onChange(members(0, 3), Changes.NONE);

    assertEquals(List.of(Set.of(id(0), id(2))), applied);
  }

  /**
   * A drain whose termination never comes (a forged or replayed message, a Spot warning that came
   * to nothing) is given back once its time is up while EC2 still lists the member.
   */
  @Test
  void aDrainedInstanceStillListedWhenItsTimeIsUpIsGivenBack() {
    ConfigPipeline pipeline =
        ConfigPipeline.newBuilder().sink(sink).clock(clock).scheduler(scheduler).build();
    MembershipListener web = pipeline.backend("web");
    web.onChange(members(0, 3), Changes.NONE);

    pipeline.drain(Set.of(id(1)), Duration.ofMinutes(7));
    scheduler.advance(Duration.ofMinutes(6));
    assertEquals(Set.of(id(0), id(2)), applied.get(applied.size() - 1));
    assertEquals(
        clock.instant().plus(Duration.ofMinutes(1)), pipeline.drains().get(id(1)).giveBackAt());

    scheduler.advance(Duration.ofMinutes(1));
    assertEquals(Set.of(id(0), id(1), id(2)), applied.get(applied.size() - 1));
    assertEquals(Set.of(), pipeline.drainingMembers());
    assertEquals(1, pipeline.givenBackCount());
  }

  @Test
  void aDrainedInstanceThatLeftIsNotGivenBack() {
    ConfigPipeline pipeline =
        ConfigPipeline.newBuilder().sink(sink).clock(clock).scheduler(scheduler).build();
    MembershipListener web = pipeline.backend("web");
    web.onChange(members(0, 3), Changes.NONE);
    pipeline.drain(Set.of(id(2)), Duration.ofMinutes(7));

    web.onChange(members(0, 2), Changes.NONE); // terminated: EC2 caught up
    scheduler.advance(Duration.ofMinutes(8));

    assertEquals(Set.of(id(0), id(1)), applied.get(applied.size() - 1));
    assertEquals(0, pipeline.givenBackCount());
  }

  /** The sink says what a drain waits for, for the members as the output holds them. */
  @Test
  void prepareDrainAsksTheSinkForTheHeldMembersAndAwaitsOnTheInjectedClock()
      throws InterruptedException {
    List<Set<Member>> asked = new ArrayList<>();
    int[] sessions = {3};
    Sink counting =
        sink.withDrain(
            members -> {
              asked.add(members);
              return Drain.until(
                  "sessions",
                  () -> sessions[0]--,
                  Duration.ofSeconds(1),
                  clock,
                  d -> clock.advance(d));
            });
    ConfigPipeline pipeline =
        ConfigPipeline.newBuilder().sink(counting).clock(clock).scheduler(scheduler).build();
    pipeline.backend("web").onChange(members(0, 3), Changes.NONE);

    Drain wait = pipeline.prepareDrain(Set.of(id(1), "i-not-held"));
    pipeline.drain(Set.of(id(1)), HOUR);
    java.time.Instant start = clock.instant();
    wait.await(start.plusSeconds(60));

    assertEquals(List.of(Set.of(members(1, 2).members().get(0))), asked);
    assertEquals(-1, sessions[0], "polled until none was left");
    assertEquals(start.plusSeconds(3), clock.instant(), "three polls a second apart");
    assertEquals(Drain.NONE, pipeline.prepareDrain(Set.of("i-not-held")));
  }

  @Test
  void aDrainWaitEndsAtTheDeadlineWhateverIsLeft() throws InterruptedException {
    java.time.Instant start = clock.instant();
    Drain.until("calls", () -> 5, Duration.ofSeconds(1), clock, d -> clock.advance(d))
        .await(start.plusSeconds(10));

    assertEquals(start.plusSeconds(10), clock.instant());
  }
}
