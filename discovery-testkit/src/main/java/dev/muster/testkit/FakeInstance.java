package dev.muster.testkit;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * One EC2 instance as the fake endpoint serves it. Immutable; a {@link SimulatedFleet} replaces the
 * whole value when something changes.
 *
 * <p>Optional attributes ({@code publicIp}, {@code publicDnsName}, {@code ipv6}) are {@code null}
 * when absent, and are then left out of the XML exactly as EC2 leaves them out. Tag values are
 * served as given, hostile ones included: that is what the test kit is for.
 *
 * @param instanceId the id, {@code i-} followed by 17 hex digits
 * @param reservationId the reservation this instance was launched in; instances launched together
 *     share it and are served in one {@code reservationSet} item
 * @param imageId the AMI id
 * @param instanceType the instance type, for example {@code t3.micro}
 * @param state the lifecycle state
 * @param privateIp private IPv4 address
 * @param publicIp public IPv4 address, or {@code null}
 * @param privateDnsName private DNS name
 * @param publicDnsName public DNS name, or {@code null}
 * @param ipv6 primary IPv6 address, or {@code null}
 * @param availabilityZone the zone, for example {@code us-east-1a}
 * @param subnetId the subnet id
 * @param vpcId the VPC id
 * @param launchTime launch time, served with millisecond precision
 * @param tags the tags, kept sorted by key
 * @param interfaces every network interface in the order EC2 lists them (not necessarily by device
 *     index), the one at device index 0 holding {@code privateIp}; empty for the usual single
 *     primary interface made of {@code privateIp}, {@code publicIp} and {@code ipv6}
 */
public record FakeInstance(
    String instanceId,
    String reservationId,
    String imageId,
    String instanceType,
    State state,
    String privateIp,
    String publicIp,
    String privateDnsName,
    String publicDnsName,
    String ipv6,
    String availabilityZone,
    String subnetId,
    String vpcId,
    Instant launchTime,
    Map<String, String> tags,
    List<FakeInterface> interfaces) {

  /** EC2 instance states with the codes EC2 puts on the wire. */
  public enum State {
    PENDING(0, "pending"),
    RUNNING(16, "running"),
    SHUTTING_DOWN(32, "shutting-down"),
    TERMINATED(48, "terminated"),
    STOPPING(64, "stopping"),
    STOPPED(80, "stopped");

    private final int code;
    private final String wireName;

    State(int code, String wireName) {
      this.code = code;
      this.wireName = wireName;
    }

    /** The numeric state code, for example 16 for running. */
    public int code() {
      return code;
    }

    /** The name as EC2 writes it, for example {@code shutting-down}. */
    public String wireName() {
      return wireName;
    }
  }

  /** Validates required fields and copies the tags into a sorted, immutable map. */
  public FakeInstance {
    Objects.requireNonNull(instanceId, "instanceId");
    Objects.requireNonNull(reservationId, "reservationId");
    Objects.requireNonNull(imageId, "imageId");
    Objects.requireNonNull(instanceType, "instanceType");
    Objects.requireNonNull(state, "state");
    Objects.requireNonNull(privateIp, "privateIp");
    Objects.requireNonNull(privateDnsName, "privateDnsName");
    Objects.requireNonNull(availabilityZone, "availabilityZone");
    Objects.requireNonNull(subnetId, "subnetId");
    Objects.requireNonNull(vpcId, "vpcId");
    Objects.requireNonNull(launchTime, "launchTime");
    tags = java.util.Collections.unmodifiableMap(new TreeMap<>(tags));
    interfaces = List.copyOf(interfaces);
  }

  /** An instance with the usual single primary network interface. */
  public FakeInstance(
      String instanceId,
      String reservationId,
      String imageId,
      String instanceType,
      State state,
      String privateIp,
      String publicIp,
      String privateDnsName,
      String publicDnsName,
      String ipv6,
      String availabilityZone,
      String subnetId,
      String vpcId,
      Instant launchTime,
      Map<String, String> tags) {
    this(
        instanceId,
        reservationId,
        imageId,
        instanceType,
        state,
        privateIp,
        publicIp,
        privateDnsName,
        publicDnsName,
        ipv6,
        availabilityZone,
        subnetId,
        vpcId,
        launchTime,
        tags,
        List.of());
  }

  /** A copy with these network interfaces (see {@link #interfaces}). */
  public FakeInstance withInterfaces(List<FakeInterface> newInterfaces) {
    return new FakeInstance(
        instanceId,
        reservationId,
        imageId,
        instanceType,
        state,
        privateIp,
        publicIp,
        privateDnsName,
        publicDnsName,
        ipv6,
        availabilityZone,
        subnetId,
        vpcId,
        launchTime,
        tags,
        newInterfaces);
  }

  /** A copy in another state. */
  public FakeInstance withState(State newState) {
    return new FakeInstance(
        instanceId,
        reservationId,
        imageId,
        instanceType,
        newState,
        privateIp,
        publicIp,
        privateDnsName,
        publicDnsName,
        ipv6,
        availabilityZone,
        subnetId,
        vpcId,
        launchTime,
        tags,
        interfaces);
  }

  /** A copy with these tags instead of the current ones. */
  public FakeInstance withTags(Map<String, String> newTags) {
    return new FakeInstance(
        instanceId,
        reservationId,
        imageId,
        instanceType,
        state,
        privateIp,
        publicIp,
        privateDnsName,
        publicDnsName,
        ipv6,
        availabilityZone,
        subnetId,
        vpcId,
        launchTime,
        newTags,
        interfaces);
  }

  /** A copy with one tag set (added or replaced). */
  public FakeInstance withTag(String key, String value) {
    Map<String, String> copy = new TreeMap<>(tags);
    copy.put(Objects.requireNonNull(key, "key"), Objects.requireNonNull(value, "value"));
    return withTags(copy);
  }

  /** A copy without the tag {@code key} (unchanged if it was not there). */
  public FakeInstance withoutTag(String key) {
    Map<String, String> copy = new TreeMap<>(tags);
    copy.remove(key);
    return withTags(copy);
  }

  /**
   * A copy with other addresses; {@code publicIp} and {@code ipv6} may be {@code null}. Extra
   * network interfaces are dropped: the copy has the usual single primary interface.
   */
  public FakeInstance withAddresses(String newPrivateIp, String newPublicIp, String newIpv6) {
    return new FakeInstance(
        instanceId,
        reservationId,
        imageId,
        instanceType,
        state,
        newPrivateIp,
        newPublicIp,
        privateDnsNameFor(newPrivateIp),
        newPublicIp == null ? null : publicDnsNameFor(newPublicIp),
        newIpv6,
        availabilityZone,
        subnetId,
        vpcId,
        launchTime,
        tags);
  }

  static String privateDnsNameFor(String privateIp) {
    return "ip-" + privateIp.replace('.', '-') + ".ec2.internal";
  }

  static String publicDnsNameFor(String publicIp) {
    return "ec2-" + publicIp.replace('.', '-') + ".compute-1.amazonaws.com";
  }
}
