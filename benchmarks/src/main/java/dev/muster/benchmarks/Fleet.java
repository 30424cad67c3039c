package dev.muster.benchmarks;

import dev.muster.discovery.Member;
import dev.muster.discovery.Snapshot;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/** Synthetic members shaped like EC2's: ids, private IPs, zones, a few tags. */
final class Fleet {
  static final Instant T = Instant.parse("2026-01-01T00:00:00Z");

  private Fleet() {}

  static Member member(int n, int weight) {
    return Member.newBuilder(String.format("i-%017x", n * 2654435761L & 0xFFFFFFFFFFFFFL))
        .address(String.format("10.%d.%d.%d", (n >> 16) & 255, (n >> 8) & 255, n & 255))
        .port(8080)
        .weight(weight)
        .privateIp(String.format("10.%d.%d.%d", (n >> 16) & 255, (n >> 8) & 255, n & 255))
        .availabilityZone("us-east-1" + (char) ('a' + n % 3))
        .subnetId("subnet-0123456789abcdef" + n % 3)
        .vpcId("vpc-0a1b2c3d4e5f60718")
        .launchTime(T.plusSeconds(n))
        .tag("role", "web")
        .tag("env", "prod")
        .tag("aws:autoscaling:groupName", "web-asg")
        .build();
  }

  static List<Member> members(int size) {
    List<Member> members = new ArrayList<>(size);
    for (int i = 0; i < size; i++) {
      members.add(member(i, 100));
    }
    return members;
  }

  /**
   * {@code size} members of which {@code churnPercent} differ from {@link #members}: a third
   * removed (replaced by new ids), a third with another weight, a third added on top.
   */
  static List<Member> churned(int size, int churnPercent) {
    List<Member> members = members(size);
    int changes = size * churnPercent / 100;
    for (int c = 0; c < changes; c++) {
      int index = (int) ((long) c * size / Math.max(1, changes));
      switch (c % 3) {
        case 0 -> members.set(index, member(size + c, 100));
        case 1 -> members.set(index, member(index, 50));
        default -> members.add(member(2 * size + c, 100));
      }
    }
    return members;
  }

  static Snapshot snapshot(List<Member> members) {
    return Snapshot.of(members, T);
  }
}
