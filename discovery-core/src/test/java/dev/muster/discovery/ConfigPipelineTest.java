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
import org.junit.jupiter.api.Test;

class ConfigPipelineTest {
  private static final Instant T = Instant.parse("2026-01-01T00:00:00Z");

  private final List<String> applied = new ArrayList<>();
  private final MutableClock clock = new MutableClock();
  private final ManualScheduler scheduler = new ManualScheduler(clock);
  private int attempts;
  private boolean failApply;

  private ConfigPipeline pipeline() {
    return pipeline(Duration.ZERO);
  }

  private ConfigPipeline pipeline(Duration coalesce) {
    return ConfigPipeline.newBuilder()
        .coalesce(coalesce)
        .clock(clock)
        .scheduler(scheduler)
        .random(new java.util.Random(7))
        .retryBackoff(Duration.ofSeconds(1), Duration.ofSeconds(30))
        .renderer(
            memberships -> {
              StringBuilder out = new StringBuilder();
              memberships.forEach(
                  (name, s) -> out.append(name).append('=').append(s.size()).append(';'));
              return out.toString();
            })
        .target(
            content -> {
              attempts++;
              if (failApply) {
                throw new ApplyException("reload failed: no");
              }
              applied.add(content);
              return new ApplyResult(ApplyResult.Outcome.APPLIED, content);
            })
        .build();
  }

  private static Snapshot snapshot(int size) {
    return Snapshot.of(ScriptedSource.members(size), T);
  }

  @Test
  void rendersOnlyOnceEveryBackendHasPublished() {
    ConfigPipeline pipeline = pipeline();
    MembershipListener web = pipeline.backend("web");
    MembershipListener api = pipeline.backend("api");

    web.onChange(snapshot(2), Changes.NONE);
    assertEquals(List.of(), applied);
    assertNull(pipeline.applyNow());
    api.onChange(snapshot(3), Changes.NONE);
    web.onChange(snapshot(1), Changes.NONE);

    assertEquals(List.of("api=3;web=2;", "api=3;web=1;"), applied);
    assertEquals(2, pipeline.appliedCount());
  }

  @Test
  void publicationsWithinTheCoalesceWindowAreAppliedInOneRender() {
    ConfigPipeline pipeline = pipeline(Duration.ofMillis(500));
    MembershipListener web = pipeline.backend("web");
    MembershipListener admin = pipeline.backend("admin");
    MembershipListener api = pipeline.backend("api");
    web.onChange(snapshot(2), Changes.NONE);
    admin.onChange(snapshot(2), Changes.NONE);
    api.onChange(snapshot(2), Changes.NONE);
    scheduler.advance(Duration.ofMillis(500));
    assertEquals(List.of("admin=2;api=2;web=2;"), applied);

    // One change seen by the three backends, 10 ms apart: one render, one apply.
    web.onChange(snapshot(3), Changes.NONE);
    scheduler.advance(Duration.ofMillis(10));
    admin.onChange(snapshot(3), Changes.NONE);
    scheduler.advance(Duration.ofMillis(10));
    api.onChange(snapshot(3), Changes.NONE);
    assertEquals(1, applied.size(), "nothing before the window ends");
    scheduler.advance(Duration.ofMillis(480));

    assertEquals(List.of("admin=2;api=2;web=2;", "admin=3;api=3;web=3;"), applied);
    assertEquals(2, attempts);
    assertThrows(
        IllegalArgumentException.class,
        () -> ConfigPipeline.newBuilder().coalesce(Duration.ofMillis(-1)));
  }

  @Test
  void failureIsRecordedAndRetriedAtTheNextPublication() {
    ConfigPipeline pipeline = pipeline();
    MembershipListener web = pipeline.backend("web");
    failApply = true;

    web.onChange(snapshot(2), Changes.NONE);
    assertEquals(1, pipeline.failureCount());
    assertEquals("reload failed: no", pipeline.lastFailure().getMessage());

    failApply = false;
    assertEquals(ApplyResult.Outcome.APPLIED, pipeline.applyNow().outcome());
    assertNull(pipeline.lastFailure());
  }

  @Test
  void failedApplyIsRetriedUntilTheTargetHoldsTheLatestMembership() {
    ConfigPipeline pipeline = pipeline();
    MembershipListener web = pipeline.backend("web");
    failApply = true;
    Instant failedAt = clock.instant();

    web.onChange(snapshot(2), Changes.NONE);
    scheduler.advance(Duration.ofSeconds(20));
    assertTrue(attempts >= 4 && attempts <= 6, "1, 2, 4, 8 s apart: " + attempts);
    assertEquals(failedAt, pipeline.pendingSince());
    assertEquals(List.of(), applied);

    failApply = false;
    scheduler.advance(Duration.ofSeconds(30));

    assertEquals(List.of("web=2;"), applied);
    assertNull(pipeline.pendingSince());
    assertNull(pipeline.lastFailure());
    int settled = attempts;
    scheduler.advance(Duration.ofMinutes(10));
    assertEquals(settled, attempts, "no tries once the target holds the latest");
  }

  @Test
  void retryDelayGrowsToItsMaximumAndNoFurther() {
    ConfigPipeline pipeline = pipeline();
    failApply = true;
    pipeline.backend("web").onChange(snapshot(1), Changes.NONE);

    scheduler.advance(Duration.ofMinutes(30));

    // 1+2+4+8+16 s, then every 24 to 36 s: 50 to 80 tries in 30 minutes.
    assertTrue(attempts >= 50 && attempts <= 80, "attempts: " + attempts);
  }

  @Test
  void aNewPublicationWhileAnApplyIsPendingIsAppliedAtOnce() {
    ConfigPipeline pipeline = pipeline();
    MembershipListener web = pipeline.backend("web");
    failApply = true;
    web.onChange(snapshot(2), Changes.NONE);
    failApply = false;

    web.onChange(snapshot(3), Changes.NONE);

    assertEquals(List.of("web=3;"), applied);
    assertNull(pipeline.pendingSince());
    scheduler.advance(Duration.ofMinutes(1));
    assertEquals(List.of("web=3;"), applied);
  }

  @Test
  void closeStopsTheRetries() {
    ConfigPipeline pipeline = pipeline();
    failApply = true;
    pipeline.backend("web").onChange(snapshot(2), Changes.NONE);

    pipeline.close();
    scheduler.advance(Duration.ofMinutes(5));

    assertEquals(1, attempts);
  }

  @Test
  void backendNamesAreUnique() {
    ConfigPipeline pipeline = pipeline();
    pipeline.backend("web");

    assertThrows(IllegalArgumentException.class, () -> pipeline.backend("web"));
  }
}
