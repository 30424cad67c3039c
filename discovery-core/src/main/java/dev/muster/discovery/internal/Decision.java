package dev.muster.discovery.internal;

import dev.muster.discovery.Changes;
import dev.muster.discovery.Snapshot;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * What the loop does with a fetched membership: the decision, apart from the scheduling, as a pure
 * function of an immutable {@link State} and the views. {@link #decide} runs, in this order,
 * unchanged, guard, debounce:
 *
 * <ol>
 *   <li><b>unchanged</b> (same members as published): {@link Kind#NOTHING}; any hold and any
 *       pending change end;
 *   <li><b>guard</b> ({@link Guard}): {@link Kind#HOLD} with the reason;
 *   <li><b>debounce</b> ({@link Debouncer}): {@link Kind#PUBLISH} when due, the first membership at
 *       once; otherwise {@link Kind#WAIT} until it is due.
 * </ol>
 *
 * {@link #once} is the same guard for a one-shot pass, without the debounce. Every decision carries
 * the state to keep and the notes to log; nothing here reads a clock, sleeps or logs.
 *
 * @param kind what to do
 * @param snapshot for {@code PUBLISH}, the membership to publish
 * @param changes for {@code PUBLISH}, what changes against the published one, computed once
 * @param reason for {@code HOLD}, why
 * @param due for {@code WAIT}, when to look again ({@link #due})
 * @param next the state to keep
 * @param notes what to log, in order
 */
public record Decision(
    Kind kind,
    Snapshot snapshot,
    Changes changes,
    String reason,
    Instant due,
    State next,
    List<Note> notes) {

  /** The four outcomes. */
  public enum Kind {
    NOTHING,
    HOLD,
    WAIT,
    PUBLISH
  }

  /**
   * The guard and the debounce a loop keeps between decisions; immutable.
   *
   * @param policy the guard's rules
   * @param guard the guard's state
   * @param debounce the debounce's state
   */
  public record State(Guard.Policy policy, Guard.State guard, Debouncer debounce) {

    /** Nothing seen yet. */
    public static State of(Guard.Policy policy, Duration waitMin, Duration waitMax) {
      return new State(policy, Guard.State.INITIAL, Debouncer.of(waitMin, waitMax));
    }

    /** When a pending change is due, or {@code null}. */
    public Instant pendingUntil() {
      return debounce.deadline();
    }

    /** A description of the current hold, or {@code null}. */
    public String holding() {
      return guard.describeHold(policy);
    }

    /** After {@code snapshot} was published at {@code now}. */
    public State published(Snapshot snapshot, Instant now) {
      return new State(policy, guard.published(policy, snapshot, now), debounce);
    }

    /** With the operator's override for the next held view. */
    public State acceptingNext() {
      return new State(policy, guard.acceptingNext(), debounce);
    }

    /**
     * Going on from {@code previous}, the state of a loop this one replaces: its guard's history
     * and hold (a held view stays held, its count and time go on), this loop's own rules.
     */
    public State continuing(State previous) {
      return new State(policy, previous.guard(), debounce);
    }

    private State with(Guard.State nextGuard, Debouncer nextDebounce) {
      return new State(policy, nextGuard, nextDebounce);
    }
  }

  /** The decision for {@code candidate}, fetched at {@code now}. */
  public static Decision decide(State state, Snapshot published, Snapshot candidate, Instant now) {
    if (published != null && candidate.sameMembersAs(published)) {
      Guard.Judgement reset = Guard.reset(state.policy(), state.guard());
      return new Decision(
          Kind.NOTHING,
          null,
          null,
          null,
          null,
          state.with(reset.next(), state.debounce().cancel()),
          notes(reset));
    }
    Changes changes =
        published == null ? Changes.allAdded(candidate) : Changes.between(published, candidate);
    Guard.Judgement judged =
        Guard.check(state.policy(), state.guard(), published, candidate, changes, now);
    if (!judged.verdict().accepted()) {
      return hold(judged, state.with(judged.next(), state.debounce().cancel()));
    }
    if (published == null) {
      return publish(
          candidate, changes, state.with(judged.next(), state.debounce()), notes(judged));
    }
    Debouncer offered = state.debounce().offer(candidate, now);
    if (!offered.isDue(now)) {
      return new Decision(
          Kind.WAIT,
          null,
          null,
          null,
          offered.deadline(),
          state.with(judged.next(), offered),
          notes(judged));
    }
    return publish(
        offered.pending(), changes, state.with(judged.next(), offered.cancel()), notes(judged));
  }

  /** When a {@code WAIT} is over: {@code PUBLISH} the pending membership if it is due. */
  public static Decision due(State state, Snapshot published, Instant now) {
    Debouncer debounce = state.debounce();
    if (!debounce.isDue(now)) {
      Instant later = debounce.deadline();
      return new Decision(
          later == null ? Kind.NOTHING : Kind.WAIT, null, null, null, later, state, List.of());
    }
    Snapshot due = debounce.pending();
    Changes changes = published == null ? Changes.allAdded(due) : Changes.between(published, due);
    return publish(due, changes, state.with(state.guard(), debounce.cancel()), List.of());
  }

  /**
   * One guarded pass ({@code once}, a cron job): the guard against {@code baseline} (the state
   * file's membership, or {@code null}), no debounce, and a view equal to the baseline is published
   * too, so that an output that drifted is repaired. A hold cannot be confirmed within one pass: it
   * is refused unless the state accepts the next held view.
   */
  public static Decision once(State state, Snapshot baseline, Snapshot candidate, Instant now) {
    Changes changes =
        baseline == null ? Changes.allAdded(candidate) : Changes.between(baseline, candidate);
    Guard.Judgement judged =
        Guard.check(state.policy(), state.guard(), baseline, candidate, changes, now);
    if (!judged.verdict().accepted()) {
      return hold(judged, state.with(judged.next(), state.debounce()));
    }
    return publish(candidate, changes, state.with(judged.next(), state.debounce()), notes(judged));
  }

  private static Decision publish(
      Snapshot snapshot, Changes changes, State next, List<Note> notes) {
    return new Decision(Kind.PUBLISH, snapshot, changes, null, null, next, notes);
  }

  private static Decision hold(Guard.Judgement judged, State next) {
    return new Decision(
        Kind.HOLD, null, null, judged.verdict().reason(), null, next, notes(judged));
  }

  private static List<Note> notes(Guard.Judgement judged) {
    return judged.note() == null ? List.of() : List.of(judged.note());
  }
}
