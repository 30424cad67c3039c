package dev.muster.discovery.testing;

import dev.muster.discovery.Member;
import dev.muster.discovery.Snapshot;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

/**
 * Random memberships for the renderers' differential tests (each default renderer against its
 * FreeMarker reference): three backends, one with a name that needs escaping, up to 7 members each,
 * IPv4 and IPv6, every weight edge, and the per-member tags the renderers read with good, bad and
 * hostile values. Shared by the renderer modules through discovery-core's test jar.
 */
public final class RandomMemberships {
  private RandomMemberships() {}

  /** The backends' names: {@code web}, {@code api} and {@code b 2}. */
  public static final List<String> BACKENDS = List.of("web", "api", "b 2");

  /** A random membership per backend (a backend is left out one time in three). */
  public static Map<String, Snapshot> of(Random random) {
    Map<String, Snapshot> memberships = new TreeMap<>();
    for (String name : BACKENDS) {
      if (random.nextInt(3) == 0) {
        continue;
      }
      List<Member> members = new ArrayList<>();
      int count = random.nextInt(8);
      for (int i = 0; i < count; i++) {
        String id =
            random.nextInt(10) == 0
                ? "i-" + i + (random.nextBoolean() ? " x" : ";x")
                : String.format("i-%017x", random.nextLong() & 0xFFFFFFFFFFFFFL);
        Member.Builder m =
            Member.newBuilder(id)
                .address(
                    random.nextInt(4) == 0
                        ? "2600:1f18::" + Integer.toHexString(i + 1)
                        : "10.0." + random.nextInt(256) + "." + (1 + random.nextInt(254)))
                .port(1 + random.nextInt(65535))
                .weight(List.of(0, 1, 50, 100, 256).get(random.nextInt(5)))
                .state(random.nextInt(5) == 0 ? "stopping" : "running");
        for (String[] tag :
            new String[][] {
              {"muster:maxconn", "10", "abc", "10 backup", "1234567"},
              {"muster:max_conns", "20", "x"},
              {"muster:backup", "true", "false"},
              {"muster:drain", "true", "yes"},
              {"muster:priority", "5", "99999", "p", "080", "0", "9999"},
              {"note", "a b", "#"}
            }) {
          if (random.nextInt(3) == 0) {
            m.tag(tag[0], tag[1 + random.nextInt(tag.length - 1)]);
          }
        }
        if (i % 3 < 2) {
          m.availabilityZone(i % 3 == 0 ? "us-east-1a" : "us-east-1b"); // no random draw
        }
        members.add(m.build());
      }
      Map<String, Member> unique = new TreeMap<>();
      members.forEach(m -> unique.put(m.instanceId(), m));
      memberships.put(name, Snapshot.of(unique.values(), Instant.EPOCH));
    }
    return memberships;
  }
}
