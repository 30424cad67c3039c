package dev.muster.benchmarks;

import dev.muster.discovery.Member;
import dev.muster.discovery.Snapshot;
import java.util.List;
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
 * "Did anything change?": comparing two fingerprints ({@code sameMembersAs}) beside the baseline of
 * comparing the member lists; and, for honesty, what the fingerprint costs once per fetch ({@code
 * Snapshot.of}: sort and SHA-256 over every field).
 *
 * <p>Run: {@code java -jar benchmarks/target/benchmarks.jar FingerprintBenchmark -f 1 -wi 2 -w 1s
 * -i 3 -r 1s}
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class FingerprintBenchmark {
  @Param({"100", "1000", "10000", "100000"})
  int size;

  List<Member> members;
  Snapshot a;
  Snapshot b;

  @Setup
  public void setUp() {
    members = Fleet.members(size);
    a = Fleet.snapshot(members);
    b = Fleet.snapshot(Fleet.members(size));
  }

  @Benchmark
  public boolean unchangedCheck() {
    return a.sameMembersAs(b);
  }

  @Benchmark
  public boolean baselineListEquals() {
    return a.members().equals(b.members());
  }

  @Benchmark
  public Snapshot snapshotOfPerFetch() {
    return Snapshot.of(members, Fleet.T);
  }
}
