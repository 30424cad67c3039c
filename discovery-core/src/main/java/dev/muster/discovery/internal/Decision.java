package dev.muster.discovery.internal;

import dev.muster.discovery.Changes;
import dev.muster.discovery.Snapshot;
import java.time.Duration;
import java.time.Instant;

/**
 * What the loop does with a fetched membership: the decision, apart from the scheduling. {@link
 * #decide} runs, in this order, unchanged, guard, debounce:
 *
 * <ol>
 *   <li><b>unchanged</b> (same members as published): {@link Kind#NOTHING}; any hold and any
 *       pending change end;
 *   <li><b>guard</b> ({@link Guard}): {@link Kind#HOLD} with the reason;
 *   <li><b>debounce</b> ({@link Debouncer}): {@link Kind#PUBLISH} when due, the first membership at
 *       once; otherwise {@link Kind#WAIT} until it is due.
 * </ol>
 *
 * @param kind what to do
 * @param snapshot for {@code PUBLISH}, the membership to publish
 * @param changes for {@code PUBLISH}, what changes against the published one, computed once
 * @param reason for {@code HOLD}, why
 * @param due for {@code WAIT}, when to look again ({@link #due})
 */
public record Decision(Kind kind, Snapshot snapshot, Changes changes, String reason, Instant due) {

  /** The four outcomes. */
  public enum Kind {
    NOTHING,
    HOLD,
    WAIT,
    PUBLISH
  }

  private static final Decision NOTHING = new Decision(Kind.NOTHING, null, null, null, null);

  /** The guard and the debouncer a loop keeps between decisions. Not thread-safe. */
  public static final class State {
    private final Guard guard;
    private final Debouncer debouncer;

    public State(Guard guard, Duration waitMin, Duration waitMax) {
      this.guard = guard;
      this.debouncer = new Debouncer(waitMin, waitMax);
    }

    public Guard guard() {
      return guard;
    }

    /** When a pending change is due, or {@code null}. */
    public Instant pendingUntil() {
      return debouncer.deadline();
    }

    /** Forgets a pending change (the loop stops, or publishes something else). */
    public void cancelPending() {
      debouncer.cancel();
    }
  }

  /** The decision for {@code candidate}, fetched at {@code now}. */
  public static Decision decide(State state, Snapshot published, Snapshot candidate, Instant now) {
    if (published != null && candidate.sameMembersAs(published)) {
      state.guard.reset();
      state.debouncer.cancel();
      return NOTHING;
    }
    Changes changes =
        published == null ? Changes.allAdded(candidate) : Changes.between(published, candidate);
    Guard.Verdict verdict = state.guard.check(published, candidate, changes, now);
    if (!verdict.accepted()) {
      state.debouncer.cancel();
      return new Decision(Kind.HOLD, null, null, verdict.reason(), null);
    }
    if (published == null) {
      return new Decision(Kind.PUBLISH, candidate, changes, null, null);
    }
    Instant due = state.debouncer.offer(candidate, now);
    if (due.isAfter(now)) {
      return new Decision(Kind.WAIT, null, null, null, due);
    }
    return publish(state.debouncer.takeIfDue(now), published, changes);
  }

  /** When a {@code WAIT} is over: {@code PUBLISH} the pending membership if it is due. */
  public static Decision due(State state, Snapshot published, Instant now) {
    Snapshot due = state.debouncer.takeIfDue(now);
    if (due == null) {
      Instant later = state.debouncer.deadline();
      return later == null ? NOTHING : new Decision(Kind.WAIT, null, null, null, later);
    }
    return publish(due, published, null);
  }

  private static Decision publish(Snapshot snapshot, Snapshot published, Changes known) {
    Changes changes =
        known != null
            ? known
            : published == null ? Changes.allAdded(snapshot) : Changes.between(published, snapshot);
    return new Decision(Kind.PUBLISH, snapshot, changes, null, null);
  }
}
