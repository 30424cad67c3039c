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
    Member full = Member.newBuilder("i-0abc").address("2600:1f18::5").port(8443).weight(0)
        .privateIp("10.0.0.1").publicIp("198.51.100.7").privateDnsName("ip-10-0-0-1.internal")
        .ipv6("2600:1f18::5").availabilityZone("us-east-1a").subnetId("subnet-1")
        .vpcId("vpc-1").state("running").launchTime(T)
        .tag("note", "a b;c{d}#e$f\"g'h % caf\u00e9 \uD83D\uDE00").tag("empty", "").build();
    Member sparse = Member.newBuilder("i-0def").address("10.0.0.2").port(80).build();
    Snapshot snapshot = Snapshot.of(List.of(full, sparse), T);
    Path file = dir.resolve("state");

    SnapshotFile.save(file, snapshot);
    Snapshot loaded = SnapshotFile.load(file);

    assertEquals(snapshot.members(), loaded.members());
    assertEquals(snapshot.fingerprint(), loaded.fingerprint());
    assertEquals(T, loaded.takenAt());
    assertTrue(loaded.isStale());
    assertEquals(4, Files.readAllLines(file).size() - 2, "2 members, 2 tags, one line each");
  }

  @Test
  void rejectsAFileThatSmugglesAControlCharacter(@TempDir Path dir) throws IOException {
    Path file = dir.resolve("state");
    SnapshotFile.save(file, Snapshot.of(List.of(Member.newBuilder("i-1").address("10.0.0.1")
        .port(80).tag("k", "v").build()), T));
    String text = Files.readString(file).replace("tag k v", "tag k v%0aserver%20evil");
    Files.writeString(file, text, StandardCharsets.UTF_8);

    IOException e = assertThrows(IOException.class, () -> SnapshotFile.load(file));

    assertTrue(e.getMessage().contains("damaged"), e.getMessage());
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
