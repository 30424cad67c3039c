package dev.muster.discovery.internal;

import dev.muster.discovery.Changes;
import dev.muster.discovery.Member;
import dev.muster.discovery.Snapshot;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashSet;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decides whether a fetched membership may be published. Three rules:
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
 * view in a few seconds. {@link #acceptNext()} (an operator's override) accepts a held view at
 * once, but never one below the floor. Each hold is logged once when it starts and once when it
 * ends.
 *
 * <p>Failed fetches never reach the guard: the loop keeps the last good snapshot for them. Not
 * thread-safe; the loop calls it under its lock.
 */
public final class Guard {
  private static final Logger log = LoggerFactory.getLogger("dev.muster.discovery");

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

  private enum Condition {
    BELOW_MINIMUM,
    EMPTY,
    MASS_REMOVAL
  }

  private record Published(Instant at, int size) {}

  private final String name;
  private final Policy policy;
  private final Deque<Published> history = new ArrayDeque<>();
  private Condition holding;
  private Set<String> heldMembers = Set.of();
  private int seen;
  private Instant since;
  private boolean acceptNext;

  /**
   * @param name the discovery's name, for logs
   * @param policy the rules
   */
  public Guard(String name, Policy policy) {
    this.name = name;
    this.policy = policy;
  }

  /**
   * Continues from {@code previous} (the guard of a loop this one replaces): its publication
   * history, and any hold with its sightings and start, so that a replacement never publishes what
   * the previous guard held. Only the policy is this guard's own.
   */
  public void continueFrom(Guard previous) {
    history.clear();
    history.addAll(previous.history);
    holding = previous.holding;
    heldMembers = previous.heldMembers;
    seen = previous.seen;
    since = previous.since;
  }

  /** Accepts the next held view, unless it is below the floor (an operator's override). */
  public void acceptNext() {
    acceptNext = true;
  }

  /** A description of the current hold, or {@code null}. */
  public String holding() {
    return holding == null
        ? null
        : describe(holding) + " (seen " + seen + " times since " + since + ")";
  }

  /**
   * Judges {@code candidate} against the {@code published} snapshot ({@code null} before the first
   * publication) at time {@code now}.
   */
  public Verdict check(Snapshot published, Snapshot candidate, Changes changes, Instant now) {
    Condition condition = condition(published, candidate, changes, now);
    if (condition == null) {
      release("the membership looks normal again");
      return Verdict.ACCEPT;
    }
    String what = describe(condition, published, candidate, changes, now);
    Set<String> members = ids(candidate);
    if (condition != holding || !members.equals(heldMembers)) {
      // A hold confirms one view: another view (another glitch, or the fleet still moving) starts
      // it again, so a long hold on one removal can never confirm a different one.
      holding = condition;
      heldMembers = members;
      seen = 0;
      since = now;
    }
    seen++;
    if (condition == Condition.BELOW_MINIMUM) {
      if (seen == 1) {
        log.error(
            "{}: REFUSED: {}; keeping {}. Check the query and region; set minMembers "
                + "lower (or allowEmpty) if this is intended",
            name,
            what,
            published == null ? "the live configuration as it is" : "the last good membership");
      }
      acceptNext = false;
      return new Verdict(false, "refused: " + what);
    }
    Duration heldFor = Duration.between(since, now);
    if (acceptNext) {
      acceptNext = false;
      log.warn("{}: {} accepted by explicit override", name, what);
      return acceptHeld();
    }
    if (seen >= policy.confirmations() && heldFor.compareTo(policy.holdMin()) >= 0) {
      log.warn(
          "{}: {}: confirmed by {} fetches over {} s, publishing",
          name,
          what,
          seen,
          heldFor.toSeconds());
      return acceptHeld();
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
    if (seen == 1) {
      log.warn("{}: {}; keeping the last good membership until confirmed", name, reason);
    }
    return new Verdict(false, reason);
  }

  /** Records a publication, for the cumulative rule. */
  public void published(Snapshot snapshot, Instant now) {
    history.addLast(new Published(now, snapshot.size()));
    while (history.size() > 1
        && Duration.between(history.peekFirst().at(), now).compareTo(policy.window()) > 0) {
      history.removeFirst();
    }
  }

  /** Called when a candidate equal to the published one arrives: any hold is over. */
  public void reset() {
    release("the membership is back to what is published");
  }

  private Verdict acceptHeld() {
    holding = null;
    heldMembers = Set.of();
    seen = 0;
    since = null;
    // A confirmed removal is the new normal: the window starts again from it.
    history.clear();
    return Verdict.ACCEPT;
  }

  private Condition condition(
      Snapshot published, Snapshot candidate, Changes changes, Instant now) {
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
    int peak = peak(published, now);
    return (double) (peak - candidate.size()) / peak > max ? Condition.MASS_REMOVAL : null;
  }

  private int peak(Snapshot published, Instant now) {
    int peak = published.size();
    for (Published p : history) {
      if (Duration.between(p.at(), now).compareTo(policy.window()) <= 0) {
        peak = Math.max(peak, p.size());
      }
    }
    return peak;
  }

  private void release(String why) {
    if (holding != null) {
      log.info("{}: hold on {} released: {}", name, describe(holding), why);
      holding = null;
      heldMembers = Set.of();
      seen = 0;
      since = null;
    }
  }

  private static Set<String> ids(Snapshot snapshot) {
    Set<String> ids = new HashSet<>(snapshot.size() * 2);
    for (Member m : snapshot.members()) {
      ids.add(m.instanceId());
    }
    return ids;
  }

  private String describe(Condition condition) {
    return switch (condition) {
      case BELOW_MINIMUM -> "fewer than " + policy.minMembers() + " members";
      case EMPTY -> "empty membership";
      case MASS_REMOVAL ->
          "mass removal above " + Math.round(policy.maxRemovalFraction() * 100) + "%";
    };
  }

  private String describe(
      Condition condition, Snapshot published, Snapshot candidate, Changes changes, Instant now) {
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
        int peak = peak(published, now);
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
