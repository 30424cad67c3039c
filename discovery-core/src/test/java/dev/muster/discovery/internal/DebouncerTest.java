package dev.muster.discovery.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.muster.discovery.Member;
import dev.muster.discovery.Snapshot;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class DebouncerTest {
  private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

  private static Snapshot snapshot(int members) {
    return Snapshot.of(
        java.util.stream.IntStream.range(0, members)
            .mapToObj(
                i -> Member.newBuilder("i-" + i).address("10.0.0." + (i + 1)).port(80).build())
            .toList(),
        T0);
  }

  @Test
  void zeroMinIsDueAtOnce() {
    Snapshot s = snapshot(1);

    Debouncer d = Debouncer.of(Duration.ZERO, Duration.ZERO).offer(s, T0);

    assertEquals(T0, d.deadline());
    assertTrue(d.isDue(T0));
    assertSame(s, d.pending());
  }

  @Test
  void eachChangeRestartsTheQuietPeriodUpToMax() {
    Debouncer d = Debouncer.of(Duration.ofSeconds(10), Duration.ofSeconds(25));

    d = d.offer(snapshot(1), T0);
    assertEquals(T0.plusSeconds(10), d.deadline());
    d = d.offer(snapshot(2), T0.plusSeconds(8));
    assertEquals(T0.plusSeconds(18), d.deadline());
    d = d.offer(snapshot(3), T0.plusSeconds(16));
    assertEquals(T0.plusSeconds(25), d.deadline());
    assertFalse(d.isDue(T0.plusSeconds(24)));
    assertTrue(d.isDue(T0.plusSeconds(25)));
    assertEquals(3, d.pending().size());
  }

  @Test
  void anUnchangedCandidateDoesNotRestartTheQuietPeriod() {
    Debouncer d =
        Debouncer.of(Duration.ofSeconds(10), Duration.ofSeconds(60)).offer(snapshot(2), T0);

    assertEquals(T0.plusSeconds(10), d.offer(snapshot(2), T0.plusSeconds(5)).deadline());
  }

  @Test
  void cancelForgetsThePendingCandidate() {
    Debouncer d =
        Debouncer.of(Duration.ofSeconds(10), Duration.ofSeconds(60))
            .offer(snapshot(2), T0)
            .cancel();

    assertFalse(d.isDue(T0.plusSeconds(100)));
    assertNull(d.deadline());
    assertNull(d.pending());
  }
}
