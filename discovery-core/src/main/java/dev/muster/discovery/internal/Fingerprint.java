package dev.muster.discovery.internal;

import dev.muster.discovery.Member;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
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
    byte[] buffer = new byte[8];
    long[] members = new long[sortedMembers.size() * 2];
    putInt(all, buffer, sortedMembers.size());
    int index = 0;
    for (Member m : sortedMembers) {
      put(digest, buffer, m.instanceId());
      put(digest, buffer, m.address());
      putInt(digest, buffer, m.port());
      putInt(digest, buffer, m.weight());
      put(digest, buffer, m.privateIp());
      put(digest, buffer, m.publicIp());
      put(digest, buffer, m.privateDnsName());
      put(digest, buffer, m.ipv6());
      put(digest, buffer, m.availabilityZone());
      put(digest, buffer, m.subnetId());
      put(digest, buffer, m.vpcId());
      put(digest, buffer, m.state());
      put(digest, buffer, m.launchTime() == null ? null : m.launchTime().toString());
      putInt(digest, buffer, m.tags().size());
      for (Map.Entry<String, String> tag : m.tags().entrySet()) {
        put(digest, buffer, tag.getKey());
        put(digest, buffer, tag.getValue());
      }
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

  private static void put(MessageDigest digest, byte[] buffer, String text) {
    if (text == null) {
      putInt(digest, buffer, -1);
      return;
    }
    byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
    putInt(digest, buffer, bytes.length);
    digest.update(bytes);
  }

  private static void putInt(MessageDigest digest, byte[] buffer, int value) {
    buffer[0] = (byte) (value >>> 24);
    buffer[1] = (byte) (value >>> 16);
    buffer[2] = (byte) (value >>> 8);
    buffer[3] = (byte) value;
    digest.update(buffer, 0, 4);
  }
}
