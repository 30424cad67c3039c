package dev.muster.discovery;

/**
 * Receives each membership that {@link Discovery} publishes.
 *
 * <p>Calls come one at a time, in publication order, from the discovery thread. A listener that
 * throws is logged and does not stop the other listeners or the loop; it gets the next publication
 * as usual. Listeners should not block for long: the next tick waits for them.
 */
@FunctionalInterface
public interface MembershipListener {

  /**
   * Called with the new membership and what changed since the previous publication (on the first
   * call, every member is in {@link Changes#added()}).
   *
   * @param snapshot the published membership, never {@code null}
   * @param changes the difference to the previous publication, never {@code null}
   */
  void onChange(Snapshot snapshot, Changes changes);
}
