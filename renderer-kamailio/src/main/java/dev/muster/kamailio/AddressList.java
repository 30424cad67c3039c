package dev.muster.kamailio;

import dev.muster.discovery.Member;
import dev.muster.discovery.RenderException;
import dev.muster.discovery.Renderer;
import dev.muster.discovery.Snapshot;
import dev.muster.discovery.TemplateRenderer;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Trusted sources for Kamailio's {@code permissions} module: each discovery backend is one group of
 * its {@code address_file}, each member one address, so that {@code allow_source_address(GROUP)}
 * accepts requests from the fleet's other SBCs or media nodes and from nothing else.
 *
 * <pre>
 * # Muster: trusted sources, one group per backend
 * 1 10.0.2.7 32 0 i-0a1b2c3d4e5f60718
 * </pre>
 *
 * <p>Each record is the member's address with a full mask (32, or 128 for IPv6), port 0 (any) or
 * the member's port ({@link Builder#matchPort}), and its instance id made safe as the tag ({@code
 * $avp(tag)} after a match, with {@code peer_tag_avp}).
 *
 * <pre>{@code
 * Renderer trusted = AddressList.newBuilder().group("sbc", 1).group("media", 2).build();
 * }</pre>
 */
public final class AddressList implements Renderer {
  private final Map<String, Integer> groups;
  private final boolean matchPort;

  private AddressList(Builder b) {
    this.groups = Map.copyOf(b.groups);
    this.matchPort = b.matchPort;
  }

  /** A new builder; every backend needs a group. */
  public static Builder newBuilder() {
    return new Builder();
  }

  @Override
  public String render(Map<String, Snapshot> memberships) {
    StringBuilder out = new StringBuilder("# Muster: trusted sources, one group per backend\n");
    Map<Integer, TreeSet<String>> seen = new TreeMap<>();
    for (Map.Entry<String, Snapshot> e : new TreeMap<>(memberships).entrySet()) {
      Integer group = groups.get(e.getKey());
      if (group == null) {
        throw new RenderException(
            "permissions address file: backend "
                + e.getKey()
                + " has no group; call AddressList.Builder.group(backend, id)",
            null);
      }
      for (Member m : e.getValue().members()) {
        int port = matchPort ? m.port() : 0;
        if (!seen.computeIfAbsent(group, k -> new TreeSet<>()).add(m.address() + " " + port)) {
          continue;
        }
        out.append(group)
            .append(' ')
            .append(m.address())
            .append(' ')
            .append(m.address().indexOf(':') >= 0 ? 128 : 32)
            .append(' ')
            .append(port)
            .append(' ')
            .append(TemplateRenderer.safeName(m.instanceId()))
            .append('\n');
      }
    }
    return out.toString();
  }

  /** Builds an {@link AddressList}. Not thread-safe. */
  public static final class Builder {
    private final Map<String, Integer> groups = new LinkedHashMap<>();
    private boolean matchPort;

    private Builder() {}

    /** The group (1 to 65,535) that {@code backend}'s members form. */
    public Builder group(String backend, int group) {
      if (group < 1 || group > 65_535) {
        throw new IllegalArgumentException("permissions group must be 1 to 65535: " + group);
      }
      groups.put(Objects.requireNonNull(backend, "backend"), group);
      return this;
    }

    /** Trusts each member's port only (its {@code muster:port}) instead of any port. */
    public Builder matchPort(boolean matchPort) {
      this.matchPort = matchPort;
      return this;
    }

    /**
     * Builds it.
     *
     * @throws IllegalStateException if no group was given
     */
    public AddressList build() {
      if (groups.isEmpty()) {
        throw new IllegalStateException("no group: call group(backend, id) for each backend");
      }
      return new AddressList(this);
    }
  }
}
