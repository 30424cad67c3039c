package dev.muster.haproxy;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.muster.discovery.Member;
import dev.muster.discovery.Snapshot;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Zone-aware output in HAProxy: members outside the proxy's zone are {@code backup} while the zone
 * holds the floor, all primary below it; the real {@code haproxy -c} accepts both.
 */
class ZoneAwareTest {
  @TempDir Path dir;

  /** Three members in us-east-1a (ports 8001..8003) and three in us-east-1b (9001..9003). */
  static List<Member> members(int inA) {
    List<Member> out = new ArrayList<>();
    for (int i = 1; i <= inA; i++) {
      out.add(member("i-a" + i, 8000 + i, "us-east-1a"));
    }
    for (int i = 1; i <= 3; i++) {
      out.add(member("i-b" + i, 9000 + i, "us-east-1b"));
    }
    return out;
  }

  private static Member member(String id, int port, String zone) {
    return Member.newBuilder(id).address("127.0.0.1").port(port).availabilityZone(zone).build();
  }

  private String render(List<Member> members) throws Exception {
    String cfg =
        HaproxyConfig.newBuilder()
            .headerText(HaproxyConfigTest.HEADER)
            .zone("us-east-1a")
            .zoneAware("web", 2)
            .build()
            .render(Map.of("web", Snapshot.of(members, Instant.EPOCH)));
    Path file = dir.resolve("haproxy.cfg");
    Files.writeString(file, cfg);
    Haproxy.validator().validate(file);
    return cfg;
  }

  private static List<String> backups(String cfg) {
    return cfg.lines()
        .filter(l -> l.contains(" backup"))
        .map(l -> l.strip().split(" ")[1])
        .toList();
  }

  @Test
  void otherZonesAreBackupsWhileTheZoneHoldsTheFloorAndArePromotedBelowIt() throws Exception {
    assertEquals(List.of("i-b1", "i-b2", "i-b3"), backups(render(members(3))));
    assertEquals(List.of("i-b1", "i-b2", "i-b3"), backups(render(members(2))), "at the floor");

    String promoted = render(members(1)); // two same-zone members went down

    assertEquals(List.of(), backups(promoted), promoted);
    assertEquals(4, promoted.lines().filter(l -> l.strip().startsWith("server ")).count());
  }
}
