package dev.muster.discovery.internal;

import dev.muster.discovery.Member;
import dev.muster.discovery.MembershipSource;
import dev.muster.discovery.Snapshot;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * One membership from several sources (regions, accounts): every part is fetched, and the fetch
 * fails if any part fails, so a region or account that does not answer never shrinks the view.
 */
public final class MergedSource implements MembershipSource {
  private final List<MembershipSource> parts;

  /** The merge of {@code parts}, fetched in order. */
  public MergedSource(List<? extends MembershipSource> parts) {
    if (parts.isEmpty()) {
      throw new IllegalArgumentException("merge needs at least one source");
    }
    this.parts = List.copyOf(parts);
  }

  @Override
  public Snapshot fetch() {
    return fetch(null);
  }

  /**
   * Fetches every part with {@code known}.
   *
   * @throws IllegalArgumentException if two parts list the same instance id
   */
  @Override
  public Snapshot fetch(Snapshot known) {
    List<Member> all = new ArrayList<>();
    Instant taken = null;
    for (MembershipSource part : parts) {
      Snapshot s = part.fetch(known);
      all.addAll(s.members());
      taken = taken == null || s.takenAt().isAfter(taken) ? s.takenAt() : taken;
    }
    return Snapshot.of(all, taken);
  }

  @Override
  public Map<String, String> departureReasons(Set<String> instanceIds) {
    Map<String, String> out = new HashMap<>();
    for (MembershipSource part : parts) {
      part.departureReasons(instanceIds).forEach(out::putIfAbsent);
    }
    return out;
  }

  @Override
  public String describeFailure(RuntimeException failure) {
    return parts.get(0).describeFailure(failure); // the parts are of one kind
  }

  @Override
  public String describe() {
    return parts.stream().map(MembershipSource::describe).collect(Collectors.joining(" + "));
  }

  @Override
  public void close() {
    RuntimeException failure = null;
    for (MembershipSource part : parts) {
      try {
        part.close();
      } catch (RuntimeException e) {
        failure = failure == null ? e : failure;
      }
    }
    if (failure != null) {
      throw failure;
    }
  }
}
