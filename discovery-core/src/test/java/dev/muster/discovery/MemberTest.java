package dev.muster.discovery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Member enforces its guarantees whoever builds it. */
class MemberTest {

  private static Member.Builder valid() {
    return Member.newBuilder("i-1").address("10.0.0.1").port(80);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "a\nb",
        "a\rb",
        "a\u0000b",
        "a\u0085b",
        "a\u2028b",
        "a\u2029b",
        "a\u202Eb",
        "a\u200Bb",
        "a\u007Fb",
        "\uD800"
      })
  void refusesTagValuesThatCouldBreakALine(String value) {
    assertThrows(IllegalArgumentException.class, () -> valid().tag("k", value).build());
    assertThrows(IllegalArgumentException.class, () -> valid().tag(value, "v").build());
  }

  @Test
  void refusesOverlongTags() {
    assertThrows(IllegalArgumentException.class, () -> valid().tag("k", "x".repeat(257)).build());
    assertThrows(IllegalArgumentException.class, () -> valid().tag("k".repeat(129), "").build());
    assertThrows(IllegalArgumentException.class, () -> valid().tag("", "v").build());
  }

  @ParameterizedTest
  @ValueSource(
      strings = {"a;b", "{x}", "#", "$var", "\"q\"", "'q'", "caf\u00e9", "\uD83D\uDE00", "a b", ""})
  void acceptsPrintableText(String value) {
    assertEquals(value, valid().tag("k", value).build().tag("k"));
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "10.0.0.1 ",
        "10.0.0.256",
        "010.0.0.1",
        "evil host",
        "a;b",
        "x\ny",
        "-bad.example",
        "1.2.3",
        "::1::2",
        ":::",
        "fe80::1%eth0",
        "[::1]",
        ""
      })
  void refusesMalformedAddresses(String address) {
    assertThrows(IllegalArgumentException.class, () -> valid().address(address).build());
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "10.0.0.1",
        "255.255.255.255",
        "::1",
        "2600:1f18::5",
        "2001:db8:0:0:0:0:0:1",
        "::ffff:10.0.0.1",
        "ip-10-0-0-1.ec2.internal",
        "localhost"
      })
  void acceptsWellFormedAddresses(String address) {
    assertEquals(address, valid().address(address).build().address());
  }

  @Test
  void rangeChecksPortAndWeight() {
    assertThrows(IllegalArgumentException.class, () -> valid().port(0).build());
    assertThrows(IllegalArgumentException.class, () -> valid().port(65536).build());
    assertThrows(IllegalArgumentException.class, () -> valid().weight(-1).build());
    assertThrows(IllegalArgumentException.class, () -> valid().weight(257).build());
    assertEquals(0, valid().weight(0).build().weight());
  }

  @Test
  void hostPortBracketsIpv6() {
    assertEquals("10.0.0.1:80", valid().build().hostPort());
    assertEquals("[2600::1]:80", valid().address("2600::1").build().hostPort());
  }

  @Test
  void tagsAreSortedAndUnmodifiable() {
    Member m = valid().tags(Map.of("b", "2", "a", "1")).build();

    assertEquals("[a, b]", m.tags().keySet().toString());
    assertThrows(UnsupportedOperationException.class, () -> m.tags().put("c", "3"));
  }
}
