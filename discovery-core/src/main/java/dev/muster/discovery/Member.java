package dev.muster.discovery;

import dev.muster.discovery.internal.Validation;
import java.time.Instant;
import java.util.Collections;
import java.util.Map;
import java.util.Objects;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * One discovered instance, with the {@code address}, {@code port} and {@code weight} that renderers
 * use already resolved (see {@link MemberMapping}). Immutable.
 *
 * <p>The constructor enforces what renderers rely on, whoever builds the member: tag keys and
 * values contain no control, format or line-separator characters and respect EC2's length limits
 * (128 and 256 characters), the address is an IP literal or a well-formed host name, the port is 1
 * to 65535 and the weight 0 to {@value #MAX_WEIGHT}. Text from tags is still user data ({@code ;},
 * <code>{</code>, {@code #} and quotes are allowed): renderers escape it for their own syntax.
 *
 * @param instanceId the EC2 instance id, never {@code null}
 * @param address the address renderers connect to, never {@code null}
 * @param port the port renderers connect to, 1 to 65535
 * @param weight the relative weight, 0 to {@value #MAX_WEIGHT}; 0 means "no new traffic"
 * @param privateIp private IPv4 address, or {@code null}
 * @param publicIp public IPv4 address, or {@code null}
 * @param privateDnsName private DNS name, or {@code null}
 * @param ipv6 primary IPv6 address, or {@code null}
 * @param availabilityZone the availability zone, or {@code null}
 * @param subnetId the subnet id, or {@code null}
 * @param vpcId the VPC id, or {@code null}
 * @param state the EC2 state name, for example {@code running}, never {@code null}
 * @param launchTime the launch time, or {@code null}
 * @param tags the validated tags, in key order, never {@code null}; unmodifiable
 */
public record Member(
    String instanceId,
    String address,
    int port,
    int weight,
    String privateIp,
    String publicIp,
    String privateDnsName,
    String ipv6,
    String availabilityZone,
    String subnetId,
    String vpcId,
    String state,
    Instant launchTime,
    Map<String, String> tags) {

  /** The largest weight a member can carry (HAProxy's maximum). */
  public static final int MAX_WEIGHT = 256;

  /** Checks the invariants and copies the tags into an unmodifiable sorted map. */
  public Member {
    Objects.requireNonNull(instanceId, "instanceId");
    Objects.requireNonNull(address, "address");
    Objects.requireNonNull(state, "state");
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException("port must be 1 to 65535: " + port + " for " + instanceId);
    }
    if (weight < 0 || weight > MAX_WEIGHT) {
      throw new IllegalArgumentException(
          "weight must be 0 to " + MAX_WEIGHT + ": " + weight + " for " + instanceId);
    }
    String addressProblem = Validation.addressProblem(address);
    if (addressProblem != null) {
      throw new IllegalArgumentException("address of " + instanceId + ": " + addressProblem);
    }
    SortedMap<String, String> copy = new TreeMap<>(tags);
    copy.forEach(
        (key, value) -> {
          String problem = Validation.tagProblem(key, value);
          if (problem != null) {
            throw new IllegalArgumentException(
                "tag " + Validation.printable(key) + " of " + instanceId + ": " + problem);
          }
        });
    tags = Collections.unmodifiableMap(copy);
  }

  /** The tag's value, or {@code null} if the member does not carry it. */
  public String tag(String key) {
    return tags.get(key);
  }

  /** {@code address:port}, with brackets around an IPv6 address. */
  public String hostPort() {
    return appendHostPort(new StringBuilder(address.length() + 8)).toString();
  }

  /**
   * Appends {@link #hostPort()} to {@code out} without building a string, for renderers.
   *
   * @return {@code out}
   */
  public StringBuilder appendHostPort(StringBuilder out) {
    if (address.indexOf(':') >= 0) {
      out.append('[').append(address).append(']');
    } else {
      out.append(address);
    }
    return out.append(':').append(port);
  }

  /** A builder for a member with this id; for custom sources and tests. */
  public static Builder newBuilder(String instanceId) {
    return new Builder(instanceId);
  }

  /** A builder that starts from this member. */
  public Builder toBuilder() {
    Builder b = new Builder(instanceId);
    b.address = address;
    b.port = port;
    b.weight = weight;
    b.privateIp = privateIp;
    b.publicIp = publicIp;
    b.privateDnsName = privateDnsName;
    b.ipv6 = ipv6;
    b.availabilityZone = availabilityZone;
    b.subnetId = subnetId;
    b.vpcId = vpcId;
    b.state = state;
    b.launchTime = launchTime;
    b.tags.putAll(tags);
    return b;
  }

  /**
   * Builds a {@link Member}. Defaults: state {@code running}, weight 100, no tags. Address and port
   * must be set. Not thread-safe.
   */
  public static final class Builder {
    private final String instanceId;
    private final SortedMap<String, String> tags = new TreeMap<>();
    private String address;
    private int port;
    private int weight = 100;
    private String privateIp;
    private String publicIp;
    private String privateDnsName;
    private String ipv6;
    private String availabilityZone;
    private String subnetId;
    private String vpcId;
    private String state = "running";
    private Instant launchTime;

    private Builder(String instanceId) {
      this.instanceId = Objects.requireNonNull(instanceId, "instanceId");
    }

    /** The address renderers connect to. */
    public Builder address(String address) {
      this.address = address;
      return this;
    }

    /** The port renderers connect to. */
    public Builder port(int port) {
      this.port = port;
      return this;
    }

    /** The weight, 0 to {@value Member#MAX_WEIGHT}. */
    public Builder weight(int weight) {
      this.weight = weight;
      return this;
    }

    /** The private IPv4 address. */
    public Builder privateIp(String privateIp) {
      this.privateIp = privateIp;
      return this;
    }

    /** The public IPv4 address. */
    public Builder publicIp(String publicIp) {
      this.publicIp = publicIp;
      return this;
    }

    /** The private DNS name. */
    public Builder privateDnsName(String privateDnsName) {
      this.privateDnsName = privateDnsName;
      return this;
    }

    /** The IPv6 address. */
    public Builder ipv6(String ipv6) {
      this.ipv6 = ipv6;
      return this;
    }

    /** The availability zone. */
    public Builder availabilityZone(String availabilityZone) {
      this.availabilityZone = availabilityZone;
      return this;
    }

    /** The subnet id. */
    public Builder subnetId(String subnetId) {
      this.subnetId = subnetId;
      return this;
    }

    /** The VPC id. */
    public Builder vpcId(String vpcId) {
      this.vpcId = vpcId;
      return this;
    }

    /** The EC2 state name. */
    public Builder state(String state) {
      this.state = state;
      return this;
    }

    /** The launch time. */
    public Builder launchTime(Instant launchTime) {
      this.launchTime = launchTime;
      return this;
    }

    /** Adds one tag. The caller is responsible for having validated it. */
    public Builder tag(String key, String value) {
      tags.put(Objects.requireNonNull(key, "key"), Objects.requireNonNull(value, "value"));
      return this;
    }

    /** Replaces all tags. */
    public Builder tags(Map<String, String> tags) {
      this.tags.clear();
      this.tags.putAll(tags);
      return this;
    }

    /**
     * Builds the member.
     *
     * @throws NullPointerException if the address is not set
     * @throws IllegalArgumentException if port or weight is out of range, the address is malformed,
     *     or a tag breaks the rules above
     */
    public Member build() {
      return new Member(
          instanceId,
          address,
          port,
          weight,
          privateIp,
          publicIp,
          privateDnsName,
          ipv6,
          availabilityZone,
          subnetId,
          vpcId,
          state,
          launchTime,
          tags);
    }
  }
}
