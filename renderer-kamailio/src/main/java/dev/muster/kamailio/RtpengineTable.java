package dev.muster.kamailio;

import dev.muster.discovery.Member;
import dev.muster.discovery.RenderException;
import dev.muster.discovery.Renderer;
import dev.muster.discovery.Snapshot;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The media nodes of Kamailio's {@code rtpengine} module as a {@code db_text} table: each discovery
 * backend is one set, each member one node, read by the module from {@code db_url text:///DIR}
 * (with {@code modparam("db_text", "db_mode", 1)}, so that {@code rtpengine.reload} sees the file
 * as it is now).
 *
 * <pre>
 * id(int,auto) setid(int) url(string) weight(int) disabled(int) stamp(int)
 * 1:0:udp\:10.0.2.7\:2223:100:0:0
 * </pre>
 *
 * <p>A node's control URL is {@code udp:ADDRESS:PORT} ({@code udp6:[ADDRESS]:PORT} for IPv6), the
 * port being the member's port (the rtpengine daemon's {@code listen-ng}); the tag {@code
 * muster:rtpengine} may say {@code udp} or {@code udp6} and nothing else: a tag can choose the
 * protocol, never another host. Its weight is the member's ({@code muster:weight}). The module
 * needs the {@code version} table beside it: {@link #VERSION_TABLE}.
 *
 * <pre>{@code
 * Renderer media = RtpengineTable.newBuilder().set("media", 0).build();
 * }</pre>
 */
public final class RtpengineTable implements Renderer {
  /** The tag that may choose a node's protocol: {@code udp} or {@code udp6}. */
  public static final String PROTOCOL_TAG = "muster:rtpengine";

  /** The {@code db_text} table {@code version}, with the row the rtpengine module checks. */
  public static final String VERSION_TABLE =
      "id(int,auto) table_name(string) table_version(int)\n0:rtpengine:1\n";

  private static final String HEADER =
      "id(int,auto) setid(int) url(string) weight(int) disabled(int) stamp(int)\n";

  private final Map<String, Integer> sets;

  private RtpengineTable(Map<String, Integer> sets) {
    this.sets = sets;
  }

  /** A new builder; every backend needs a set. */
  public static Builder newBuilder() {
    return new Builder();
  }

  @Override
  public String render(Map<String, Snapshot> memberships) {
    StringBuilder out = new StringBuilder(HEADER);
    int id = 1;
    Map<Integer, TreeSet<String>> seen = new TreeMap<>();
    for (Map.Entry<String, Snapshot> e : new TreeMap<>(memberships).entrySet()) {
      Integer set = sets.get(e.getKey());
      if (set == null) {
        throw new RenderException(
            "rtpengine table: backend "
                + e.getKey()
                + " has no set; call RtpengineTable.Builder.set(backend, id)",
            null);
      }
      for (Member m : e.getValue().members()) {
        String url = url(m);
        if (!seen.computeIfAbsent(set, k -> new TreeSet<>()).add(url)) {
          continue; // one node per set and URL, as the module's unique key says
        }
        out.append(id++)
            .append(':')
            .append(set)
            .append(':')
            .append(url.replace(":", "\\:"))
            .append(':')
            .append(m.weight())
            .append(":0:0\n");
      }
    }
    return out.toString();
  }

  /**
   * A member's control URL, as the module names it in {@code rtpengine.show} and {@code
   * rtpengine.enable}.
   *
   * @throws RenderException naming the instance if its protocol tag is neither udp nor udp6
   */
  public static String url(Member m) {
    String protocol = m.tag(PROTOCOL_TAG);
    boolean v6 = m.address().indexOf(':') >= 0;
    if (protocol == null) {
      protocol = v6 ? "udp6" : "udp";
    } else if (!protocol.equals("udp") && !protocol.equals("udp6")) {
      throw new RenderException(
          "rtpengine table: "
              + m.instanceId()
              + ": tag "
              + PROTOCOL_TAG
              + " must be udp or udp6, not a value of "
              + protocol.length()
              + " characters",
          null);
    }
    return protocol + ":" + m.hostPort();
  }

  /** Builds an {@link RtpengineTable}. Not thread-safe. */
  public static final class Builder {
    private final Map<String, Integer> sets = new LinkedHashMap<>();

    private Builder() {}

    /** The rtpengine set (0 to 65,535) that {@code backend}'s members form. */
    public Builder set(String backend, int setId) {
      if (setId < 0 || setId > 65_535) {
        throw new IllegalArgumentException("rtpengine set must be 0 to 65535: " + setId);
      }
      sets.put(Objects.requireNonNull(backend, "backend"), setId);
      return this;
    }

    /**
     * Builds it.
     *
     * @throws IllegalStateException if no set was given
     */
    public RtpengineTable build() {
      if (sets.isEmpty()) {
        throw new IllegalStateException("no set: call set(backend, id) for each backend");
      }
      return new RtpengineTable(Map.copyOf(sets));
    }
  }
}
