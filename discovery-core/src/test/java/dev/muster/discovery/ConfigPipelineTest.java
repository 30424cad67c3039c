package dev.muster.discovery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ConfigPipelineTest {
  private static final Instant T = Instant.parse("2026-01-01T00:00:00Z");

  private final List<String> applied = new ArrayList<>();
  private boolean failApply;

  private ConfigPipeline pipeline() {
    return ConfigPipeline.newBuilder()
        .renderer(memberships -> {
          StringBuilder out = new StringBuilder();
          memberships.forEach((name, s) -> out.append(name).append('=').append(s.size())
              .append(';'));
          return out.toString();
        })
        .target(content -> {
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
  void backendNamesAreUnique() {
    ConfigPipeline pipeline = pipeline();
    pipeline.backend("web");

    assertThrows(IllegalArgumentException.class, () -> pipeline.backend("web"));
  }
}
