package dev.muster.discovery;

import dev.muster.discovery.internal.Fingerprint;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * An immutable membership at one moment: members sorted by instance id, with a fingerprint computed
 * once so that "did anything change?" is a comparison of two short strings.
 *
 * <p>A snapshot is <em>stale</em> when it was read back from a file at start-up instead of fetched;
 * staleness and the time taken do not take part in {@link #sameMembersAs(Snapshot)}. Thread-safe.
 */
public final class Snapshot {
  private static final Comparator<Member> BY_ID = Comparator.comparing(Member::instanceId);

  private final List<Member> members;
  private final String fingerprint;
  private final long[] memberDigests;
  private final Instant takenAt;
  private final boolean stale;

  private Snapshot(
      List<Member> members, Fingerprint.Digests digests, Instant takenAt, boolean stale) {
    this.members = members;
    this.fingerprint = digests.fingerprint();
    this.memberDigests = digests.memberDigests();
    this.takenAt = takenAt;
    this.stale = stale;
  }

  /**
   * A snapshot of {@code members}, in any order, taken at {@code takenAt}.
   *
   * @throws IllegalArgumentException if two members share an instance id
   */
  public static Snapshot of(Collection<Member> members, Instant takenAt) {
    Objects.requireNonNull(takenAt, "takenAt");
    List<Member> sorted = new ArrayList<>(members);
    sorted.sort(BY_ID);
    for (int i = 1; i < sorted.size(); i++) {
      if (sorted.get(i).instanceId().equals(sorted.get(i - 1).instanceId())) {
        throw new IllegalArgumentException(
            "instance " + sorted.get(i).instanceId() + " appears twice");
      }
    }
    List<Member> copy = List.copyOf(sorted);
    return new Snapshot(copy, Fingerprint.of(copy), takenAt, false);
  }

  /** An empty snapshot taken at {@code takenAt}. */
  public static Snapshot empty(Instant takenAt) {
    return of(List.of(), takenAt);
  }

  /** The members, sorted by instance id. Unmodifiable. */
  public List<Member> members() {
    return members;
  }

  /** How many members. */
  public int size() {
    return members.size();
  }

  /** Whether there are no members. */
  public boolean isEmpty() {
    return members.isEmpty();
  }

  /** The member with this instance id; a binary search, O(log n). */
  public Optional<Member> member(String instanceId) {
    int low = 0;
    int high = members.size() - 1;
    while (low <= high) {
      int mid = (low + high) >>> 1;
      int cmp = members.get(mid).instanceId().compareTo(instanceId);
      if (cmp < 0) {
        low = mid + 1;
      } else if (cmp > 0) {
        high = mid - 1;
      } else {
        return Optional.of(members.get(mid));
      }
    }
    return Optional.empty();
  }

  /**
   * 32 hex digits, from a SHA-256 digest of every field of every member. Equal for equal member
   * lists; different ones collide with negligible probability, even on purpose.
   */
  public String fingerprint() {
    return fingerprint;
  }

  /** When the source produced this snapshot. */
  public Instant takenAt() {
    return takenAt;
  }

  /** Whether this snapshot was restored from a file rather than fetched. */
  public boolean isStale() {
    return stale;
  }

  /** The same members, marked stale. */
  public Snapshot asStale() {
    return new Snapshot(
        members, new Fingerprint.Digests(fingerprint, memberDigests), takenAt, true);
  }

  /**
   * Whether member {@code i} here equals member {@code j} of {@code other}, by their 128-bit
   * digests: two comparisons instead of every field. For {@link Changes#between}.
   */
  boolean sameMember(int i, Snapshot other, int j) {
    return memberDigests[2 * i] == other.memberDigests[2 * j]
        && memberDigests[2 * i + 1] == other.memberDigests[2 * j + 1];
  }

  /** Whether {@code other} has exactly the same members; O(1). */
  public boolean sameMembersAs(Snapshot other) {
    return fingerprint.equals(other.fingerprint);
  }

  @Override
  public String toString() {
    return "Snapshot["
        + members.size()
        + " members, "
        + fingerprint.substring(0, 8)
        + (stale ? ", stale" : "")
        + ", taken "
        + takenAt
        + "]";
  }
}
