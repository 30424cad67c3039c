package dev.muster.nginx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.muster.discovery.Member;
import dev.muster.discovery.Snapshot;
import dev.muster.nginx.internal.DynamicText;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The texts of nginx's dynamic mode: the include, and the members the Lua balancer reads. */
class NginxDynamicTest {
  private static final Instant T = Instant.parse("2026-12-06T00:00:00Z");

  private static Member member(String id, String zone, Map<String, String> tags) {
    return Member.newBuilder(id)
        .address("127.0.0.9")
        .port(8080)
        .weight(50)
        .availabilityZone(zone)
        .tags(tags)
        .build();
  }

  @Test
  void oneLinePerMemberWithItsFlags() {
    Snapshot web =
        Snapshot.of(
            List.of(
                member("i-1", "us-east-1a", Map.of()),
                member("i-2", "us-east-1a", Map.of("muster:backup", "true")),
                member("i-3", "us-east-1a", Map.of("muster:drain", "true"))),
            T);
    assertEquals(
        "web i-1 127.0.0.9 8080 50 -\nweb i-2 127.0.0.9 8080 50 b\nweb i-3 127.0.0.9 8080 50 d\n",
        NginxDynamic.membersText(Map.of("web", web)));
  }

  @Test
  void aZoneAwareBackendMakesTheOtherZonesBackupsWhileItsFloorHolds() {
    Snapshot web =
        Snapshot.of(
            List.of(
                member("i-1", "us-east-1a", Map.of()),
                member("i-2", "us-east-1a", Map.of()),
                member("i-3", "us-east-1b", Map.of())),
            T);
    String floorTwo = DynamicText.members(Map.of("web", web), null, "us-east-1a", Map.of("web", 2));
    assertTrue(floorTwo.contains("web i-3 127.0.0.9 8080 50 b\n"), floorTwo);
    assertTrue(floorTwo.contains("web i-1 127.0.0.9 8080 50 -\n"), floorTwo);
    String floorThree =
        DynamicText.members(Map.of("web", web), null, "us-east-1a", Map.of("web", 3));
    assertTrue(!floorThree.contains(" b\n"), "below the floor all are primary: " + floorThree);
  }

  @Test
  void theIncludeHasTheDictTheBalancerPerUpstreamAndTheAdminSocket() {
    NginxDynamic sink =
        Nginx.dynamic(Path.of("/etc/nginx/muster/muster.conf"), Path.of("/etc/nginx/nginx.conf"))
            .adminSocket(Path.of("/run/muster-nginx.sock"))
            .upstreamOptions("web", "    keepalive 32;")
            .build();
    String text = sink.includeText(List.of("web", "api"));
    assertTrue(text.contains("lua_shared_dict muster 10m;\n"), text);
    assertTrue(text.contains("lua_package_path \"/etc/nginx/muster/?.lua;;\";\n"), text);
    assertTrue(
        text.contains(
            "    balancer_by_lua_block { require(\"muster_balancer\").balance(\"web\") }\n"
                + "    keepalive 32;\n"),
        text);
    assertTrue(text.contains("upstream api {\n"), text);
    assertTrue(text.contains("    listen unix:/run/muster-nginx.sock;\n"), text);
    sink.close();
  }

  @Test
  void pathsThatNginxOrLuaWouldReadOtherwiseAreRefused() {
    assertThrows(
        IllegalArgumentException.class,
        () ->
            Nginx.dynamic(Path.of("/etc/nginx/my conf/x.conf"), Path.of("/etc/nginx/nginx.conf")));
    assertThrows(
        IllegalArgumentException.class,
        () ->
            Nginx.dynamic(Path.of("/etc/nginx/x.conf"), Path.of("/etc/nginx/nginx.conf"))
                .adminSocket(Path.of("/run/\";evil")));
    assertThrows(
        IllegalArgumentException.class,
        () -> new HealthCheck("/", Duration.ofMillis(200), Duration.ofMillis(300), 1, 1));
  }
}
