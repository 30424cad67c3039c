package dev.muster.discovery.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.muster.discovery.Member;
import dev.muster.discovery.Snapshot;
import dev.muster.discovery.internal.Decision.Kind;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The loop's decision, rule by rule, as the pure function it is: states and instants in, a verdict,
 * the next state and notes out. No clock, thread or log.
 */
class DecisionTest {
  private static final Instant T = Instant.parse("2026-01-01T00:00:00Z");
  private static final Guard.Policy POLICY =
      new Guard.Policy(1, false, 0.5, 3, Duration.ofSeconds(60), Duration.ofMinutes(10));

  private static Snapshot members(int from, int to) {
    List<Member> list = new ArrayList<>();
    for (int i = from; i < to; i++) {
      list.add(
          Member.newBuilder(String.format("i-%05d", i)).address("10.0.0.1").port(i + 1).build());
    }
    return Snapshot.of(list, T);
  }

  private static Decision.State fresh(Duration waitMin, Duration waitMax) {
    return Decision.State.of(POLICY, waitMin, waitMax);
  }

  private static Decision.State fresh() {
    return fresh(Duration.ZERO, Duration.ZERO);
  }

  private static Instant at(long seconds) {
    return T.plusSeconds(seconds);
  }

  @Test
  void theFirstViewIsPublishedAtOnceEvenWithADebounce() {
    Decision d =
        Decision.decide(
            fresh(Duration.ofMinutes(1), Duration.ofMinutes(4)), null, members(0, 3), T);

    assertEquals(Kind.PUBLISH, d.kind());
    assertEquals(3, d.changes().added().size());
  }

  @Test
  void aViewBelowTheFloorIsRefusedTheFirstIncludedAndTheOverrideDoesNotLiftIt() {
    Decision first = Decision.decide(fresh(), null, members(0, 0), T);
    assertEquals(Kind.HOLD, first.kind());
    assertTrue(first.reason().startsWith("refused: "), first.reason());
    assertEquals(Note.Level.ERROR, first.notes().get(0).level());

    Decision.State overridden = first.next().acceptingNext();
    Decision again = Decision.decide(overridden, members(0, 5), members(0, 0), at(3600));
    assertEquals(Kind.HOLD, again.kind());
  }

  @Test
  void anUnchangedViewDoesNothingAndEndsAHold() {
    Snapshot ten = members(0, 10);
    Decision held = Decision.decide(fresh(), ten, members(0, 4), T);
    assertEquals(Kind.HOLD, held.kind());

    Decision back = Decision.decide(held.next(), ten, members(0, 10), at(10));

    assertEquals(Kind.NOTHING, back.kind());
    assertNull(back.next().holding());
    assertEquals(Note.Level.INFO, back.notes().get(0).level());
    assertTrue(back.notes().get(0).text().contains("released"), back.notes().toString());
  }

  @Test
  void aMassRemovalIsPublishedOnlyAfterTheCountAndTheTime() {
    Snapshot ten = members(0, 10);
    Decision.State s = fresh();
    long[] times = {0, 10, 20, 59};
    for (long t : times) {
      Decision d = Decision.decide(s, ten, members(0, 4), at(t));
      assertEquals(Kind.HOLD, d.kind(), "at " + t + " s");
      s = d.next();
    }
    Decision confirmed = Decision.decide(s, ten, members(0, 4), at(60));

    assertEquals(Kind.PUBLISH, confirmed.kind());
    assertEquals(6, confirmed.changes().removed().size());
    assertTrue(
        confirmed.notes().get(0).text().contains("confirmed by 5 fetches"),
        confirmed.notes().toString());
  }

  @Test
  void aStaircaseIsHeldAgainstTheLargestPublishedMembershipInTheWindow() {
    Decision.State s = fresh().published(members(0, 50), T);
    Decision second = Decision.decide(s, members(0, 50), members(0, 26), at(3));
    assertEquals(Kind.PUBLISH, second.kind(), "48%");
    s = second.next().published(members(0, 26), at(3));

    Decision third = Decision.decide(s, members(0, 26), members(0, 14), at(6));

    assertEquals(Kind.HOLD, third.kind());
    assertTrue(third.reason().contains("from 50"), third.reason());
  }

  @Test
  void aDifferentHeldViewStartsTheHoldAgain() {
    Snapshot ten = members(0, 10);
    Decision.State s = fresh();
    for (long t = 0; t <= 60; t += 20) {
      s = Decision.decide(s, ten, members(0, 3), at(t)).next();
    }
    Decision other = Decision.decide(s, ten, members(5, 8), at(70));

    assertEquals(Kind.HOLD, other.kind());
    assertTrue(other.reason().contains("seen 1 of 3"), other.reason());
  }

  @Test
  void theOverrideAcceptsAHeldViewAtOnce() {
    Decision held = Decision.decide(fresh(), members(0, 10), members(0, 2), T);

    Decision accepted =
        Decision.decide(held.next().acceptingNext(), members(0, 10), members(0, 2), at(1));

    assertEquals(Kind.PUBLISH, accepted.kind());
  }

  @Test
  void aChangeWaitsForQuietAndIsDueAtTheLatestAfterMax() {
    Decision.State s = fresh(Duration.ofSeconds(10), Duration.ofSeconds(25));
    Snapshot three = members(0, 3);

    Decision first = Decision.decide(s, three, members(0, 4), T);
    assertEquals(Kind.WAIT, first.kind());
    assertEquals(at(10), first.due());
    Decision second = Decision.decide(first.next(), three, members(0, 5), at(8));
    assertEquals(at(18), second.due());
    Decision third = Decision.decide(second.next(), three, members(0, 6), at(16));
    assertEquals(at(25), third.due(), "capped by max");

    assertEquals(Kind.WAIT, Decision.due(third.next(), three, at(24)).kind());
    Decision due = Decision.due(third.next(), three, at(25));
    assertEquals(Kind.PUBLISH, due.kind());
    assertEquals(6, due.snapshot().size());
    assertNull(due.next().pendingUntil());
  }

  @Test
  void aHoldDropsAPendingChange() {
    Decision.State s = fresh(Duration.ofSeconds(10), Duration.ofSeconds(40));
    Decision waiting = Decision.decide(s, members(0, 10), members(0, 11), T);

    Decision held = Decision.decide(waiting.next(), members(0, 10), members(0, 2), at(5));

    assertEquals(Kind.HOLD, held.kind());
    assertNull(held.next().pendingUntil());
    assertEquals(Kind.NOTHING, Decision.due(held.next(), members(0, 10), at(60)).kind());
  }

  @Test
  void oncePublishesEvenAnUnchangedViewAndCannotConfirmAHold() {
    Snapshot ten = members(0, 10);
    Decision repair = Decision.once(fresh(), ten, members(0, 10), T);
    assertEquals(Kind.PUBLISH, repair.kind());
    assertTrue(repair.changes().isEmpty());

    assertEquals(Kind.HOLD, Decision.once(fresh(), ten, members(0, 2), T).kind());
    assertEquals(
        Kind.PUBLISH, Decision.once(fresh().acceptingNext(), ten, members(0, 2), T).kind());
  }

  @Test
  void aReplacementContinuesTheHoldOfThePreviousState() {
    Decision.State old = fresh();
    for (long t = 0; t <= 40; t += 20) {
      old = Decision.decide(old, members(0, 10), members(0, 3), at(t)).next();
    }
    Decision.State replacement = fresh().continuing(old);

    Decision d = Decision.decide(replacement, members(0, 10), members(0, 3), at(60));

    assertEquals(Kind.PUBLISH, d.kind(), "seen 4 times over 60 s, across the replacement");
    assertSame(POLICY, replacement.policy());
  }
}
