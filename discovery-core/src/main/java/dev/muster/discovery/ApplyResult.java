package dev.muster.discovery;

import java.util.Objects;

/**
 * What a {@link Target} did with rendered text.
 *
 * @param outcome what happened
 * @param detail for {@link Outcome#DRY_RUN} the unified diff that would be applied; for {@link
 *     Outcome#APPLIED} a one-line summary; empty for {@link Outcome#UNCHANGED}
 */
public record ApplyResult(Outcome outcome, String detail) {

  /** What happened. */
  public enum Outcome {
    /** The text equals what is live: nothing was written, nothing reloaded. */
    UNCHANGED,
    /** The text was validated, written and picked up by the proxy. */
    APPLIED,
    /** Dry run: nothing was touched; {@code detail} holds the diff. */
    DRY_RUN
  }

  /** Nothing to do. */
  public static final ApplyResult UNCHANGED = new ApplyResult(Outcome.UNCHANGED, "");

  /** Checks the fields. */
  public ApplyResult {
    Objects.requireNonNull(outcome, "outcome");
    Objects.requireNonNull(detail, "detail");
  }
}
