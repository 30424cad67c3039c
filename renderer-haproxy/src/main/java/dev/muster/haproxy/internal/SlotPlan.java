package dev.muster.haproxy.internal;

import dev.muster.discovery.Member;
import dev.muster.discovery.Snapshot;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What runtime mode must do to one backend's slots so that they hold a membership: a pure function
 * of the current slots and the wanted snapshot, with no I/O.
 *
 * <ul>
 *   <li>a member that stays keeps its slot (no reshuffling, so no connection moves); a new weight
 *       is set in place ({@link #weights});
 *   <li>a member that left, or whose address or port changed, frees its slot after a drain ({@link
 *       #leaving});
 *   <li>new members, and those whose endpoint changed, take the free slots in order ({@link
 *       #arriving}); when there are too few, the slots grow to twice as many or to half as many
 *       again as needed, whichever is more ({@link #growTo}: one reload), so that a fleet that
 *       starts or grows big still has free slots for the next launches.
 * </ul>
 *
 * @param leaving slots to drain and free, in order
 * @param weights slots whose member stays with another weight (or other tags): the new member
 * @param arriving members to warm up in free slots, by instance id
 * @param growTo the slot count to grow to first, or 0 if the free slots suffice
 */
public record SlotPlan(
    List<Integer> leaving, Map<Integer, Member> weights, List<Member> arriving, int growTo) {

  /** The plan for {@code slots} to hold {@code wanted}. */
  public static SlotPlan of(Slots slots, Snapshot wanted) {
    Map<String, Member> desired = new LinkedHashMap<>();
    wanted.members().forEach(m -> desired.put(m.instanceId(), m));
    List<Integer> leaving = new ArrayList<>();
    Map<Integer, Member> updated = new LinkedHashMap<>();
    for (int i = 0; i < slots.size(); i++) {
      Member current = slots.member(i);
      if (current == null) {
        continue;
      }
      Member next = desired.remove(current.instanceId());
      if (next == null
          || !next.address().equals(current.address())
          || next.port() != current.port()) {
        leaving.add(i);
        if (next != null) {
          desired.put(next.instanceId(), next); // arrives again at its new endpoint
        }
      } else if (!next.equals(current)) {
        updated.put(i, next);
      }
    }
    List<Member> arriving = new ArrayList<>(desired.values());
    int free = slots.free() + leaving.size();
    int needed = slots.size() - free + arriving.size();
    int growTo = arriving.size() <= free ? 0 : Math.max(slots.size() * 2, needed + needed / 2);
    return new SlotPlan(List.copyOf(leaving), Map.copyOf(updated), List.copyOf(arriving), growTo);
  }

  /** Whether nothing needs doing. */
  public boolean isEmpty() {
    return leaving.isEmpty() && weights.isEmpty() && arriving.isEmpty();
  }

  /** The slots after this plan, computed on a copy: what the file will hold. */
  public Slots result(Slots slots) {
    Slots after = slots.copy();
    leaving.forEach(after::release);
    weights.forEach(after::assign);
    if (growTo > 0) {
      after.grow(growTo);
    }
    for (Member m : arriving) {
      after.assign(after.firstFree(), m);
    }
    return after;
  }
}
