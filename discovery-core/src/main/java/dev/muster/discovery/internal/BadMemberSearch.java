package dev.muster.discovery.internal;

import dev.muster.discovery.Member;
import dev.muster.discovery.Snapshot;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Predicate;

/**
 * Finds the members that make a candidate configuration invalid, so that one instance's tags cannot
 * block every update for the whole fleet. The suspects are the members that are new or changed
 * since the last configuration the proxy accepted (everything else passed the proxy's checker
 * before). The search splits the suspects in halves and checks a candidate with only one half new
 * (the other half as it was, or absent if it is new): a half that passes is clean, one that fails
 * is split again, down to single members. That costs about {@code 2 k log2(n)} checks for {@code k}
 * bad members among {@code n} suspects; the search gives up beyond a budget (when nearly everything
 * fails, the cause is not a member).
 *
 * <p>Pure apart from the check it is given; not thread-safe.
 */
public final class BadMemberSearch {
  /** A member of one backend. */
  public record Suspect(String backend, Member member) {}

  private final Map<String, Snapshot> latest;
  private final Map<String, Snapshot> accepted;
  private final Predicate<Map<String, Snapshot>> passes;
  private final List<Suspect> suspects;
  private final Set<Suspect> suspectSet;
  private int budget;

  /**
   * @param latest the memberships whose candidate failed
   * @param accepted the memberships of the last candidate the proxy accepted; empty if none
   * @param passes whether the candidate rendered from these memberships passes the check
   * @param budget the most checks to spend
   */
  public BadMemberSearch(
      Map<String, Snapshot> latest,
      Map<String, Snapshot> accepted,
      Predicate<Map<String, Snapshot>> passes,
      int budget) {
    this.latest = latest;
    this.accepted = accepted;
    this.passes = passes;
    this.budget = budget;
    this.suspects = suspects();
    this.suspectSet = Set.copyOf(suspects);
  }

  /**
   * The members to leave out, or {@code null} if no set of members explains the failure within the
   * budget (then the caller reports the failure as it is).
   */
  public Set<Suspect> find() {
    if (suspects.isEmpty()) {
      return null;
    }
    Set<Suspect> bad = new HashSet<>();
    if (!search(suspects, bad)
        || bad.isEmpty()
        || bad.size() == suspects.size() && accepted.isEmpty()) {
      // Without an accepted candidate, "every member is bad" would leave an empty file.
      return null;
    }
    List<Suspect> good = new ArrayList<>(suspects);
    good.removeAll(bad);
    // The halves passed one at a time; the rest must also pass together.
    return check(good) ? bad : null;
  }

  /** The memberships with {@code bad} left out (their accepted version kept, if any). */
  public Map<String, Snapshot> without(Set<Suspect> bad) {
    List<Suspect> good = new ArrayList<>(suspects);
    good.removeAll(bad);
    return candidate(good);
  }

  private boolean search(List<Suspect> part, Set<Suspect> bad) {
    if (budget <= 0) {
      return false;
    }
    if (check(part)) {
      return true;
    }
    if (part.size() == 1) {
      bad.add(part.get(0));
      return true;
    }
    int half = part.size() / 2;
    return search(part.subList(0, half), bad) && search(part.subList(half, part.size()), bad);
  }

  private boolean check(List<Suspect> included) {
    budget--;
    return passes.test(candidate(included));
  }

  /** Latest memberships, with only {@code included} of the suspects in their new version. */
  private Map<String, Snapshot> candidate(List<Suspect> included) {
    Set<Suspect> in = new HashSet<>(included);
    Map<String, Snapshot> out = new TreeMap<>();
    latest.forEach(
        (backend, snapshot) -> {
          Snapshot before = accepted.get(backend);
          List<Member> members = new ArrayList<>(snapshot.size());
          for (Member m : snapshot.members()) {
            Suspect s = new Suspect(backend, m);
            if (!suspectSet.contains(s) || in.contains(s)) {
              members.add(m);
            } else if (before != null) {
              before.member(m.instanceId()).ifPresent(members::add);
            }
          }
          out.put(backend, Snapshot.of(members, snapshot.takenAt()));
        });
    return out;
  }

  private List<Suspect> suspects() {
    List<Suspect> suspects = new ArrayList<>();
    latest.forEach(
        (backend, snapshot) -> {
          Snapshot before = accepted.get(backend);
          for (Member m : snapshot.members()) {
            if (before == null || !before.member(m.instanceId()).map(m::equals).orElse(false)) {
              suspects.add(new Suspect(backend, m));
            }
          }
        });
    return suspects;
  }
}
