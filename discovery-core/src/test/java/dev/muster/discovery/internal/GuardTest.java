package dev.muster.discovery.internal;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.muster.discovery.Changes;
import dev.muster.discovery.Member;
import dev.muster.discovery.Snapshot;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Each of the guard's rules, alone. Times are given, never read. */
class GuardTest {
  private static final Instant T = Instant.parse("2026-01-01T00:00:00Z");

  private static Snapshot members(int from, int to) {
    List<Member> list = new ArrayList<>();
    for (int i = from; i < to; i++) {
      list.add(
          Member.newBuilder(String.format("i-%05d", i))
              .address("10.0." + (i / 250) + "." + (i % 250 + 1))
              .port(80)
              .build());
    }
    return Snapshot.of(list, T);
  }

  /** The pure guard with its state kept between calls, as the loop keeps it. */
  private static final class Judge {
    final Guard.Policy policy;
    Guard.State state = Guard.State.INITIAL;
    final java.util.List<Note> notes = new ArrayList<>();

    Judge(Guard.Policy policy) {
      this.policy = policy;
    }

    boolean accepts(Snapshot published, Snapshot candidate, Instant now) {
      Changes changes =
          published == null ? Changes.allAdded(candidate) : Changes.between(published, candidate);
      Guard.Judgement j = Guard.check(policy, state, published, candidate, changes, now);
      state = j.next();
      if (j.note() != null) {
        notes.add(j.note());
      }
      return j.verdict().accepted();
    }

    void published(Snapshot snapshot, Instant now) {
      state = state.published(policy, snapshot, now);
    }

    void acceptNext() {
      state = state.acceptingNext();
    }

    String holding() {
      return state.describeHold(policy);
    }
  }

  private static Judge guard(int minMembers, boolean allowEmpty) {
    return new Judge(
        new Guard.Policy(
            minMembers, allowEmpty, 0.5, 3, Duration.ofSeconds(60), Duration.ofMinutes(10)));
  }

  private static boolean accepts(Judge guard, Snapshot published, Snapshot candidate, Instant now) {
    return guard.accepts(published, candidate, now);
  }

  @ParameterizedTest(name = "minMembers {0}, first view of {1}: accepted {2}")
  @CsvSource({"1, 0, false", "1, 1, true", "3, 2, false", "3, 3, true"})
  void theFloorHoldsForTheFirstView(int minMembers, int size, boolean accepted) {
    assertTrue(accepts(guard(minMembers, false), null, members(0, size), T) == accepted);
  }

  @Test
  void theFloorIsNeverLiftedByTimeOrOverride() {
    Judge guard = guard(2, false);
    Snapshot published = members(0, 5);
    for (int minute = 0; minute < 60; minute++) {
      assertFalse(accepts(guard, published, members(0, 1), T.plusSeconds(60L * minute)));
    }
    guard.acceptNext();
    assertFalse(accepts(guard, published, members(0, 1), T.plusSeconds(3600)));
  }

  @Test
  void anEmptyViewWithAllowEmptyIsHeldLikeAMassRemoval() {
    Judge guard = guard(1, true);
    Snapshot published = members(0, 5);

    assertFalse(accepts(guard, published, members(0, 0), T));
    assertFalse(accepts(guard, published, members(0, 0), T.plusSeconds(30)));
    assertFalse(accepts(guard, published, members(0, 0), T.plusSeconds(59)));
    assertTrue(accepts(guard, published, members(0, 0), T.plusSeconds(60)));
  }

  @Test
  void aMassRemovalNeedsBothTheCountAndTheTime() {
    Snapshot published = members(0, 10);
    Judge byCount = guard(1, false);
    assertFalse(accepts(byCount, published, members(0, 4), T));
    assertFalse(accepts(byCount, published, members(0, 4), T.plusSeconds(61)), "2 of 3");
    assertTrue(accepts(byCount, published, members(0, 4), T.plusSeconds(62)));

    Judge byTime = guard(1, false);
    for (int i = 0; i < 10; i++) {
      assertFalse(accepts(byTime, published, members(0, 4), T.plusSeconds(i)), "10 s only");
    }
    assertTrue(accepts(byTime, published, members(0, 4), T.plusSeconds(60)));
  }

  @Test
  void aNormalViewEndsAHold() {
    Judge guard = guard(1, false);
    Snapshot published = members(0, 10);
    assertFalse(accepts(guard, published, members(0, 4), T));
    assertFalse(accepts(guard, published, members(0, 4), T.plusSeconds(30)));

    assertTrue(accepts(guard, published, members(0, 9), T.plusSeconds(40)));
    assertNull(guard.holding());
    assertFalse(accepts(guard, published, members(0, 4), T.plusSeconds(70)), "starts again");
  }

  @Test
  void theOverrideAcceptsAHeldMassRemovalAtOnce() {
    Judge guard = guard(1, false);
    Snapshot published = members(0, 10);
    assertFalse(accepts(guard, published, members(0, 2), T));

    guard.acceptNext();

    assertTrue(accepts(guard, published, members(0, 2), T.plusSeconds(1)));
  }

  @Test
  void removalsThatReplaceMostMembersAreHeldEvenAtTheSameSize() {
    Judge guard = guard(1, false);

    assertFalse(accepts(guard, members(0, 10), members(100, 110), T), "10 removed, 10 added");
  }

  @Test
  void aStaircaseIsJudgedAgainstTheLargestMembershipInTheWindow() {
    Judge guard = guard(1, false);
    Snapshot fifty = members(0, 50);
    guard.published(fifty, T);
    Snapshot twentySix = members(0, 26);
    assertTrue(accepts(guard, fifty, twentySix, T.plusSeconds(3)), "48%");
    guard.published(twentySix, T.plusSeconds(3));

    assertFalse(
        accepts(guard, twentySix, members(0, 14), T.plusSeconds(6)),
        "46% of 26, but 72% of the 50 three seconds ago");
    assertTrue(guard.holding().startsWith("mass removal"), guard.holding());
  }

  @Test
  void theWindowForgetsOldPeaks() {
    Judge guard = guard(1, false);
    Snapshot fifty = members(0, 50);
    guard.published(fifty, T);
    Snapshot thirty = members(0, 30);
    guard.published(thirty, T.plus(Duration.ofMinutes(5)));

    assertTrue(
        accepts(guard, thirty, members(0, 20), T.plus(Duration.ofMinutes(11))),
        "the 50 left the 10-minute window; 33% of 30");
  }

  @Test
  void aConfirmedRemovalIsTheNewBaseline() {
    Judge guard = guard(1, false);
    Snapshot ten = members(0, 10);
    guard.published(ten, T);
    accepts(guard, ten, members(0, 4), T);
    accepts(guard, ten, members(0, 4), T.plusSeconds(30));
    assertTrue(accepts(guard, ten, members(0, 4), T.plusSeconds(60)));
    Snapshot four = members(0, 4);
    guard.published(four, T.plusSeconds(60));

    assertTrue(
        accepts(guard, four, members(0, 3), T.plusSeconds(70)),
        "25% of 4; the 10 before the confirmation no longer count");
  }

  /**
   * A hold confirms one view. A removal held for minutes does not make another, different removal
   * (a glitch that returns some other part of the fleet) publishable at once.
   */
  @Test
  void aDifferentHeldViewStartsTheHoldAgain() {
    Judge guard = guard(1, false);
    Snapshot published = members(0, 10);
    for (int s = 0; s <= 50; s += 10) {
      assertFalse(accepts(guard, published, members(0, 3), T.plusSeconds(s)));
    }
    // Held for 50 s and six fetches; now a different view with the same kind of removal:
    assertFalse(accepts(guard, published, members(5, 8), T.plusSeconds(60)));
    assertFalse(accepts(guard, published, members(5, 8), T.plusSeconds(70)));
    assertFalse(accepts(guard, published, members(5, 8), T.plusSeconds(110)));
    assertTrue(accepts(guard, published, members(5, 8), T.plusSeconds(120)), "its own minute");
  }
}
