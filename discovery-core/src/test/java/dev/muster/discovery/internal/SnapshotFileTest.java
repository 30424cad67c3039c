package dev.muster.discovery.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.muster.discovery.Member;
import dev.muster.discovery.Snapshot;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SnapshotFileTest {
  private static final Instant T = Instant.parse("2026-01-01T00:00:00Z");

  @Test
  void roundTripsEveryFieldAsStale(@TempDir Path dir) throws IOException {
    Member full =
        Member.newBuilder("i-0abc")
            .address("2600:1f18::5")
            .port(8443)
            .weight(0)
            .privateIp("10.0.0.1")
            .publicIp("198.51.100.7")
            .privateDnsName("ip-10-0-0-1.internal")
            .ipv6("2600:1f18::5")
            .availabilityZone("us-east-1a")
            .subnetId("subnet-1")
            .vpcId("vpc-1")
            .state("running")
            .launchTime(T)
            .tag("note", "a b;c{d}#e$f\"g'h % caf\u00e9 \uD83D\uDE00")
            .tag("empty", "")
            .build();
    Member sparse = Member.newBuilder("i-0def").address("10.0.0.2").port(80).build();
    Snapshot snapshot = Snapshot.of(List.of(full, sparse), T);
    Path file = dir.resolve("state");

    SnapshotFile.save(file, snapshot);
    Snapshot loaded = SnapshotFile.load(file);

    assertEquals(snapshot.members(), loaded.members());
    assertEquals(snapshot.fingerprint(), loaded.fingerprint());
    assertEquals(T, loaded.takenAt());
    assertTrue(loaded.isStale());
    assertEquals(
        4,
        Files.readAllLines(file).size() - 3,
        "header, time, 2 members, 2 tags and the checksum, one line each");
  }

  @Test
  void rejectsAFileThatSmugglesAControlCharacter(@TempDir Path dir) throws IOException {
    Path file = dir.resolve("state");
    SnapshotFile.save(
        file,
        Snapshot.of(
            List.of(Member.newBuilder("i-1").address("10.0.0.1").port(80).tag("k", "v").build()),
            T));
    String text = Files.readString(file).replace("tag k v", "tag k v%0aserver%20evil");
    Files.writeString(file, text, StandardCharsets.UTF_8);

    IOException e = assertThrows(IOException.class, () -> SnapshotFile.load(file));

    assertTrue(e.getMessage().contains("damaged"), e.getMessage());
  }

  @Test
  void refusesAFileCutAtALineBoundaryInsteadOfRestoringFewerMembers(@TempDir Path dir)
      throws IOException {
    Path file = dir.resolve("state");
    List<Member> members = new java.util.ArrayList<>();
    for (int i = 0; i < 30; i++) {
      members.add(
          Member.newBuilder("i-" + (100 + i)).address("10.0.0." + (i + 1)).port(80).build());
    }
    SnapshotFile.save(file, Snapshot.of(members, T));
    List<String> lines = Files.readAllLines(file);

    for (int keep : new int[] {2, 5, lines.size() - 1}) {
      Files.write(file, lines.subList(0, keep));

      IOException e =
          assertThrows(
              IOException.class, () -> SnapshotFile.load(file), "cut to " + keep + " lines");
      assertTrue(e.getMessage().contains("damaged"), e.getMessage());
    }
  }

  @Test
  void refusesAMemberCountThatDoesNotMatch(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("state");
    SnapshotFile.save(
        file,
        Snapshot.of(List.of(Member.newBuilder("i-1").address("10.0.0.1").port(80).build()), T));
    String text = Files.readString(file);
    int end = text.lastIndexOf("end ");
    String body = text.substring(0, end);
    String sum =
        java.util.HexFormat.of()
            .formatHex(
                java.security.MessageDigest.getInstance("SHA-256")
                    .digest(body.getBytes(StandardCharsets.UTF_8)));
    Files.writeString(file, body + "end 2 sha256=" + sum + "\n");

    IOException e = assertThrows(IOException.class, () -> SnapshotFile.load(file));

    assertTrue(e.getMessage().contains("holds 1 members, its last line says 2"), e.getMessage());
  }

  @Test
  void refusesAFileWithoutAChecksumFromAnOlderVersion(@TempDir Path dir) throws IOException {
    Path file = dir.resolve("state");
    Files.writeString(file, "muster-snapshot 1\ntaken 2026-01-01T00:00:00Z\n");

    IOException e = assertThrows(IOException.class, () -> SnapshotFile.load(file));

    assertTrue(e.getMessage().contains("without a checksum"), e.getMessage());
  }

  @Test
  void refusesInvalidUtf8NamingIt(@TempDir Path dir) throws IOException {
    Path file = dir.resolve("state");
    Files.write(file, new byte[] {'m', 'u', (byte) 0xff, '\n'});

    IOException e = assertThrows(IOException.class, () -> SnapshotFile.load(file));

    assertTrue(e.getMessage().contains("not valid UTF-8"), e.getMessage());
  }

  @Test
  void rejectsForeignFiles(@TempDir Path dir) throws IOException {
    Path file = dir.resolve("state");
    Files.writeString(file, "something else\n");

    assertThrows(IOException.class, () -> SnapshotFile.load(file));
  }

  @Test
  void encodingLeavesNoSpacesOrLineBreaks() {
    String encoded = SnapshotFile.encode("a b\nc\u2028");

    assertEquals("a%20b%0ac%e2%80%a8", encoded);
    assertEquals("a b\nc\u2028", SnapshotFile.decode(encoded));
  }
}
