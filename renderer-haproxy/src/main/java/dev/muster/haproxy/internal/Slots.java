package dev.muster.haproxy.internal;

import dev.muster.discovery.Member;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;

/**
 * Which member holds which server slot {@code srv1..srvN} of one HAProxy backend: runtime mode's
 * model of what HAProxy serves. A free slot holds {@code null}. Not thread-safe.
 */
public final class Slots {
  private Member[] members;
  private boolean learned;

  /** {@code size} free slots. */
  public Slots(int size) {
    members = new Member[size];
  }

  /** HAProxy's name of slot {@code index}: {@code srv1} for 0 (no padding). */
  public static String name(int index) {
    return "srv" + (index + 1);
  }

  /** A copy, for planning without touching this one. */
  public Slots copy() {
    Slots copy = new Slots(0);
    copy.members = members.clone();
    copy.learned = learned;
    return copy;
  }

  public int size() {
    return members.length;
  }

  /** The member in slot {@code i}, or {@code null} if it is free. */
  public Member member(int i) {
    return members[i];
  }

  public void assign(int i, Member m) {
    members[i] = m;
  }

  public void release(int i) {
    members[i] = null;
  }

  /** The slot of {@code instanceId}, or -1. */
  public int indexOf(String instanceId) {
    for (int i = 0; i < members.length; i++) {
      if (members[i] != null && members[i].instanceId().equals(instanceId)) {
        return i;
      }
    }
    return -1;
  }

  /** The first free slot, or -1. */
  public int firstFree() {
    for (int i = 0; i < members.length; i++) {
      if (members[i] == null) {
        return i;
      }
    }
    return -1;
  }

  public int free() {
    int free = 0;
    for (Member m : members) {
      if (m == null) {
        free++;
      }
    }
    return free;
  }

  public int used() {
    return members.length - free();
  }

  /** Grows to {@code size} slots; the new ones are free. */
  public void grow(int size) {
    members = Arrays.copyOf(members, size);
  }

  /** Every slot in order, {@code null} for a free one. */
  public List<Member> asList() {
    return Collections.unmodifiableList(new ArrayList<>(Arrays.asList(members)));
  }

  /** Whether HAProxy's view was read (or the file written) since start. */
  public boolean learned() {
    return learned;
  }

  public void learned(boolean learned) {
    this.learned = learned;
  }
}
