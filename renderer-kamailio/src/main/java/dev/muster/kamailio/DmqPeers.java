package dev.muster.kamailio;

import dev.muster.discovery.Member;
import dev.muster.discovery.Renderer;
import dev.muster.discovery.Snapshot;
import java.util.Map;
import java.util.TreeSet;

/**
 * The DMQ peers of one Kamailio node: every member of the backends (the cluster's Kamailio nodes,
 * their DMQ port as the member's port) but the node itself, as {@code notification_address}
 * settings for Kamailio's {@code dmq} module to read at its start ({@code include_file}).
 *
 * <pre>
 * # Muster: this node's DMQ peers, read by Kamailio at its start (include_file)
 * modparam("dmq", "notification_address", "sip:10.0.1.5:5090")
 * modparam("dmq", "notification_address", "sip:10.0.2.7:5090")
 * </pre>
 *
 * <p>This is how a new node joins: at its start the module adds every address listed and sends each
 * its node list (the peers that answer send theirs back and tell the others), so one live peer is
 * enough; with none listed (the first node) it waits for others to notify it. The file is read only
 * at Kamailio's start, so later changes take effect at its next start; a peer that leaves is
 * removed from the running Kamailio by {@link DmqReloader}. The node itself must not be listed (the
 * module would add itself a second time and replicate to itself): {@link Builder#self} names it.
 *
 * <pre>{@code
 * Renderer peers = DmqPeers.newBuilder().self(InstanceIdentity.fetch().instanceId()).build();
 * }</pre>
 */
public final class DmqPeers implements Renderer {
  static final String HEADER =
      "# Muster: this node's DMQ peers, read by Kamailio at its start (include_file)\n";

  private final String self;

  private DmqPeers(Builder b) {
    this.self = b.self;
  }

  /** A new builder. */
  public static Builder newBuilder() {
    return new Builder();
  }

  @Override
  public String render(Map<String, Snapshot> memberships) {
    TreeSet<String> peers = new TreeSet<>();
    for (Snapshot snapshot : memberships.values()) {
      for (Member m : snapshot.members()) {
        if (!m.instanceId().equals(self)) {
          peers.add(uri(m));
        }
      }
    }
    StringBuilder out = new StringBuilder(HEADER);
    for (String peer : peers) {
      out.append("modparam(\"dmq\", \"notification_address\", \"").append(peer).append("\")\n");
    }
    return out.toString();
  }

  /** {@code sip:ADDRESS:PORT}, as the module names a node ({@code dmq.remove} takes it). */
  static String uri(Member m) {
    return m.appendHostPort(new StringBuilder("sip:")).toString();
  }

  /** Builds a {@link DmqPeers}. Not thread-safe. */
  public static final class Builder {
    private String self;

    private Builder() {}

    /**
     * The instance id of the node this file is for, left out of its peers (the agent reads it from
     * IMDS). Unset, every member is listed: only for a node outside the backends.
     */
    public Builder self(String instanceId) {
      this.self = instanceId;
      return this;
    }

    /** Builds it. */
    public DmqPeers build() {
      return new DmqPeers(this);
    }
  }
}
