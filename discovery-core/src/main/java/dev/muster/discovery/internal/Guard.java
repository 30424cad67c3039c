package dev.muster.discovery.internal;

import dev.muster.discovery.Changes;
import dev.muster.discovery.Member;
import dev.muster.discovery.Snapshot;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Decides whether a fetched membership may be published: a pure function of the policy, the guard's
 * {@link State} and the views, which returns the verdict, the next state and what to log. Three
 * rules:
 *
 * <ol>
 *   <li><b>Floor.</b> A view with fewer than {@link Policy#minMembers} members is refused, the
 *       first view included, and no amount of time or confirmation lifts it: only an empty view,
 *       and only with {@link Policy#allowEmpty}, may go below the floor.
 *   <li><b>Mass removal, per step.</b> A view that removes more than {@link
 *       Policy#maxRemovalFraction} of the published members is held.
 *   <li><b>Mass removal, cumulative.</b> A view smaller than {@code 1 - maxRemovalFraction} of the
 *       largest membership published within {@link Policy#window} is held, so a staircase of small
 *       steps (50, 26, 14, 8...) is judged as the one big removal it is.
 * </ol>
 *
 * <p>A held view is published once it has been seen in {@link Policy#confirmations} fetches in a
 * row <em>and</em> for at least {@link Policy#holdMin} since it was first seen (the same members: a
 * different held view starts the count and the time again): a fast interval cannot confirm a wrong
 * view in a few seconds, and a long hold on one view never confirms another. {@link
 * State#acceptingNext()} (an operator's override) accepts a held view at once, but never one below
 * the floor. A hold is noted once when it starts and once when it ends.
 *
 * <p>Failed fetches never reach the guard: the loop keeps the last good snapshot for them.
 */
public final class Guard {
  private Guard() {}

  /**
   * The guard's settings.
   *
   * @param minMembers the fewest members a published view may have, at least 1
   * @param allowEmpty whether an empty view may be published (after confirmation)
   * @param maxRemovalFraction the largest share of members a view may remove without a hold, per
   *     step and over the window; 1 disables the mass-removal rules
   * @param confirmations fetches in a row that must show a held view
   * @param holdMin how long a held view must have been seen before it is published
   * @param window how far back the cumulative rule looks for the largest membership
   */
  public record Policy(
      int minMembers,
      boolean allowEmpty,
      double maxRemovalFraction,
      int confirmations,
      Duration holdMin,
      Duration window) {}

  /** What the guard decided. {@code reason} is {@code null} when the view is accepted. */
  public record Verdict(boolean accepted, String reason) {
    static final Verdict ACCEPT = new Verdict(true, null);
  }

  /** Why a view is held or refused. */
  public enum Condition {
    BELOW_MINIMUM,
    EMPTY,
    MASS_REMOVAL
  }

  /** A publication the cumulative rule remembers: when, and how many members. */
  public record Published(Instant at, int size) {}

  /**
   * The guard's state between decisions; immutable.
   *
   * @param holding what is held, or {@code null}
   * @param heldMembers the instance ids of the held view
   * @param seen how many fetches in a row showed it
   * @param since when it was first seen
   * @param acceptNext whether the operator accepted the next held view
   * @param history the publications within the window, oldest first
   */
  public record State(
      Condition holding,
      Set<String> heldMembers,
      int seen,
      Instant since,
      boolean acceptNext,
      List<Published> history) {

    /** Before anything was seen or published. */
    public static final State INITIAL = new State(null, Set.of(), 0, null, false, List.of());

    /** The operator's override: the next held view is accepted, unless below the floor. */
    public State acceptingNext() {
      return new State(holding, heldMembers, seen, since, true, history);
    }

    /** Records a publication of {@code snapshot} at {@code now}, for the cumulative rule. */
    public State published(Policy policy, Snapshot snapshot, Instant now) {
      List<Published> kept = new ArrayList<>(history.size() + 1);
      for (Published p : history) {
        if (Duration.between(p.at(), now).compareTo(policy.window()) <= 0) {
          kept.add(p);
        }
      }
      kept.add(new Published(now, snapshot.size()));
      return new State(holding, heldMembers, seen, since, acceptNext, List.copyOf(kept));
    }

    /** A description of the current hold under {@code policy}, or {@code null}. */
    public String describeHold(Policy policy) {
      return holding == null
          ? null
          : describe(policy, holding) + " (seen " + seen + " times since " + since + ")";
    }

    private State released() {
      return new State(null, Set.of(), 0, null, acceptNext, history);
    }
  }

  /**
   * What {@link #check} decided.
   *
   * @param verdict accepted, or why not
   * @param next the guard's state after it
   * @param note what to log, or {@code null}
   */
  public record Judgement(Verdict verdict, State next, Note note) {}

  /**
   * Judges {@code candidate} against the {@code published} snapshot ({@code null} before the first
   * publication) at time {@code now}.
   */
  public static Judgement check(
      Policy policy,
      State state,
      Snapshot published,
      Snapshot candidate,
      Changes changes,
      Instant now) {
    Condition condition = condition(policy, state, published, candidate, changes, now);
    if (condition == null) {
      return release(policy, state, "the membership looks normal again", Verdict.ACCEPT);
    }
    String what = describe(policy, state, condition, published, candidate, changes, now);
    Set<String> members = ids(candidate);
    State s = state;
    if (condition != s.holding() || !members.equals(s.heldMembers())) {
      // A hold confirms one view: another view (another glitch, or the fleet still moving) starts
      // it again, so a long hold on one removal can never confirm a different one.
      s = new State(condition, members, 0, now, s.acceptNext(), s.history());
    }
    int seen = s.seen() + 1;
    s = new State(s.holding(), s.heldMembers(), seen, s.since(), s.acceptNext(), s.history());
    if (condition == Condition.BELOW_MINIMUM) {
      Note note =
          seen == 1
              ? new Note(
                  Note.Level.ERROR,
                  "REFUSED: "
                      + what
                      + "; keeping "
                      + (published == null
                          ? "the live configuration as it is"
                          : "the last good membership")
                      + ". Check the query and region; set minMembers lower (or allowEmpty) if"
                      + " this is intended")
              : null;
      State next = new State(s.holding(), s.heldMembers(), seen, s.since(), false, s.history());
      return new Judgement(new Verdict(false, "refused: " + what), next, note);
    }
    Duration heldFor = Duration.between(s.since(), now);
    if (s.acceptNext()) {
      return new Judgement(
          Verdict.ACCEPT,
          State.INITIAL, // the hold ends and the window starts again: the new normal
          new Note(Note.Level.WARN, what + " accepted by explicit override"));
    }
    if (seen >= policy.confirmations() && heldFor.compareTo(policy.holdMin()) >= 0) {
      return new Judgement(
          Verdict.ACCEPT,
          State.INITIAL, // the hold ends and the window starts again: the new normal
          new Note(
              Note.Level.WARN,
              what
                  + ": confirmed by "
                  + seen
                  + " fetches over "
                  + heldFor.toSeconds()
                  + " s, publishing"));
    }
    String reason =
        "held: "
            + what
            + " (seen "
            + seen
            + " of "
            + policy.confirmations()
            + " times, for "
            + heldFor.toSeconds()
            + " of "
            + policy.holdMin().toSeconds()
            + " s)";
    Note note =
        seen == 1
            ? new Note(
                Note.Level.WARN, reason + "; keeping the last good membership until confirmed")
            : null;
    return new Judgement(new Verdict(false, reason), s, note);
  }

  /** A candidate equal to the published one arrived: any hold is over. */
  public static Judgement reset(Policy policy, State state) {
    return release(policy, state, "the membership is back to what is published", Verdict.ACCEPT);
  }

  private static Judgement release(Policy policy, State state, String why, Verdict verdict) {
    if (state.holding() == null) {
      return new Judgement(verdict, state, null);
    }
    return new Judgement(
        verdict,
        state.released(),
        new Note(
            Note.Level.INFO, "hold on " + describe(policy, state.holding()) + " released: " + why));
  }

  private static Condition condition(
      Policy policy,
      State state,
      Snapshot published,
      Snapshot candidate,
      Changes changes,
      Instant now) {
    if (candidate.size() < policy.minMembers() && !(candidate.isEmpty() && policy.allowEmpty())) {
      return Condition.BELOW_MINIMUM;
    }
    if (published == null || published.isEmpty()) {
      return null;
    }
    if (candidate.isEmpty()) {
      return Condition.EMPTY;
    }
    double max = policy.maxRemovalFraction();
    if ((double) changes.removed().size() / published.size() > max) {
      return Condition.MASS_REMOVAL;
    }
    int peak = peak(policy, state, published, now);
    return (double) (peak - candidate.size()) / peak > max ? Condition.MASS_REMOVAL : null;
  }

  private static int peak(Policy policy, State state, Snapshot published, Instant now) {
    int peak = published.size();
    for (Published p : state.history()) {
      if (Duration.between(p.at(), now).compareTo(policy.window()) <= 0) {
        peak = Math.max(peak, p.size());
      }
    }
    return peak;
  }

  private static Set<String> ids(Snapshot snapshot) {
    Set<String> ids = new HashSet<>(snapshot.size() * 2);
    for (Member m : snapshot.members()) {
      ids.add(m.instanceId());
    }
    return Set.copyOf(ids);
  }

  private static String describe(Policy policy, Condition condition) {
    return switch (condition) {
      case BELOW_MINIMUM -> "fewer than " + policy.minMembers() + " members";
      case EMPTY -> "empty membership";
      case MASS_REMOVAL ->
          "mass removal above " + Math.round(policy.maxRemovalFraction() * 100) + "%";
    };
  }

  private static String describe(
      Policy policy,
      State state,
      Condition condition,
      Snapshot published,
      Snapshot candidate,
      Changes changes,
      Instant now) {
    return switch (condition) {
      case BELOW_MINIMUM ->
          "fetch returned "
              + candidate.size()
              + " members, fewer than "
              + "minMembers "
              + policy.minMembers()
              + (published == null ? "" : " (" + published.size() + " are published)");
      case EMPTY -> "fetch returned 0 members while " + published.size() + " are published";
      case MASS_REMOVAL -> {
        int peak = peak(policy, state, published, now);
        if ((double) changes.removed().size() / published.size() > policy.maxRemovalFraction()) {
          yield String.format(
              "fetch would remove %d of %d members (%.0f%% > %.0f%%), %d remain",
              changes.removed().size(),
              published.size(),
              100.0 * changes.removed().size() / published.size(),
              100 * policy.maxRemovalFraction(),
              candidate.size());
        }
        yield String.format(
            "fetch would shrink the membership from %d (the largest within %d "
                + "min) to %d (%.0f%% > %.0f%%)",
            peak,
            policy.window().toMinutes(),
            candidate.size(),
            100.0 * (peak - candidate.size()) / peak,
            100 * policy.maxRemovalFraction());
      }
    };
  }
}
