package dev.muster.discovery.internal;

import dev.muster.discovery.Member;
import dev.muster.discovery.Snapshot;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Saves and restores a snapshot as text: a header line, then one line per member and one per tag,
 * every field percent-encoded so that no value can contain a space or a line break, and a last line
 * with the member count and a SHA-256 of everything before it. On load, the count and checksum must
 * match, so a file cut at a line boundary is refused instead of restoring fewer members, and every
 * member goes through {@link Member}'s validation again, so a hand-edited or damaged file cannot
 * smuggle anything in; a file that does not check out is rejected whole.
 */
public final class SnapshotFile {
  private static final String HEADER = "muster-snapshot 2";
  private static final String OLD_HEADER = "muster-snapshot 1";
  private static final String END = "end ";
  private static final String NULL = "!";

  private SnapshotFile() {}

  /** Writes {@code snapshot} to {@code path} atomically. */
  public static void save(Path path, Snapshot snapshot) throws IOException {
    StringBuilder out = new StringBuilder(64 + snapshot.size() * 256);
    out.append(HEADER).append('\n');
    out.append("taken ").append(snapshot.takenAt()).append('\n');
    for (Member m : snapshot.members()) {
      out.append("member");
      for (String field :
          new String[] {
            m.instanceId(),
            m.address(),
            Integer.toString(m.port()),
            Integer.toString(m.weight()),
            m.privateIp(),
            m.publicIp(),
            m.privateDnsName(),
            m.ipv6(),
            m.availabilityZone(),
            m.subnetId(),
            m.vpcId(),
            m.state(),
            m.launchTime() == null ? null : m.launchTime().toString()
          }) {
        out.append(' ').append(encode(field));
      }
      out.append('\n');
      for (Map.Entry<String, String> tag : m.tags().entrySet()) {
        out.append("tag ")
            .append(encode(tag.getKey()))
            .append(' ')
            .append(encode(tag.getValue()))
            .append('\n');
      }
    }
    String checksum = sha256(out);
    out.append(END).append(snapshot.size()).append(" sha256=").append(checksum).append('\n');
    AtomicFiles.write(path, out.toString().getBytes(StandardCharsets.UTF_8));
  }

  /**
   * Reads a snapshot written by {@link #save}.
   *
   * @throws IOException if the file cannot be read or is not a valid snapshot file
   */
  public static Snapshot load(Path path) throws IOException {
    String text;
    try {
      text =
          StandardCharsets.UTF_8
              .newDecoder()
              .decode(java.nio.ByteBuffer.wrap(Files.readAllBytes(path)))
              .toString();
    } catch (java.nio.charset.CharacterCodingException e) {
      throw new IOException(path + " is damaged: it is not valid UTF-8", e);
    }
    if (text.startsWith(OLD_HEADER + "\n")) {
      throw new IOException(
          path
              + " was written by an older Muster without a checksum; it "
              + "is replaced at the next publication");
    }
    List<String> lines = List.of(text.split("\n", -1));
    if (lines.size() < 2 || !lines.get(0).equals(HEADER) || !lines.get(1).startsWith("taken ")) {
      throw new IOException(path + " is not a Muster snapshot file (" + HEADER + ")");
    }
    int endAt = text.lastIndexOf("\n" + END);
    String end = endAt < 0 ? "" : text.substring(endAt + 1).strip();
    String[] endFields = end.split(" ");
    if (endAt < 0
        || !text.endsWith("\n")
        || endFields.length != 3
        || !endFields[2].equals("sha256=" + sha256(text.substring(0, endAt + 1)))) {
      throw new IOException(
          path
              + " is damaged: its last line is not '"
              + END
              + "COUNT sha256=...' matching the content (cut short or edited by hand?)");
    }
    lines = List.of(text.substring(0, endAt).split("\n", -1));
    try {
      Instant taken = Instant.parse(lines.get(1).substring("taken ".length()));
      List<Member> members = new ArrayList<>();
      String[] fields = null;
      Map<String, String> tags = new TreeMap<>();
      for (int i = 2; i < lines.size(); i++) {
        String[] parts = lines.get(i).split(" ", -1);
        if (parts[0].equals("member") && parts.length == 14) {
          if (fields != null) {
            members.add(member(fields, tags));
          }
          fields = parts;
          tags = new TreeMap<>();
        } else if (parts[0].equals("tag") && parts.length == 3 && fields != null) {
          tags.put(decode(parts[1]), decode(parts[2]));
        } else if (!lines.get(i).isEmpty()) {
          throw new IOException(path + ":" + (i + 1) + ": unexpected line");
        }
      }
      if (fields != null) {
        members.add(member(fields, tags));
      }
      if (!endFields[1].equals(Integer.toString(members.size()))) {
        throw new IOException(
            path
                + " is damaged: it holds "
                + members.size()
                + " members, its last line says "
                + endFields[1]);
      }
      return Snapshot.of(members, taken).asStale();
    } catch (RuntimeException e) {
      throw new IOException(path + " is damaged: " + e.getMessage(), e);
    }
  }

  private static Member member(String[] f, Map<String, String> tags) {
    String launch = decode(f[13]);
    return new Member(
        decode(f[1]),
        decode(f[2]),
        Integer.parseInt(decode(f[3])),
        Integer.parseInt(decode(f[4])),
        decode(f[5]),
        decode(f[6]),
        decode(f[7]),
        decode(f[8]),
        decode(f[9]),
        decode(f[10]),
        decode(f[11]),
        decode(f[12]),
        launch == null ? null : Instant.parse(launch),
        tags);
  }

  private static String sha256(CharSequence text) {
    try {
      byte[] digest =
          java.security.MessageDigest.getInstance("SHA-256")
              .digest(text.toString().getBytes(StandardCharsets.UTF_8));
      return java.util.HexFormat.of().formatHex(digest);
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JVM has SHA-256", e);
    }
  }

  static String encode(String value) {
    if (value == null) {
      return NULL;
    }
    if (value.isEmpty()) {
      return "%";
    }
    StringBuilder out = new StringBuilder(value.length() + 8);
    for (byte b : value.getBytes(StandardCharsets.UTF_8)) {
      int c = b & 0xff;
      if (c >= 'a' && c <= 'z'
          || c >= 'A' && c <= 'Z'
          || c >= '0' && c <= '9'
          || "-._:/@+,=".indexOf(c) >= 0) {
        out.append((char) c);
      } else {
        out.append('%')
            .append(Character.forDigit(c >> 4, 16))
            .append(Character.forDigit(c & 15, 16));
      }
    }
    return out.toString();
  }

  static String decode(String text) {
    if (text.equals(NULL)) {
      return null;
    }
    if (text.equals("%")) {
      return "";
    }
    byte[] bytes = new byte[text.length()];
    int n = 0;
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c == '%') {
        if (i + 2 >= text.length()) {
          throw new IllegalArgumentException("truncated escape in " + text);
        }
        bytes[n++] = (byte) Integer.parseInt(text.substring(i + 1, i + 3), 16);
        i += 2;
      } else {
        bytes[n++] = (byte) c;
      }
    }
    return new String(bytes, 0, n, StandardCharsets.UTF_8);
  }
}
