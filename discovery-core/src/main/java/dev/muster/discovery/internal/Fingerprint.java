package dev.muster.discovery.internal;

import dev.muster.discovery.Member;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/**
 * A SHA-256 digest over a length-prefixed encoding of every field of every member. Equal
 * member lists give equal fingerprints; a cryptographic digest, because tag values come from
 * whoever may tag an instance, and a weak hash could be made to collide so that a change goes
 * unnoticed.
 */
public final class Fingerprint {
  private Fingerprint() {}

  /** The first 128 bits of the digest, as 32 lower-case hex digits. */
  public static String of(List<Member> sortedMembers) {
    MessageDigest digest;
    try {
      digest = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java platform has SHA-256", e);
    }
    byte[] buffer = new byte[8];
    putInt(digest, buffer, sortedMembers.size());
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
    }
    byte[] hash = digest.digest();
    return HexFormat.of().formatHex(hash, 0, 16);
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
