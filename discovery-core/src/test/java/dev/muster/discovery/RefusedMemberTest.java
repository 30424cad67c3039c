package dev.muster.discovery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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

/**
 * One instance whose tags make the proxy's checker refuse the configuration must not block the rest
 * of the fleet: the pipeline finds it, leaves it out and applies the others.
 */
class RefusedMemberTest {
  private static final Instant T = Instant.parse("2026-01-01T00:00:00Z");

  private final MutableClock clock = new MutableClock();
  private final ManualScheduler scheduler = new ManualScheduler(clock);
  private final List<String> live = new ArrayList<>();
  private int checks;

  /** Renders "id=note" per member; the "proxy" refuses any line whose note is "bad". */
  private final Target proxy =
      new Target() {
        @Override
        public ApplyResult apply(String content) {
          check(content);
          live.add(content);
          return new ApplyResult(ApplyResult.Outcome.APPLIED, "");
        }

        @Override
        public void check(String content) {
          checks++;
          if (content.contains("=bad")) {
            throw ApplyException.rejected("validation failed: [ALERT] unknown word 'bad'", null);
          }
        }
      };

  private ConfigPipeline pipeline() {
    return ConfigPipeline.newBuilder()
        .clock(clock)
        .scheduler(scheduler)
        .renderer(
            memberships ->
                memberships.values().stream()
                    .flatMap(s -> s.members().stream())
                    .map(m -> m.instanceId() + "=" + m.tags().getOrDefault("note", "ok"))
                    .collect(Collectors.joining("\n")))
        .target(proxy)
        .build();
  }

  private static Member member(int i, String note) {
    return Member.newBuilder(String.format("i-%03d", i))
        .address("10.0." + (i / 250) + "." + (i % 250 + 1))
        .port(80)
        .tag("note", note)
        .build();
  }

  private static Snapshot snapshot(int count, Set<Integer> bad) {
    List<Member> members = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      members.add(member(i, bad.contains(i) ? "bad" : "ok"));
    }
    return Snapshot.of(members, T);
  }

  @Test
  void leavesOutTheOneRefusedMemberAndAppliesTheRest() {
    ConfigPipeline pipeline = pipeline();
    MembershipListener web = pipeline.backend("web");
    web.onChange(snapshot(10, Set.of()), Changes.NONE);

    web.onChange(snapshot(12, Set.of(11)), Changes.NONE);

    String applied = live.get(live.size() - 1);
    assertTrue(applied.contains("i-010=ok"), "the good new member is in");
    assertFalse(applied.contains("i-011"), "the refused one is left out");
    assertEquals(Set.of("web/i-011"), pipeline.rejectedMembers());
    assertNull(pipeline.pendingSince(), "nothing is pending: the rest is applied");
  }

  @Test
  void aRefusedMemberIsTriedAgainOnceItsTagsChange() {
    ConfigPipeline pipeline = pipeline();
    MembershipListener web = pipeline.backend("web");
    web.onChange(snapshot(4, Set.of(2)), Changes.NONE);
    assertEquals(Set.of("web/i-002"), pipeline.rejectedMembers());

    web.onChange(snapshot(4, Set.of()), Changes.NONE);

    assertTrue(live.get(live.size() - 1).contains("i-002=ok"));
    assertEquals(Set.of(), pipeline.rejectedMembers());
  }

  @Test
  void aChangedMemberThatIsRefusedKeepsItsAcceptedVersion() {
    ConfigPipeline pipeline = pipeline();
    MembershipListener web = pipeline.backend("web");
    web.onChange(snapshot(6, Set.of()), Changes.NONE);

    web.onChange(snapshot(6, Set.of(3)), Changes.NONE);

    assertEquals(Set.of("web/i-003"), pipeline.rejectedMembers());
    assertNull(pipeline.lastFailure());
    assertTrue(live.get(live.size() - 1).contains("i-003=ok"), "still served as it was");
    assertNull(pipeline.pendingSince());
  }

  @Test
  void findsSeveralRefusedMembersAmongManyWithinTheBudget() {
    ConfigPipeline pipeline = pipeline();
    MembershipListener web = pipeline.backend("web");
    web.onChange(snapshot(1000, Set.of()), Changes.NONE);
    checks = 0;

    web.onChange(snapshot(1200, Set.of(1003, 1111, 1199)), Changes.NONE);

    assertEquals(Set.of("web/i-1003", "web/i-1111", "web/i-1199"), pipeline.rejectedMembers());
    assertTrue(checks <= 64 + 2, "checks: " + checks);
    assertTrue(live.get(live.size() - 1).contains("i-1198=ok"));
  }

  @Test
  void whenEverythingIsRefusedTheFailureIsReportedAsItIs() {
    ConfigPipeline pipeline = pipeline();
    MembershipListener web = pipeline.backend("web");

    web.onChange(snapshot(3, Set.of(0, 1, 2)), Changes.NONE);

    assertEquals(List.of(), live);
    assertEquals(Set.of(), pipeline.rejectedMembers());
    assertTrue(pipeline.lastFailure() instanceof ApplyException);
    assertTrue(((ApplyException) pipeline.lastFailure()).rejected());
    scheduler.advance(Duration.ofSeconds(1));
    assertThrows(ApplyException.class, pipeline::applyNow);
  }
}
