package dev.muster.discovery.internal;

import dev.muster.discovery.ConfigPipeline.Drained;
import dev.muster.discovery.Member;
import dev.muster.discovery.Snapshot;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The members an output leaves out of what its backends published: those the proxy's checker or the
 * render refused, until they change (a changed member keeps the version the proxy accepted), and
 * those drained ahead of EC2, until they leave the published memberships or their drain is given
 * back. A drain never empties a backend: while every member of one is draining, they stay. Not
 * thread-safe: the pipeline calls it under its lock.
 */
public final class LeftOut {
  private static final Logger log = LoggerFactory.getLogger("dev.muster.apply");

  /** Checks one search for refused members may spend: enough for a few bad members in 10k. */
  private static final int SEARCH_BUDGET = 64;

  private final String name;
  private final Map<String, Drained> draining = new TreeMap<>();
  private final Set<BadMemberSearch.Suspect> rejected = new HashSet<>();
  private int givenBack;

  /** For the pipeline called {@code name} (in logs). */
  public LeftOut(String name) {
    this.name = name;
  }

  /** {@code latest} without the members left out; {@code accepted} is what the proxy last took. */
  public Map<String, Snapshot> apply(Map<String, Snapshot> latest, Map<String, Snapshot> accepted) {
    Map<String, Snapshot> out = new TreeMap<>();
    latest.forEach(
        (backend, snapshot) -> {
          if (rejected.isEmpty() && draining.isEmpty()) {
            out.put(backend, snapshot);
            return;
          }
          Snapshot before = accepted.get(backend);
          List<Member> kept = new ArrayList<>(snapshot.size());
          for (Member m : snapshot.members()) {
            if (draining.containsKey(m.instanceId())) {
              continue;
            }
            if (!rejected.contains(new BadMemberSearch.Suspect(backend, m))) {
              kept.add(m);
            } else if (before != null) {
              before.member(m.instanceId()).ifPresent(kept::add);
            }
          }
          if (kept.isEmpty() && !snapshot.isEmpty() && !draining.isEmpty()) {
            for (Member m : snapshot.members()) {
              if (draining.containsKey(m.instanceId())
                  && !rejected.contains(new BadMemberSearch.Suspect(backend, m))) {
                kept.add(m);
              }
            }
          }
          out.put(
              backend,
              kept.equals(snapshot.members()) ? snapshot : Snapshot.of(kept, snapshot.takenAt()));
        });
    return Collections.unmodifiableMap(out);
  }

  /**
   * Forgets refusals of members that changed or left (they get another chance) and drains of
   * instances that left (EC2 caught up).
   */
  public void prune(Map<String, Snapshot> latest) {
    draining
        .keySet()
        .removeIf(
            id -> latest.values().stream().noneMatch(snapshot -> snapshot.member(id).isPresent()));
    rejected.removeIf(
        s -> {
          Snapshot snapshot = latest.get(s.backend());
          return snapshot == null
              || !snapshot.member(s.member().instanceId()).map(s.member()::equals).orElse(false);
        });
  }

  /**
   * After {@code memberships} were refused ({@code refusal}): finds the members that make them fail
   * {@code passes} (among those new or changed since {@code accepted}) and leaves them out, with a
   * warning each. Returns whether it found any.
   */
  public boolean refuse(
      Map<String, Snapshot> memberships,
      Map<String, Snapshot> accepted,
      Predicate<Map<String, Snapshot>> passes,
      RuntimeException refusal,
      boolean byRender) {
    Set<BadMemberSearch.Suspect> bad =
        new BadMemberSearch(memberships, accepted, passes, SEARCH_BUDGET).find();
    if (bad == null) {
      return false;
    }
    for (BadMemberSearch.Suspect s : bad) {
      log.warn(
          "{}: LEFT OUT {} ({}) of backend {}: {} ({}); the others are applied, and it is tried "
              + "again once it changes",
          name,
          s.member().instanceId(),
          s.member().hostPort(),
          s.backend(),
          byRender
              ? "the configuration cannot be rendered with it"
              : "the proxy's checker refuses the configuration with it",
          refusal.getMessage());
    }
    rejected.addAll(bad);
    return true;
  }

  /** The refused members as {@code backend/instance-id}, sorted. */
  public Set<String> rejected() {
    Set<String> out = new TreeSet<>();
    rejected.forEach(s -> out.add(s.backend() + "/" + s.member().instanceId()));
    return out;
  }

  /**
   * Drains {@code ids} from {@code now} (an instance already draining keeps its times), unless that
   * would leave a backend of {@code latest} that has members with none.
   *
   * @return the backend that would be left empty (nothing changed then), or {@code null}
   */
  public String drain(
      Set<String> ids, Instant now, Duration giveBackAfter, Map<String, Snapshot> latest) {
    Map<String, Drained> before = new TreeMap<>(draining);
    for (String id : ids) {
      draining.putIfAbsent(id, new Drained(now, now.plus(giveBackAfter)));
    }
    for (Map.Entry<String, Snapshot> e : latest.entrySet()) {
      boolean allDrained =
          e.getValue().members().stream().allMatch(m -> draining.containsKey(m.instanceId()));
      if (allDrained && !e.getValue().isEmpty()) {
        draining.clear();
        draining.putAll(before);
        return e.getKey();
      }
    }
    return null;
  }

  /** Drains carried over from a pipeline this one replaces, with their times. */
  public void carry(Map<String, Drained> drains) {
    draining.putAll(drains);
  }

  /** Gives back the drains whose time is up at {@code now} (warned); returns whether any was. */
  public boolean giveBackDue(Instant now) {
    boolean any = false;
    for (var it = draining.entrySet().iterator(); it.hasNext(); ) {
      Map.Entry<String, Drained> e = it.next();
      if (!e.getValue().giveBackAt().isAfter(now)) {
        it.remove();
        givenBack++;
        any = true;
        log.warn(
            "{}: GIVEN BACK {}: drained since {}, but EC2 still lists it running and "
                + "matching (no termination followed)",
            name,
            e.getKey(),
            e.getValue().since());
      }
    }
    return any;
  }

  /** The drains in progress. */
  public Map<String, Drained> drains() {
    return Map.copyOf(draining);
  }

  /** How many drains were given back. */
  public int givenBack() {
    return givenBack;
  }
}
