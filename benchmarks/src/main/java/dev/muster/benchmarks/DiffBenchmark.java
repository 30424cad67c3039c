package dev.muster.benchmarks;

import dev.muster.discovery.Changes;
import dev.muster.discovery.Member;
import dev.muster.discovery.Snapshot;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * The diff between two snapshots ({@code Changes.between}: a linear merge of two id-sorted lists,
 * or O(1) when the fingerprints are equal) beside a baseline: the map-based diff a straightforward
 * implementation would write.
 *
 * <p>Run: {@code java -jar benchmarks/target/benchmarks.jar DiffBenchmark -f 1 -wi 2 -w 1s -i 3 -r
 * 1s}
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class DiffBenchmark {
  @Param({"100", "1000", "10000", "100000"})
  int size;

  @Param({"0", "1", "50"})
  int churnPercent;

  Snapshot before;
  Snapshot after;

  @Setup
  public void setUp() {
    before = Fleet.snapshot(Fleet.members(size));
    after = Fleet.snapshot(Fleet.churned(size, churnPercent));
  }

  @Benchmark
  public Changes diff() {
    return Changes.between(before, after);
  }

  @Benchmark
  public int baselineHashMapDiff() {
    Map<String, Member> old = new HashMap<>();
    for (Member m : before.members()) {
      old.put(m.instanceId(), m);
    }
    List<Member> added = new ArrayList<>();
    List<Member> changed = new ArrayList<>();
    for (Member m : after.members()) {
      Member previous = old.remove(m.instanceId());
      if (previous == null) {
        added.add(m);
      } else if (!previous.equals(m)) {
        changed.add(m);
      }
    }
    return added.size() + changed.size() + old.size();
  }
}
