package dev.muster.discovery;

import java.util.Objects;

/**
 * How an EC2 instance becomes a {@link Member}: which address renderers connect to, and the port
 * and weight, each with a default that a tag on the instance may override.
 *
 * <ul>
 *   <li><b>address</b>: {@link AddressSource#PRIVATE_IP} by default; or the public IPv4, the
 *       private DNS name, the IPv6 address, or the value of a tag ({@link
 *       Builder#addressTag(String)}). An instance without that address is skipped with a warning,
 *       never rendered with an empty address. A tag must hold an IP address (a proxy resolves a
 *       name when it loads its configuration, and one name that does not resolve fails the whole
 *       file) unless {@link Builder#addressTagHostNames(boolean)}. With several network interfaces,
 *       the address may come from one of them, chosen by its device index ({@link
 *       Builder#networkInterface(int)}) or its description ({@link
 *       Builder#networkInterfaceDescription(String)}), never by its place in EC2's list; and it may
 *       be a secondary private IPv4 address ({@link Builder#secondaryPrivateIp(int)}). IPv6 comes
 *       from the instance, else its primary interface, else the interface with the lowest device
 *       index that has one.
 *   <li><b>port</b>: {@link Builder#port(int)}, overridden by the tag {@code muster:port}. A tag
 *       that is not a whole number from 1 to 65535 skips the instance with a warning: a wrong port
 *       sends traffic to the wrong service, which is worse than one fewer member.
 *   <li><b>weight</b>: {@link Builder#weight(int)} (default 100), overridden by the tag {@code
 *       muster:weight}, 0 to {@value Member#MAX_WEIGHT}. A bad weight tag falls back to the default
 *       with a warning.
 * </ul>
 *
 * <p>Immutable and thread-safe.
 *
 * @param addressSource where the address comes from
 * @param addressTag the tag holding the address when {@code addressSource} is {@code TAG}
 * @param addressTagHostNames whether that tag may hold a host name, not only an IP address
 * @param port the default port
 * @param portTag the tag that overrides the port, or {@code null} for none
 * @param weight the default weight
 * @param weightTag the tag that overrides the weight, or {@code null} for none
 * @param deviceIndex the network interface at this device index holds the address, or {@code null}
 * @param interfaceDescription the network interface with this description holds the address, or
 *     {@code null}
 * @param secondaryIp 0 for the interface's primary private IPv4 address, or n for its n-th
 *     secondary one
 */
public record MemberMapping(
    AddressSource addressSource,
    String addressTag,
    boolean addressTagHostNames,
    int port,
    String portTag,
    int weight,
    String weightTag,
    Integer deviceIndex,
    String interfaceDescription,
    int secondaryIp) {

  /** Where a member's address comes from. */
  public enum AddressSource {
    /** The primary private IPv4 address. */
    PRIVATE_IP,
    /** The public IPv4 address. */
    PUBLIC_IP,
    /** The private DNS name (renderers then resolve it; prefer IPs). */
    PRIVATE_DNS,
    /** The primary IPv6 address. */
    IPV6,
    /** The value of a tag, see {@link Builder#addressTag(String)}. */
    TAG
  }

  /** The default tag for a per-instance port. */
  public static final String DEFAULT_PORT_TAG = "muster:port";

  /** The default tag for a per-instance weight. */
  public static final String DEFAULT_WEIGHT_TAG = "muster:weight";

  /** Checks every setting and names the bad one. */
  public MemberMapping {
    Objects.requireNonNull(addressSource, "addressSource");
    if (addressSource == AddressSource.TAG && (addressTag == null || addressTag.isEmpty())) {
      throw new IllegalArgumentException(
          "addressTag must be set when the address comes from " + "a tag");
    }
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException("port must be 1 to 65535: " + port);
    }
    if (weight < 0 || weight > Member.MAX_WEIGHT) {
      throw new IllegalArgumentException(
          "weight must be 0 to " + Member.MAX_WEIGHT + ": " + weight);
    }
    if (deviceIndex != null && (deviceIndex < 0 || deviceIndex > 31)) {
      throw new IllegalArgumentException(
          "networkInterface device index must be 0 to 31: " + deviceIndex);
    }
    if (deviceIndex != null && interfaceDescription != null) {
      throw new IllegalArgumentException(
          "choose the network interface by device index or by description, not both");
    }
    if (interfaceDescription != null && interfaceDescription.isEmpty()) {
      throw new IllegalArgumentException("networkInterfaceDescription must not be empty");
    }
    if (secondaryIp < 0 || secondaryIp > 49) {
      throw new IllegalArgumentException("secondaryPrivateIp must be 1 to 49: " + secondaryIp);
    }
    boolean onInterface = deviceIndex != null || interfaceDescription != null || secondaryIp > 0;
    if (onInterface
        && addressSource != AddressSource.PRIVATE_IP
        && addressSource != AddressSource.PUBLIC_IP
        && addressSource != AddressSource.IPV6) {
      throw new IllegalArgumentException(
          "a network interface has private and public IPv4 and IPv6 addresses, not "
              + addressSource);
    }
    if (secondaryIp > 0 && addressSource != AddressSource.PRIVATE_IP) {
      throw new IllegalArgumentException(
          "secondaryPrivateIp needs the address PRIVATE_IP, not " + addressSource);
    }
  }

  /** A builder; {@code port} has no default and must be set. */
  public static Builder newBuilder() {
    return new Builder();
  }

  /** Builds a {@link MemberMapping}. Not thread-safe. */
  public static final class Builder {
    private AddressSource addressSource = AddressSource.PRIVATE_IP;
    private String addressTag;
    private boolean addressTagHostNames;
    private int port;
    private String portTag = DEFAULT_PORT_TAG;
    private int weight = 100;
    private String weightTag = DEFAULT_WEIGHT_TAG;
    private Integer deviceIndex;
    private String interfaceDescription;
    private int secondaryIp;

    private Builder() {}

    /**
     * Takes the address (private or public IPv4, or IPv6) from the network interface attached at
     * {@code deviceIndex} (0 is the primary), wherever EC2 lists it. An instance without one is
     * skipped with a warning.
     */
    public Builder networkInterface(int deviceIndex) {
      this.deviceIndex = deviceIndex;
      return this;
    }

    /**
     * Takes the address from the network interface whose description is exactly {@code
     * description}. An instance without one is skipped with a warning.
     */
    public Builder networkInterfaceDescription(String description) {
      this.interfaceDescription = Objects.requireNonNull(description, "description");
      return this;
    }

    /**
     * Takes the {@code n}-th secondary private IPv4 address (1 is the first) of the chosen network
     * interface, or of the primary one. An instance without it is skipped with a warning.
     */
    public Builder secondaryPrivateIp(int n) {
      if (n < 1) {
        throw new IllegalArgumentException("secondaryPrivateIp must be 1 to 49: " + n);
      }
      this.secondaryIp = n;
      return this;
    }

    /** Where the address comes from; for {@link AddressSource#TAG} use {@link #addressTag}. */
    public Builder address(AddressSource source) {
      if (Objects.requireNonNull(source, "address") == AddressSource.TAG) {
        throw new IllegalArgumentException(
            "use addressTag(name) to take the address from " + "a tag");
      }
      this.addressSource = source;
      this.addressTag = null;
      return this;
    }

    /** Takes the address from the value of tag {@code key}. */
    public Builder addressTag(String key) {
      this.addressSource = AddressSource.TAG;
      this.addressTag = Objects.requireNonNull(key, "addressTag");
      return this;
    }

    /**
     * Lets the address tag hold a host name too; off unless set, so that a value such as {@code
     * abc} or {@code true} skips its instance instead of failing the proxy's check of the whole
     * file. Turn it on only for names that resolve where the proxy runs.
     */
    public Builder addressTagHostNames(boolean allowed) {
      this.addressTagHostNames = allowed;
      return this;
    }

    /** The default port, 1 to 65535. Required. */
    public Builder port(int port) {
      this.port = port;
      return this;
    }

    /** The tag that overrides the port, or {@code null} to ignore tags. */
    public Builder portTag(String key) {
      this.portTag = key;
      return this;
    }

    /** The default weight, 0 to {@value Member#MAX_WEIGHT}; 100 unless set. */
    public Builder weight(int weight) {
      this.weight = weight;
      return this;
    }

    /** The tag that overrides the weight, or {@code null} to ignore tags. */
    public Builder weightTag(String key) {
      this.weightTag = key;
      return this;
    }

    /**
     * Builds the mapping.
     *
     * @throws IllegalArgumentException naming the setting that is out of range or missing
     */
    public MemberMapping build() {
      return new MemberMapping(
          addressSource,
          addressTag,
          addressTagHostNames,
          port,
          portTag,
          weight,
          weightTag,
          deviceIndex,
          interfaceDescription,
          secondaryIp);
    }
  }
}
