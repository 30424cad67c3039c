package dev.muster.discovery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class SnapshotTest {
  private static final Instant T = Instant.parse("2026-01-01T00:00:00Z");
  private static final Member BASE =
      Member.newBuilder("i-1")
          .address("10.0.0.1")
          .port(80)
          .privateIp("10.0.0.1")
          .availabilityZone("us-east-1a")
          .subnetId("subnet-1")
          .vpcId("vpc-1")
          .launchTime(T)
          .tag("role", "web")
          .build();

  @Test
  void sortsMembersByInstanceId() {
    List<Member> members = new ArrayList<>(ScriptedSource.members(50));
    Collections.shuffle(members, new java.util.Random(1));

    Snapshot s = Snapshot.of(members, T);

    assertEquals(ScriptedSource.members(50), s.members());
    assertEquals("10.0.0.8", s.member("i-00000000000000007").orElseThrow().address());
    assertTrue(s.member("i-nope").isEmpty());
  }

  @Test
  void rejectsDuplicateInstanceIds() {
    assertThrows(IllegalArgumentException.class, () -> Snapshot.of(List.of(BASE, BASE), T));
  }

  @Test
  void fingerprintIgnoresOrderTimeAndStaleness() {
    Snapshot a = Snapshot.of(ScriptedSource.members(10), T);
    List<Member> reversed = new ArrayList<>(ScriptedSource.members(10));
    Collections.reverse(reversed);
    Snapshot b = Snapshot.of(reversed, T.plusSeconds(60)).asStale();

    assertEquals(a.fingerprint(), b.fingerprint());
    assertTrue(a.sameMembersAs(b));
    assertEquals(32, a.fingerprint().length());
  }

  static Stream<UnaryOperator<Member.Builder>> everyField() {
    return Stream.of(
        b -> b.address("10.0.0.9"),
        b -> b.port(81),
        b -> b.weight(99),
        b -> b.privateIp("10.0.0.9"),
        b -> b.publicIp("198.51.100.1"),
        b -> b.privateDnsName("ip-10-0-0-1.ec2.internal"),
        b -> b.ipv6("2600::1"),
        b -> b.availabilityZone("us-east-1b"),
        b -> b.subnetId("subnet-2"),
        b -> b.vpcId("vpc-2"),
        b -> b.state("stopping"),
        b -> b.launchTime(T.plusSeconds(1)),
        b -> b.launchTime(T.plusNanos(1)),
        b -> b.launchTime(null),
        b -> b.tag("role", "api"),
        b -> b.tag("role", "wéb"),
        b -> b.tag("long", "é".repeat(256)),
        b -> b.tag("extra", ""));
  }

  @ParameterizedTest
  @MethodSource("everyField")
  void anyFieldChangeChangesTheFingerprint(UnaryOperator<Member.Builder> change) {
    Snapshot a = Snapshot.of(List.of(BASE), T);
    Snapshot b = Snapshot.of(List.of(change.apply(BASE.toBuilder()).build()), T);

    assertNotEquals(a.fingerprint(), b.fingerprint());
    assertFalse(a.sameMembersAs(b));
  }

  @Test
  void fieldBoundariesCannotBeShiftedToCollide() {
    Member ab = BASE.toBuilder().tags(java.util.Map.of("a", "bc")).build();
    Member abc = BASE.toBuilder().tags(java.util.Map.of("ab", "c")).build();

    assertNotEquals(
        Snapshot.of(List.of(ab), T).fingerprint(), Snapshot.of(List.of(abc), T).fingerprint());
  }

  @Test
  void nonAsciiIsDigestedAsItsUtf8Bytes() {
    // "é" is two UTF-8 bytes; the length prefix counts bytes, so "é" and a two-char ASCII value
    // never share an encoding, and equal non-ASCII values digest equally.
    Member accent = BASE.toBuilder().tag("n", "é").build();
    Member two = BASE.toBuilder().tag("n", "\u00c3\u00a9").build();

    assertNotEquals(
        Snapshot.of(List.of(accent), T).fingerprint(), Snapshot.of(List.of(two), T).fingerprint());
    assertEquals(
        Snapshot.of(List.of(accent), T).fingerprint(),
        Snapshot.of(List.of(BASE.toBuilder().tag("n", new String("é")).build()), T).fingerprint());
  }
}
