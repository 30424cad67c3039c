package dev.muster.discovery;

import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * What differs between two snapshots: members added, removed and changed. Computed in one linear
 * pass over both sorted member lists. Immutable.
 *
 * @param added members only in the newer snapshot, sorted by instance id
 * @param removed members only in the older snapshot (as they were there), sorted by id
 * @param changed members in both whose fields differ, sorted by id
 */
public record Changes(List<Member> added, List<Member> removed, List<Change> changed) {

  /** What aspect of a member changed. */
  public enum Aspect {
    /** The resolved address. */
    ADDRESS,
    /** The resolved port. */
    PORT,
    /** The resolved weight. */
    WEIGHT,
    /** The EC2 state. */
    STATE,
    /** Any tag. */
    TAGS,
    /** Anything else: other addresses, DNS name, zone, subnet, VPC, launch time. */
    OTHER
  }

  /**
   * One member present in both snapshots with different fields.
   *
   * @param before the member in the older snapshot
   * @param after the member in the newer snapshot
   * @param aspects what differs, never empty
   */
  public record Change(Member before, Member after, Set<Aspect> aspects) {
    /** Copies {@code aspects}. */
    public Change {
      Objects.requireNonNull(before, "before");
      Objects.requireNonNull(after, "after");
      aspects = Collections.unmodifiableSet(EnumSet.copyOf(aspects));
    }
  }

  /** Copies the lists. */
  public Changes {
    added = List.copyOf(added);
    removed = List.copyOf(removed);
    changed = List.copyOf(changed);
  }

  /** No changes. */
  public static final Changes NONE = new Changes(List.of(), List.of(), List.of());

  /** Whether nothing was added, removed or changed. */
  public boolean isEmpty() {
    return added.isEmpty() && removed.isEmpty() && changed.isEmpty();
  }

  /** Everything in {@code snapshot} as added, for the first publication. */
  public static Changes allAdded(Snapshot snapshot) {
    return new Changes(snapshot.members(), List.of(), List.of());
  }

  /**
   * The changes from {@code before} to {@code after}: O(n + m), a merge of the two id-sorted member
   * lists that compares members present in both by their SHA-256 digests. Returns {@link #NONE} at
   * once when the fingerprints are equal.
   */
  public static Changes between(Snapshot before, Snapshot after) {
    if (before.sameMembersAs(after)) {
      return NONE;
    }
    List<Member> a = before.members();
    List<Member> b = after.members();
    List<Member> added = new ArrayList<>();
    List<Member> removed = new ArrayList<>();
    List<Change> changed = new ArrayList<>();
    int i = 0;
    int j = 0;
    while (i < a.size() && j < b.size()) {
      Member x = a.get(i);
      Member y = b.get(j);
      int cmp = x.instanceId().compareTo(y.instanceId());
      if (cmp < 0) {
        removed.add(x);
        i++;
      } else if (cmp > 0) {
        added.add(y);
        j++;
      } else {
        if (!before.sameMember(i, after, j)) {
          changed.add(new Change(x, y, aspects(x, y)));
        }
        i++;
        j++;
      }
    }
    removed.addAll(a.subList(i, a.size()));
    added.addAll(b.subList(j, b.size()));
    return new Changes(added, removed, changed);
  }

  private static Set<Aspect> aspects(Member x, Member y) {
    Set<Aspect> aspects = EnumSet.noneOf(Aspect.class);
    if (!x.address().equals(y.address())) {
      aspects.add(Aspect.ADDRESS);
    }
    if (x.port() != y.port()) {
      aspects.add(Aspect.PORT);
    }
    if (x.weight() != y.weight()) {
      aspects.add(Aspect.WEIGHT);
    }
    if (!x.state().equals(y.state())) {
      aspects.add(Aspect.STATE);
    }
    if (!x.tags().equals(y.tags())) {
      aspects.add(Aspect.TAGS);
    }
    if (!Objects.equals(x.privateIp(), y.privateIp())
        || !Objects.equals(x.publicIp(), y.publicIp())
        || !Objects.equals(x.privateDnsName(), y.privateDnsName())
        || !Objects.equals(x.ipv6(), y.ipv6())
        || !Objects.equals(x.availabilityZone(), y.availabilityZone())
        || !Objects.equals(x.subnetId(), y.subnetId())
        || !Objects.equals(x.vpcId(), y.vpcId())
        || !Objects.equals(x.launchTime(), y.launchTime())) {
      aspects.add(Aspect.OTHER);
    }
    return aspects;
  }

  @Override
  public String toString() {
    return "Changes[+" + added.size() + " -" + removed.size() + " ~" + changed.size() + "]";
  }
}
