package dev.muster.haproxy.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.muster.discovery.Member;
import dev.muster.discovery.Snapshot;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.RepetitionInfo;
import org.junit.jupiter.api.Test;

class SlotPlanTest {
  private static Member member(int i, int port, int weight) {
    return Member.newBuilder(String.format("i-%03d", i))
        .address("10.0.0." + i)
        .port(port)
        .weight(weight)
        .build();
  }

  private static Snapshot snapshot(Member... members) {
    return Snapshot.of(List.of(members), Instant.EPOCH);
  }

  private static Slots slots(int size, Member... members) {
    Slots slots = new Slots(size);
    for (int i = 0; i < members.length; i++) {
      slots.assign(i, members[i]);
    }
    return slots;
  }

  @Test
  void membersThatStayKeepTheirSlots() {
    Slots slots = slots(4, member(1, 80, 100), member(2, 80, 100));

    SlotPlan plan = SlotPlan.of(slots, snapshot(member(2, 80, 100), member(1, 80, 100)));

    assertTrue(plan.isEmpty());
  }

  @Test
  void aNewWeightIsSetInPlace() {
    Slots slots = slots(4, member(1, 80, 100));

    SlotPlan plan = SlotPlan.of(slots, snapshot(member(1, 80, 50)));

    assertEquals(Map.of(0, member(1, 80, 50)), plan.weights());
    assertTrue(plan.leaving().isEmpty() && plan.arriving().isEmpty());
  }

  @Test
  void aNewPortDrainsTheOldSlotAndWarmsANewOne() {
    Slots slots = slots(4, member(1, 80, 100));

    SlotPlan plan = SlotPlan.of(slots, snapshot(member(1, 8080, 100)));

    assertEquals(List.of(0), plan.leaving());
    assertEquals(List.of(member(1, 8080, 100)), plan.arriving());
  }

  @Test
  void slotsDoubleWhenTheyRunOut() {
    Slots slots = slots(2, member(1, 80, 100), member(2, 80, 100));

    SlotPlan plan =
        SlotPlan.of(slots, snapshot(member(1, 80, 100), member(2, 80, 100), member(3, 80, 100)));

    assertEquals(4, plan.growTo());
    SlotPlan big =
        SlotPlan.of(
            slots,
            snapshot(
                member(3, 80, 100),
                member(4, 80, 100),
                member(5, 80, 100),
                member(6, 80, 100),
                member(7, 80, 100)));
    assertEquals(7, big.growTo(), "two leave, five arrive: 2 - 2 + 5 needed, and half again");
  }

  /** Any plan, carried out, leaves exactly the wanted members, each in one slot. */
  @RepeatedTest(200)
  void theResultHoldsExactlyTheWantedMembers(RepetitionInfo info) {
    Random random = new Random(info.getCurrentRepetition());
    List<Member> current = new ArrayList<>();
    Slots slots = new Slots(1 + random.nextInt(8));
    for (int i = 0; i < slots.size(); i++) {
      if (random.nextBoolean()) {
        Member m = member(i + 1, 80, 100);
        slots.assign(i, m);
        current.add(m);
      }
    }
    List<Member> wanted = new ArrayList<>();
    for (int i = 1; i < 20; i++) {
      if (random.nextInt(3) == 0) {
        wanted.add(member(i, random.nextInt(5) == 0 ? 81 : 80, random.nextInt(4) == 0 ? 5 : 100));
      }
    }

    SlotPlan plan = SlotPlan.of(slots, Snapshot.of(wanted, Instant.EPOCH));
    Slots after = plan.result(slots);

    Set<Member> held = new HashSet<>();
    for (Member m : after.asList()) {
      if (m != null) {
        assertTrue(held.add(m), "one slot each");
      }
    }
    assertEquals(new HashSet<>(wanted), held);
    for (int i = 0; i < slots.size(); i++) {
      Member before = slots.member(i);
      Member now = after.member(i);
      if (before != null
          && now != null
          && wanted.contains(now)
          && before.instanceId().equals(now.instanceId())
          && before.address().equals(now.address())
          && before.port() == now.port()) {
        assertTrue(!plan.leaving().contains(i), "a member that stays is never drained");
      }
    }
  }
}
