package dev.muster.discovery.internal;

import dev.muster.discovery.Changes;
import dev.muster.discovery.Snapshot;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Holds suspicious memberships back: an empty result while members are published, and a
 * removal of more than a fraction of the published members. A held candidate is accepted once
 * the same condition has been seen {@code confirmations} fetches in a row, or when
 * {@link #acceptNext()} overrides. Each hold is logged once, with numbers, when it starts, and
 * once more when it ends.
 *
 * <p>Failed fetches never reach the guard: the loop keeps the last good snapshot for them.
 * Not thread-safe.
 */
public final class Guard {
  private static final Logger log = LoggerFactory.getLogger("dev.muster.discovery");

  /** What the guard decided. {@code reason} is {@code null} when the candidate is accepted. */
  public record Verdict(boolean accepted, String reason) {
    static final Verdict ACCEPT = new Verdict(true, null);
  }

  private enum Condition { EMPTY, MASS_REMOVAL }

  private final String name;
  private final int confirmations;
  private final boolean allowEmpty;
  private final double maxRemovalFraction;
  private Condition holding;
  private int seen;
  private boolean acceptNext;

  /**
   * @param name the discovery's name, for logs
   * @param confirmations fetches in a row that confirm a held condition; 1 disables holding
   * @param allowEmpty whether an empty result is accepted at once
   * @param maxRemovalFraction the largest share of published members one change may remove
   *     without a hold; 1.0 disables the mass-removal check
   */
  public Guard(String name, int confirmations, boolean allowEmpty, double maxRemovalFraction) {
    this.name = name;
    this.confirmations = confirmations;
    this.allowEmpty = allowEmpty;
    this.maxRemovalFraction = maxRemovalFraction;
  }

  /** Accepts the next candidate whatever it is (an operator's explicit confirmation). */
  public void acceptNext() {
    acceptNext = true;
  }

  /** A description of the current hold, or {@code null}. */
  public String holding() {
    return holding == null ? null : describe(holding) + " (seen " + seen + " of "
        + confirmations + " times)";
  }

  /**
   * Judges {@code candidate} against the {@code published} snapshot ({@code null} before the
   * first publication, when everything is accepted).
   */
  public Verdict check(Snapshot published, Snapshot candidate, Changes changes) {
    Condition condition = condition(published, candidate, changes);
    if (condition == null) {
      release("the membership looks normal again");
      return Verdict.ACCEPT;
    }
    if (acceptNext) {
      acceptNext = false;
      release("accepted by override");
      log.warn("{}: {} accepted by explicit override", name,
          describe(condition, published, candidate, changes));
      return Verdict.ACCEPT;
    }
    seen = condition == holding ? seen + 1 : 1;
    holding = condition;
    String what = describe(condition, published, candidate, changes);
    if (seen >= confirmations) {
      log.warn("{}: {}: confirmed by {} fetches in a row, publishing", name, what, seen);
      holding = null;
      seen = 0;
      return Verdict.ACCEPT;
    }
    String reason = what + " (seen " + seen + " of " + confirmations + " times)";
    if (seen == 1) {
      log.warn("{}: holding: {}; keeping the last good membership until confirmed", name,
          reason);
    }
    return new Verdict(false, reason);
  }

  /** Called when a candidate equal to the published one arrives: any hold is over. */
  public void reset() {
    release("the membership is back to what is published");
  }

  private Condition condition(Snapshot published, Snapshot candidate, Changes changes) {
    if (published == null || published.isEmpty()) {
      return null;
    }
    if (candidate.isEmpty()) {
      return allowEmpty ? null : Condition.EMPTY;
    }
    double removed = changes.removed().size();
    return removed / published.size() > maxRemovalFraction ? Condition.MASS_REMOVAL : null;
  }

  private void release(String why) {
    if (holding != null) {
      log.info("{}: hold on {} released: {}", name, describe(holding), why);
      holding = null;
      seen = 0;
    }
  }

  private String describe(Condition condition) {
    return condition == Condition.EMPTY ? "empty membership"
        : "mass removal above " + Math.round(maxRemovalFraction * 100) + "%";
  }

  private String describe(Condition condition, Snapshot published, Snapshot candidate,
      Changes changes) {
    if (condition == Condition.EMPTY) {
      return "fetch returned 0 members while " + published.size() + " are published";
    }
    return String.format("fetch would remove %d of %d members (%.0f%% > %.0f%%), %d remain",
        changes.removed().size(), published.size(),
        100.0 * changes.removed().size() / published.size(), 100 * maxRemovalFraction,
        candidate.size());
  }
}
