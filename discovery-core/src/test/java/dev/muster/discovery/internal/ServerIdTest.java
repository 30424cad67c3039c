package dev.muster.discovery.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.muster.discovery.Member;
import dev.muster.discovery.Snapshot;
import dev.muster.discovery.testing.RandomMemberships;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.RepetitionInfo;
import org.junit.jupiter.api.Test;

/**
 * A member's HAProxy server id comes from its instance id alone: the same on every host whatever
 * order the fleet arrived in, unique within a backend, in HAProxy's range, and unchanged for the
 * others when one member leaves.
 */
class ServerIdTest {
  private static final Instant T = Instant.parse("2026-12-06T00:00:00Z");

  private static Member member(String id) {
    return Member.newBuilder(id).address("127.0.0.1").port(80).build();
  }

  @RepeatedTest(50)
  void theSameIdsInAnyOrderUniqueAndStableWhenOneLeaves(RepetitionInfo info) {
    Random random = new Random(info.getCurrentRepetition());
    List<Member> members = new ArrayList<>();
    for (Snapshot s : RandomMemberships.of(random).values()) {
      if (s.size() > members.size()) {
        members = new ArrayList<>(s.members());
      }
    }
    List<Member> shuffled = new ArrayList<>(members);
    Collections.shuffle(shuffled, random);
    Map<String, Integer> ids = TemplateModel.serverIds(Snapshot.of(members, T));
    assertEquals(ids, TemplateModel.serverIds(Snapshot.of(shuffled, T)), "order does not matter");
    assertEquals(members.size(), new HashSet<>(ids.values()).size(), "unique");
    ids.values().forEach(id -> assertTrue(id >= 1 && id <= 1 << 30, "in range: " + id));
    if (!members.isEmpty()) {
      Member leaving = members.get(random.nextInt(members.size()));
      List<Member> rest = new ArrayList<>(members);
      rest.remove(leaving);
      Map<String, Integer> after = TemplateModel.serverIds(Snapshot.of(rest, T));
      rest.forEach(
          m -> assertEquals(ids.get(m.instanceId()), after.get(m.instanceId()), m.instanceId()));
    }
  }

  @Test
  void aCollisionGoesToTheLaterInstanceIdInEveryOrder() {
    // Two instance ids whose preferred ids collide (one in about 2^15 draws: the birthday bound).
    Map<Integer, String> seen = new java.util.HashMap<>();
    String first = null;
    String second = null;
    for (long n = 0; second == null && n < 2_000_000; n++) {
      String id = String.format("i-%017x", n);
      String other = seen.putIfAbsent(TemplateModel.serverId(id), id);
      if (other != null) {
        first = other;
        second = id;
      }
    }
    assertTrue(second != null, "a collision within 2,000,000 ids");
    Map<String, Integer> a =
        TemplateModel.serverIds(Snapshot.of(List.of(member(first), member(second)), T));
    Map<String, Integer> b =
        TemplateModel.serverIds(Snapshot.of(List.of(member(second), member(first)), T));
    assertEquals(a, b);
    assertEquals(TemplateModel.serverId(first), a.get(first));
    assertEquals(TemplateModel.serverId(first) % (1 << 30) + 1, a.get(second));
  }
}
