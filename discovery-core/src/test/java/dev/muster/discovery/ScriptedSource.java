package dev.muster.discovery;

import dev.muster.fixtures.MutableClock;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.function.Supplier;

/** A source whose answers the test queues: snapshots, or failures. Repeats the last answer. */
final class ScriptedSource implements MembershipSource {
  private final MutableClock clock;
  private final Deque<Supplier<Snapshot>> answers = new ArrayDeque<>();
  private Supplier<Snapshot> last;
  int fetches;
  boolean closed;

  ScriptedSource(MutableClock clock) {
    this.clock = clock;
  }

  /** Queues an answer with these members. */
  ScriptedSource then(List<Member> members) {
    answers.add(() -> Snapshot.of(members, clock.instant()));
    return this;
  }

  /** Queues a failure. */
  ScriptedSource thenFail(String message) {
    answers.add(
        () -> {
          throw new IllegalStateException(message);
        });
    return this;
  }

  @Override
  public Snapshot fetch() {
    fetches++;
    Supplier<Snapshot> next = answers.isEmpty() ? last : answers.poll();
    last = next;
    if (next == null) {
      throw new IllegalStateException("nothing scripted");
    }
    return next.get();
  }

  @Override
  public void close() {
    closed = true;
  }

  /** {@code count} members i-000..., at 10.0.0.N:8080. */
  static List<Member> members(int count) {
    return members(0, count);
  }

  /** Members numbered {@code from} (inclusive) to {@code to} (exclusive). */
  static List<Member> members(int from, int to) {
    List<Member> list = new java.util.ArrayList<>();
    for (int i = from; i < to; i++) {
      list.add(
          Member.newBuilder(String.format("i-%017d", i))
              .address("10.0." + (i / 250) + "." + (i % 250 + 1))
              .port(8080)
              .build());
    }
    return list;
  }
}
