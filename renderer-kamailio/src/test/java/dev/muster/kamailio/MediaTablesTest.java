package dev.muster.kamailio;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.muster.discovery.Member;
import dev.muster.discovery.RenderException;
import dev.muster.discovery.Snapshot;
import dev.muster.kamailio.internal.Tables;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The rtpengine {@code db_text} table and the permissions address file: what they hold, that a tag
 * can never point them elsewhere or add a line, and that the entries read back from the file are
 * the ones compared with Kamailio's dumps.
 */
class MediaTablesTest {
  private static final Instant T = Instant.parse("2026-12-06T00:00:00Z");

  private static Member member(String id, String address, int port, int weight) {
    return Member.newBuilder(id).address(address).port(port).weight(weight).build();
  }

  private static Map<String, Snapshot> of(String backend, Member... members) {
    return Map.of(backend, Snapshot.of(List.of(members), T));
  }

  @Test
  void theRtpengineTableIsADbTextTableWithOneSetPerBackend() {
    String table =
        Kamailio.rtpengine()
            .set("media", 0)
            .set("transcoders", 3)
            .build()
            .render(
                Map.of(
                    "media",
                    Snapshot.of(List.of(member("i-1", "10.0.2.7", 2223, 100)), T),
                    "transcoders",
                    Snapshot.of(List.of(member("i-2", "2600:1f18::7", 2223, 40)), T)));

    assertEquals(
        "id(int,auto) setid(int) url(string) weight(int) disabled(int) stamp(int)\n"
            + "1:0:udp\\:10.0.2.7\\:2223:100:0:0\n"
            + "2:3:udp6\\:[2600\\:1f18\\:\\:7]\\:2223:40:0:0\n",
        table);
    assertEquals(
        Set.of("0 udp:10.0.2.7:2223 100", "3 udp6:[2600:1f18::7]:2223 40"),
        Tables.rtpengineFile(table),
        "read back as rtpengine.show all names them");
  }

  @Test
  void aTagChoosesTheProtocolAndNothingElse() {
    Member udp6 =
        member("i-1", "10.0.2.7", 2223, 100).toBuilder().tag("muster:rtpengine", "udp6").build();
    assertEquals("udp6:10.0.2.7:2223", RtpengineTable.url(udp6));
    for (String hostile : List.of("udp:10.9.9.9", "tcp", "udp 2:0:udp", "udp:evil:1", "", "UDP")) {
      Member m = udp6.toBuilder().tag("muster:rtpengine", hostile).build();
      RenderException e = assertThrows(RenderException.class, () -> RtpengineTable.url(m));
      assertTrue(
          e.getMessage().contains("i-1") && !e.getMessage().contains("evil"), e.getMessage());
    }
  }

  @Test
  void aBackendWithoutASetIsNamed() {
    RenderException e =
        assertThrows(
            RenderException.class,
            () ->
                Kamailio.rtpengine()
                    .set("media", 0)
                    .build()
                    .render(of("other", member("i-1", "10.0.2.7", 2223, 1))));
    assertTrue(e.getMessage().contains("backend other has no set"), e.getMessage());
  }

  @Test
  void theAddressFileHasOneGroupPerBackendAndAnyPortUnlessAsked() {
    AddressList any = Kamailio.permissions().group("sbc", 1).group("media", 2).build();
    String file =
        any.render(
            Map.of(
                "sbc",
                Snapshot.of(List.of(member("i-a b", "10.0.1.5", 5060, 1)), T),
                "media",
                Snapshot.of(List.of(member("i-2", "2600:1f18::9", 2223, 1)), T)));

    assertEquals(
        "# Muster: trusted sources, one group per backend\n"
            + "2 2600:1f18::9 128 0 i-2\n"
            + "1 10.0.1.5 32 0 i-a_b\n",
        file);
    assertEquals(Set.of("1 10.0.1.5 0", "2 2600:1f18::9 0"), Tables.addressFile(file));
    String ports =
        Kamailio.permissions()
            .group("sbc", 1)
            .matchPort(true)
            .build()
            .render(of("sbc", member("i-1", "10.0.1.5", 5080, 1)));
    assertTrue(ports.contains("1 10.0.1.5 32 5080 i-1\n"), ports);
  }

  @Test
  void groupsAndSetsAreBounded() {
    assertThrows(IllegalArgumentException.class, () -> Kamailio.permissions().group("x", 0));
    assertThrows(IllegalArgumentException.class, () -> Kamailio.rtpengine().set("x", 65_536));
    assertThrows(IllegalStateException.class, () -> Kamailio.permissions().build());
  }
}
