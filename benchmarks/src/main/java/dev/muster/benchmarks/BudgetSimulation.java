package dev.muster.benchmarks;

import dev.muster.testkit.ApiBudget;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.PriorityQueue;
import java.util.Random;

/**
 * N proxy hosts polling one account's EC2 API, in virtual time, against the test kit's {@link
 * ApiBudget} (a bucket of 100 describe calls refilled at 20 per second, shared by all): how many
 * calls are throttled and how stale each host's view gets, with and without events.
 *
 * <p>Each host polls one query that fits in one page, every interval spread by ±10% (as the
 * discovery loop does). A throttled call is retried by the SDK's standard strategy (3 attempts,
 * throttling backoff with full jitter from a 1 s base, at most 20 s); a poll whose attempts are all
 * throttled fails, and the loop backs off (interval × 2, × 4, ... up to 5 minutes). Every 2 minutes
 * the fleet changes; a host's staleness for that change is the time until its next successful poll.
 * With events, every host also receives the change's event within 1 s and fetches at once. One
 * simulated hour per row; bounded, deterministic (seeded).
 *
 * <p>Run: {@code java -cp benchmarks/target/benchmarks.jar dev.muster.benchmarks.BudgetSimulation}
 */
public final class BudgetSimulation {
  private static final long SECOND = 1_000;
  private static final long HOUR = 3_600 * SECOND;
  private static final long CHANGE_EVERY = 120 * SECOND;

  private BudgetSimulation() {}

  /** One scenario's result. */
  record Result(
      int hosts,
      String mode,
      long intervalSeconds,
      long calls,
      long throttled,
      long failedPolls,
      double meanStaleness,
      double p99Staleness,
      double maxStaleness) {}

  private record Event(long at, int host, int attempt, boolean fromEvent)
      implements Comparable<Event> {
    @Override
    public int compareTo(Event o) {
      return Long.compare(at, o.at);
    }
  }

  /** Runs one scenario: {@code hosts} pollers every {@code interval}, with events or not. */
  static Result run(int hosts, long intervalSeconds, boolean events, long seed) {
    return run(hosts, intervalSeconds, events, 1, seed);
  }

  /** As above, with event-driven fetches spread over {@code spreadSeconds} after the event. */
  static Result run(
      int hosts, long intervalSeconds, boolean events, long spreadSeconds, long seed) {
    long interval = intervalSeconds * SECOND;
    Random random = new Random(seed);
    long[] now = {0};
    ApiBudget budget =
        ApiBudget.of(
            ApiBudget.DEFAULT_BUCKET,
            ApiBudget.DEFAULT_REFILL_PER_SECOND,
            () -> now[0] * 1_000_000);
    PriorityQueue<Event> queue = new PriorityQueue<>();
    int[] failures = new int[hosts];
    boolean[] polling = new boolean[hosts];
    long[] nextScheduled = new long[hosts];
    for (int h = 0; h < hosts; h++) {
      nextScheduled[h] = (long) (random.nextDouble() * interval);
      queue.add(new Event(nextScheduled[h], h, 1, false));
    }
    // For each change, the hosts not yet caught up, and when it happened.
    List<long[]> pending = new ArrayList<>(); // {changeTime}
    List<boolean[]> caught = new ArrayList<>();
    List<Long> staleness = new ArrayList<>();
    long calls = 0;
    long throttled = 0;
    long failedPolls = 0;
    for (long change = CHANGE_EVERY; change < HOUR; change += CHANGE_EVERY) {
      queue.add(new Event(change, -1, 0, false)); // host -1: the fleet changes
    }
    while (!queue.isEmpty()) {
      Event e = queue.poll();
      if (e.at() >= HOUR) {
        break;
      }
      if (e.host() < 0) {
        pending.add(new long[] {e.at()});
        caught.add(new boolean[hosts]);
        if (events) {
          for (int h = 0; h < hosts; h++) {
            long spread = Math.max(1, spreadSeconds) * SECOND;
            queue.add(new Event(e.at() + (long) (random.nextDouble() * spread), h, 1, true));
          }
        }
        continue;
      }
      now[0] = e.at();
      int h = e.host();
      if (e.attempt() == 1) {
        if (e.fromEvent() && polling[h]) {
          continue; // a poll in progress will see the change
        }
        if (!e.fromEvent() && e.at() != nextScheduled[h]) {
          continue; // superseded by an event-driven poll that rescheduled this host
        }
        polling[h] = true;
      }
      calls++;
      if (budget.tryTake()) {
        polling[h] = false;
        failures[h] = 0;
        for (int c = 0; c < pending.size(); c++) {
          if (!caught.get(c)[h] && pending.get(c)[0] <= e.at()) {
            caught.get(c)[h] = true;
            staleness.add(e.at() - pending.get(c)[0]);
          }
        }
        schedule(queue, nextScheduled, h, e.at() + jitter(interval, random));
      } else {
        throttled++;
        if (e.attempt() < 3) {
          long cap = Math.min(20 * SECOND, SECOND << e.attempt());
          queue.add(
              new Event(
                  e.at() + (long) (random.nextDouble() * cap), h, e.attempt() + 1, e.fromEvent()));
        } else {
          polling[h] = false;
          failedPolls++;
          failures[h]++;
          long backoff =
              Math.min(Math.max(300 * SECOND, interval), interval << Math.min(failures[h], 10));
          schedule(queue, nextScheduled, h, e.at() + jitter(backoff, random));
        }
      }
    }
    long[] sorted = staleness.stream().mapToLong(Long::longValue).sorted().toArray();
    double mean = Arrays.stream(sorted).average().orElse(0) / SECOND;
    double p99 =
        sorted.length == 0 ? 0 : sorted[(int) Math.floor(sorted.length * 0.99)] / (double) SECOND;
    double max = sorted.length == 0 ? 0 : sorted[sorted.length - 1] / (double) SECOND;
    return new Result(
        hosts,
        events
            ? "events + polling, refresh_spread " + Math.max(1, spreadSeconds) + " s"
            : "polling only",
        intervalSeconds,
        calls,
        throttled,
        failedPolls,
        mean,
        p99,
        max);
  }

  private static void schedule(PriorityQueue<Event> queue, long[] next, int host, long at) {
    next[host] = at;
    queue.add(new Event(at, host, 1, false));
  }

  private static long jitter(long base, Random random) {
    return Math.round(base * (0.9 + 0.2 * random.nextDouble()));
  }

  /** Prints the table of the README. */
  public static void main(String[] args) {
    System.out.println(
        "| hosts | mode | interval | calls/hour | throttled | failed polls | staleness mean | p99 | max |");
    System.out.println("|---|---|---|---|---|---|---|---|---|");
    for (int hosts : new int[] {10, 100, 1000}) {
      List<long[]> scenarios = new ArrayList<>(); // {interval, events}
      scenarios.add(new long[] {15, 0});
      if (rule(hosts) > 15) {
        scenarios.add(new long[] {rule(hosts), 0});
      }
      scenarios.add(new long[] {300, 1, 1});
      if (rule(hosts) > 15) {
        scenarios.add(new long[] {300, 1, rule(hosts)});
      }
      for (long[] s : scenarios) {
        Result r = run(hosts, s[0], s[1] == 1, s.length > 2 ? s[2] : 1, 42);
        System.out.printf(
            "| %d | %s | %d s | %,d | %,d (%.1f%%) | %,d | %.1f s | %.1f s | %.1f s |%n",
            r.hosts(),
            r.mode(),
            r.intervalSeconds(),
            r.calls(),
            r.throttled(),
            100.0 * r.throttled() / Math.max(1, r.calls()),
            r.failedPolls(),
            r.meanStaleness(),
            r.p99Staleness(),
            r.maxStaleness());
      }
    }
  }

  /**
   * The rule for polling only: keep the fleet's steady rate at half the refill, so bursts and
   * retries have room: interval ≥ hosts × queries × pages / (0.5 × 20 per second).
   */
  static long rule(int hosts) {
    return (long) Math.ceil(hosts / (0.5 * ApiBudget.DEFAULT_REFILL_PER_SECOND));
  }
}
