package dev.muster.discovery.internal;

import dev.muster.discovery.Member;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/**
 * SHA-256 digests over a length-prefixed encoding of every field: one 128-bit digest per member,
 * and the snapshot's fingerprint over those. Equal members give equal digests; a cryptographic
 * digest, because tag values come from whoever may tag an instance, and a weak hash could be made
 * to collide so that a change goes unnoticed. The per-member digests let a diff compare two longs
 * per member instead of every field.
 */
public final class Fingerprint {
  private Fingerprint() {}

  /**
   * The digests of a sorted member list.
   *
   * @param fingerprint the first 128 bits of the digest over all members, as 32 hex digits
   * @param memberDigests two longs (128 bits) per member, in member order
   */
  public record Digests(String fingerprint, long[] memberDigests) {}

  /** The digests of {@code sortedMembers}. */
  public static Digests of(List<Member> sortedMembers) {
    MessageDigest digest = sha256();
    MessageDigest all = sha256();
    Encoder e = new Encoder();
    long[] members = new long[sortedMembers.size() * 2];
    e.putInt(sortedMembers.size());
    all.update(e.bytes, 0, e.length);
    int index = 0;
    for (Member m : sortedMembers) {
      // One member's fields, length-prefixed, in one buffer: one digest update per member.
      e.length = 0;
      e.put(m.instanceId());
      e.put(m.address());
      e.putInt(m.port());
      e.putInt(m.weight());
      e.put(m.privateIp());
      e.put(m.publicIp());
      e.put(m.privateDnsName());
      e.put(m.ipv6());
      e.put(m.availabilityZone());
      e.put(m.subnetId());
      e.put(m.vpcId());
      e.put(m.state());
      if (m.launchTime() == null) {
        e.putInt(-1);
      } else {
        e.putInt(12);
        e.putLong(m.launchTime().getEpochSecond());
        e.putInt(m.launchTime().getNano());
      }
      e.putInt(m.tags().size());
      for (Map.Entry<String, String> tag : m.tags().entrySet()) {
        e.put(tag.getKey());
        e.put(tag.getValue());
      }
      digest.update(e.bytes, 0, e.length);
      byte[] hash = digest.digest();
      all.update(hash, 0, 16);
      members[index++] = toLong(hash, 0);
      members[index++] = toLong(hash, 8);
    }
    return new Digests(HexFormat.of().formatHex(all.digest(), 0, 16), members);
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java platform has SHA-256", e);
    }
  }

  private static long toLong(byte[] bytes, int offset) {
    long value = 0;
    for (int i = 0; i < 8; i++) {
      value = (value << 8) | (bytes[offset + i] & 0xff);
    }
    return value;
  }

  /**
   * A growing byte buffer: a string as its UTF-8 length and bytes ({@code -1} for null), numbers
   * big-endian. ASCII is written a char at a time without an intermediate array.
   */
  static final class Encoder {
    byte[] bytes = new byte[512];
    int length;

    void put(String text) {
      if (text == null) {
        putInt(-1);
        return;
      }
      int n = text.length();
      boolean ascii = true;
      for (int i = 0; i < n && ascii; i++) {
        ascii = text.charAt(i) < 0x80;
      }
      if (ascii) {
        putInt(n);
        ensure(n);
        for (int i = 0; i < n; i++) {
          bytes[length++] = (byte) text.charAt(i);
        }
      } else {
        byte[] utf8 = text.getBytes(StandardCharsets.UTF_8);
        putInt(utf8.length);
        ensure(utf8.length);
        System.arraycopy(utf8, 0, bytes, length, utf8.length);
        length += utf8.length;
      }
    }

    void putInt(int value) {
      ensure(4);
      bytes[length++] = (byte) (value >>> 24);
      bytes[length++] = (byte) (value >>> 16);
      bytes[length++] = (byte) (value >>> 8);
      bytes[length++] = (byte) value;
    }

    void putLong(long value) {
      putInt((int) (value >>> 32));
      putInt((int) value);
    }

    private void ensure(int more) {
      if (length + more > bytes.length) {
        bytes = Arrays.copyOf(bytes, Math.max(bytes.length * 2, length + more));
      }
    }
  }
}
