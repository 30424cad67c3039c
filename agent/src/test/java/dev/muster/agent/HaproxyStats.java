package dev.muster.agent;

import java.io.ByteArrayOutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/** HAProxy's own view, read from its stats socket ({@code show stat}) by the tests. */
final class HaproxyStats {
  private HaproxyStats() {}

  /** The servers of {@code backend} that HAProxy reports UP, as address:port. */
  static Set<String> up(Path socket, String backend) {
    Set<String> up = new TreeSet<>();
    status(socket, backend)
        .forEach(
            (addr, status) -> {
              if (status.startsWith("UP")) {
                up.add(addr);
              }
            });
    return up;
  }

  /**
   * Each server of {@code backend} with an address: address:port to status (UP, DRAIN, MAINT...).
   */
  static Map<String, String> status(Path socket, String backend) {
    String csv = command(socket, "show stat\n");
    List<String> lines = csv.lines().toList();
    Map<String, String> out = new TreeMap<>();
    if (lines.isEmpty() || !lines.get(0).startsWith("# ")) {
      out.put("(no stats)", csv.strip());
      return out;
    }
    List<String> header = List.of(lines.get(0).substring(2).split(","));
    int px = header.indexOf("pxname");
    int sv = header.indexOf("svname");
    int status = header.indexOf("status");
    int addr = header.indexOf("addr");
    for (String line : lines.subList(1, lines.size())) {
      String[] f = line.split(",", -1);
      if (f.length > addr
          && f[px].equals(backend)
          && !f[sv].equals("BACKEND")
          && !f[addr].isEmpty()) {
        out.put(f[addr], f[status]);
      }
    }
    return out;
  }

  /** The answer to one command on the stats socket, or the error. */
  static String command(Path socket, String command) {
    try (SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX)) {
      channel.connect(UnixDomainSocketAddress.of(socket));
      channel.write(ByteBuffer.wrap(command.getBytes(StandardCharsets.US_ASCII)));
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      ByteBuffer buffer = ByteBuffer.allocate(65536);
      while (channel.read(buffer) > 0) {
        out.write(buffer.array(), 0, buffer.position());
        buffer.clear();
      }
      return out.toString(StandardCharsets.UTF_8);
    } catch (Exception e) {
      return e.toString();
    }
  }
}
