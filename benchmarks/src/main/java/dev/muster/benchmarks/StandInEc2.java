package dev.muster.benchmarks;

import dev.muster.testkit.FakeEc2;
import java.util.Map;

/**
 * The test kit's EC2 as a process of its own, for whole-process measurements (the cron-style {@code
 * muster once} against the seed's aws-cli script): {@code INSTANCES} running instances tagged
 * {@code role=web}, pages of at most {@code PAGE} (default 1,000). Prints its endpoint, then serves
 * on 127.0.0.1 until stdin closes or 30 minutes pass.
 *
 * <p>Run: {@code java -cp benchmarks/target/benchmarks.jar dev.muster.benchmarks.StandInEc2 100}
 */
public final class StandInEc2 {
  private StandInEc2() {}

  public static void main(String[] args) throws Exception {
    int instances = args.length > 0 ? Integer.parseInt(args[0]) : 100;
    int page = args.length > 1 ? Integer.parseInt(args[1]) : 1000;
    try (FakeEc2 ec2 = FakeEc2.start()) {
      for (int launched = 0; launched < instances; launched += 100) {
        ec2.fleet().launch(Math.min(100, instances - launched), Map.of("role", "web"));
      }
      ec2.pageSize(page);
      System.out.println(ec2.endpoint());
      System.out.flush();
      long deadline = System.nanoTime() + 30L * 60 * 1_000_000_000;
      while (System.nanoTime() < deadline && System.in.read() >= 0) {
        // serve until stdin closes
      }
    }
  }
}
