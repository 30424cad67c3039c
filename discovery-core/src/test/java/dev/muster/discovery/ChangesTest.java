package dev.muster.discovery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.RepetitionInfo;
import org.junit.jupiter.api.Test;

class ChangesTest {
  private static final Instant T = Instant.parse("2026-01-01T00:00:00Z");

  private static Member member(String id, String address) {
    return Member.newBuilder(id).address(address).port(80).build();
  }

  @Test
  void sameMembersAreNoChangeWithoutWalkingTheLists() {
    Snapshot a = Snapshot.of(List.of(member("i-1", "10.0.0.1")), T);
    Snapshot b = Snapshot.of(List.of(member("i-1", "10.0.0.1")), T.plusSeconds(5));

    assertSame(Changes.NONE, Changes.between(a, b));
  }

  @Test
  void reportsWhichAspectsChanged() {
    Member before = member("i-1", "10.0.0.1").toBuilder().tag("role", "web").build();
    Member after =
        before.toBuilder()
            .address("10.0.0.2")
            .port(81)
            .weight(5)
            .state("stopping")
            .tag("role", "api")
            .availabilityZone("us-east-1b")
            .build();

    Changes changes =
        Changes.between(Snapshot.of(List.of(before), T), Snapshot.of(List.of(after), T));

    assertEquals(1, changes.changed().size());
    assertEquals(EnumSet.allOf(Changes.Aspect.class), changes.changed().get(0).aspects());
  }

  @Test
  void allAddedListsEveryMember() {
    Snapshot s = Snapshot.of(ScriptedSource.members(4), T);

    Changes changes = Changes.allAdded(s);

    assertEquals(4, changes.added().size());
    assertTrue(changes.removed().isEmpty() && changes.changed().isEmpty());
  }

  /** Random before/after pairs, compared with a map-based reference diff. */
  @RepeatedTest(200)
  void agreesWithANaiveReferenceOnRandomSnapshots(RepetitionInfo info) {
    Random random = new Random(info.getCurrentRepetition());
    List<Member> before = new ArrayList<>();
    List<Member> after = new ArrayList<>();
    int universe = 1 + random.nextInt(60);
    for (int i = 0; i < universe; i++) {
      String id = String.format("i-%03d", random.nextInt(universe * 2));
      Member m = member(id, "10.0.0." + (1 + random.nextInt(3)));
      if (random.nextBoolean() && before.stream().noneMatch(x -> x.instanceId().equals(id))) {
        before.add(m);
      }
      if (random.nextBoolean() && after.stream().noneMatch(x -> x.instanceId().equals(id))) {
        after.add(random.nextInt(4) == 0 ? m.toBuilder().weight(random.nextInt(3)).build() : m);
      }
    }

    Changes changes = Changes.between(Snapshot.of(before, T), Snapshot.of(after, T));

    Map<String, Member> a = new HashMap<>();
    before.forEach(m -> a.put(m.instanceId(), m));
    Map<String, Member> b = new HashMap<>();
    after.forEach(m -> b.put(m.instanceId(), m));
    Set<String> added = new java.util.TreeSet<>(b.keySet());
    added.removeAll(a.keySet());
    Set<String> removed = new java.util.TreeSet<>(a.keySet());
    removed.removeAll(b.keySet());
    Set<String> changed = new java.util.TreeSet<>();
    a.forEach(
        (id, m) -> {
          if (b.containsKey(id) && !b.get(id).equals(m)) {
            changed.add(id);
          }
        });
    assertEquals(List.copyOf(added), changes.added().stream().map(Member::instanceId).toList());
    assertEquals(List.copyOf(removed), changes.removed().stream().map(Member::instanceId).toList());
    assertEquals(
        List.copyOf(changed), changes.changed().stream().map(c -> c.after().instanceId()).toList());
  }
}
