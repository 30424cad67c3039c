package dev.muster.testkit;

import dev.muster.testkit.FakeInstance.State;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;

/**
 * A mutable set of EC2 instances that {@link FakeEc2} serves. Tests and the demo play autoscaling
 * with it: launch, terminate, change state, retag, one step at a time or several changes at once
 * with {@link #atomically(Consumer)}.
 *
 * <p>Thread-safe: every method locks the fleet, and the fake endpoint reads it under the same lock,
 * so a request never sees half of an {@code atomically} block. Ids, addresses and launch times are
 * generated deterministically from counters, so two runs of a test see the same fleet. Instances
 * are served in launch order, grouped by reservation.
 *
 * <p>Addresses are on loopback by default: private addresses in 127.0.0.0/8 (instance {@code n}
 * gets 127.0.x.y, its other interfaces and secondary addresses other 127.x.y.z), public addresses
 * in 127.250.0.0/16 and IPv6 addresses in the documentation prefix 2001:db8::/32, so a real proxy
 * or scraper pointed at a simulated fleet never sends a packet off the machine. {@link
 * #vpcAddresses()} asks for a realistic VPC layout (10.x private, 198.51.100.x-style public) for
 * render-only tests that show what a configuration looks like on AWS.
 *
 * <p>Why this size: one documented method per thing a test does to a fleet (launch, terminate, tag,
 * scale a group), all under one lock.
 */
public final class SimulatedFleet {

  /** The tag that EC2 Auto Scaling puts on the instances of a group. */
  public static final String AUTO_SCALING_GROUP_TAG = "aws:autoscaling:groupName";

  private static final Instant FIRST_LAUNCH = Instant.parse("2024-05-01T12:00:00Z");

  private final String region;
  private final List<String> zones;
  private final Map<String, FakeInstance> instances = new LinkedHashMap<>();
  private long launched;
  private long reservations;

  private final long idSpace;
  private boolean vpc;

  /** A fleet in {@code us-east-1}, spreading launches over zones a, b and c. */
  public SimulatedFleet() {
    this("us-east-1");
  }

  /** A fleet in {@code region}, spreading launches over its zones a, b and c. */
  public SimulatedFleet(String region) {
    this(region, 0);
  }

  /**
   * An empty fleet in {@code region} whose instance and reservation ids differ from those of any
   * fleet with another {@code idSpace}, as ids are unique across accounts and regions on AWS.
   */
  public SimulatedFleet(String region, long idSpace) {
    this.region = Objects.requireNonNull(region, "region");
    this.zones = List.of(region + "a", region + "b", region + "c");
    this.idSpace = idSpace << 40;
  }

  /**
   * Hands instances launched from now on a realistic VPC layout: private addresses in 10.0.0.0/8,
   * public ones in 198.51.0.0/16 and IPv6 in 2600:1f18::/32, as on AWS. Only for tests that render
   * and never connect: a proxy health-checking these addresses sends traffic to whatever answers on
   * the network it runs on.
   *
   * @return this fleet
   */
  public synchronized SimulatedFleet vpcAddresses() {
    vpc = true;
    return this;
  }

  /** The region this fleet pretends to be in. */
  public String region() {
    return region;
  }

  /**
   * Launches {@code count} running instances with these tags in one reservation.
   *
   * @return the new instances, in launch order
   */
  public List<FakeInstance> launch(int count, Map<String, String> tags) {
    return launch(count, spec -> spec.tags(tags));
  }

  /**
   * Launches {@code count} instances in one reservation, shaped by {@code spec}.
   *
   * @return the new instances, in launch order
   * @throws IllegalArgumentException if {@code count} is not positive, or the spec names a number
   *     of private addresses other than {@code count}
   */
  public synchronized List<FakeInstance> launch(int count, Consumer<LaunchSpec> spec) {
    if (count < 1) {
      throw new IllegalArgumentException("count must be positive: " + count);
    }
    LaunchSpec launch = new LaunchSpec();
    spec.accept(launch);
    if (!launch.privateIps.isEmpty() && launch.privateIps.size() != count) {
      throw new IllegalArgumentException(
          "privateIps names "
              + launch.privateIps.size()
              + " addresses for "
              + count
              + " instances");
    }
    launch.tags.forEach(SimulatedFleet::requireServable);
    String reservationId = String.format("r-%017x", mix(idSpace + ++reservations));
    List<FakeInstance> result = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      long n = ++launched;
      String zone = launch.zone != null ? launch.zone : zones.get((int) ((n - 1) % zones.size()));
      String privateIp =
          launch.privateIps.isEmpty() ? address(net(0), n, 4) : launch.privateIps.get(i);
      String publicIp = launch.publicIp ? address(vpc ? "198.51" : "127.250", n, 1) : null;
      String ipv6 = launch.ipv6 ? (vpc ? v6vpc(0, n) : v6(0, n)) : null;
      FakeInstance instance =
          new FakeInstance(
              String.format("i-%017x", mix(idSpace + n)),
              reservationId,
              "ami-0abcdef1234567890",
              launch.instanceType,
              launch.state,
              privateIp,
              publicIp,
              FakeInstance.privateDnsNameFor(privateIp),
              publicIp == null ? null : FakeInstance.publicDnsNameFor(publicIp),
              ipv6,
              zone,
              "subnet-" + String.format("%017x", zone.hashCode() & 0xffffffffL),
              launch.vpcId,
              FIRST_LAUNCH.plus(Duration.ofSeconds(n)),
              launch.tags,
              interfaces(launch, n, privateIp, publicIp, ipv6, vpc));
      instances.put(instance.instanceId(), instance);
      result.add(instance);
    }
    return Collections.unmodifiableList(result);
  }

  /** Adds {@code instance} as it is, or replaces the instance with the same id. */
  public synchronized void put(FakeInstance instance) {
    instance.tags().forEach(SimulatedFleet::requireServable);
    instances.put(instance.instanceId(), instance);
  }

  /**
   * Puts the instance in the {@code terminated} state. Like EC2, it stays visible to {@code
   * DescribeInstances} (without a state filter) until {@link #remove(String)}.
   */
  public FakeInstance terminate(String instanceId) {
    return setState(instanceId, State.TERMINATED);
  }

  /** Removes the instance entirely, as EC2 does some time after termination. */
  public synchronized void remove(String instanceId) {
    if (instances.remove(instanceId) == null) {
      throw unknown(instanceId);
    }
  }

  /** Moves the instance to {@code state}. */
  public FakeInstance setState(String instanceId, State state) {
    return update(instanceId, instance -> instance.withState(state));
  }

  /** Sets one tag on the instance (added or replaced). */
  public FakeInstance tag(String instanceId, String key, String value) {
    requireServable(key, value);
    return update(instanceId, instance -> instance.withTag(key, value));
  }

  /** Removes one tag from the instance. */
  public FakeInstance untag(String instanceId, String key) {
    return update(instanceId, instance -> instance.withoutTag(key));
  }

  /**
   * Replaces the instance by {@code change.apply(current)}; the id must stay the same.
   *
   * @throws IllegalArgumentException if there is no such instance or the id changed
   */
  public synchronized FakeInstance update(String instanceId, UnaryOperator<FakeInstance> change) {
    FakeInstance current = instances.get(instanceId);
    if (current == null) {
      throw unknown(instanceId);
    }
    FakeInstance next = change.apply(current);
    if (!next.instanceId().equals(instanceId)) {
      throw new IllegalArgumentException(
          "update changed the instance id " + instanceId + " to " + next.instanceId());
    }
    next.tags().forEach(SimulatedFleet::requireServable);
    instances.put(instanceId, next);
    return next;
  }

  /** Runs {@code changes} while holding the fleet, so no request sees a part of them. */
  public synchronized void atomically(Consumer<SimulatedFleet> changes) {
    changes.accept(this);
  }

  /**
   * Plays an Auto Scaling group: launches running instances tagged {@value
   * #AUTO_SCALING_GROUP_TAG}={@code group} (plus {@code tags}) or terminates the most recently
   * launched ones until {@code desired} are running.
   *
   * @return the instances launched or terminated, empty if the group was already at size
   */
  public synchronized List<FakeInstance> scaleGroup(
      String group, int desired, Map<String, String> tags) {
    if (desired < 0) {
      throw new IllegalArgumentException("desired must not be negative: " + desired);
    }
    List<FakeInstance> running = new ArrayList<>();
    for (FakeInstance instance : instances.values()) {
      if (instance.state() == State.RUNNING
          && group.equals(instance.tags().get(AUTO_SCALING_GROUP_TAG))) {
        running.add(instance);
      }
    }
    if (running.size() < desired) {
      Map<String, String> groupTags = new TreeMap<>(tags);
      groupTags.put(AUTO_SCALING_GROUP_TAG, group);
      return launch(desired - running.size(), groupTags);
    }
    List<FakeInstance> terminated = new ArrayList<>();
    for (int i = running.size() - 1; i >= desired; i--) {
      terminated.add(terminate(running.get(i).instanceId()));
    }
    return Collections.unmodifiableList(terminated);
  }

  /** Every instance, in launch order. */
  public synchronized List<FakeInstance> instances() {
    return List.copyOf(instances.values());
  }

  /** The running instances, in launch order. */
  public synchronized List<FakeInstance> running() {
    return instances.values().stream().filter(i -> i.state() == State.RUNNING).toList();
  }

  /** The instance with this id, if the fleet has it. */
  public synchronized Optional<FakeInstance> get(String instanceId) {
    return Optional.ofNullable(instances.get(instanceId));
  }

  /** How many instances the fleet holds, in any state. */
  public synchronized int size() {
    return instances.size();
  }

  /**
   * The network interfaces of instance number {@code n}: none (the usual single primary) unless the
   * spec asks for several interfaces or secondary addresses. Device {@code d} >= 1 gets 127.d.x.y
   * (10.d.x.y in the VPC layout) and an IPv6 address; secondary address {@code k} of device {@code
   * d} is 127.(100+10d+k).x.y. They are listed in an order shuffled per instance, as EC2 does not
   * sort them.
   */
  private static List<FakeInterface> interfaces(
      LaunchSpec launch, long n, String privateIp, String publicIp, String ipv6, boolean vpc) {
    if (launch.interfaces <= 1 && launch.secondaryIps == 0) {
      return List.of();
    }
    String first = vpc ? "10." : "127.";
    List<FakeInterface> out = new ArrayList<>();
    for (int d = 0; d < Math.max(1, launch.interfaces); d++) {
      List<String> secondary = new ArrayList<>();
      for (int k = 1; k <= launch.secondaryIps; k++) {
        secondary.add(address(first + (100 + 10 * d + k), n, 4));
      }
      out.add(
          d == 0
              ? new FakeInterface(
                  String.format("eni-%017x", mix(n * 16)),
                  0,
                  "Primary network interface",
                  privateIp,
                  secondary,
                  publicIp,
                  ipv6 == null ? List.of() : List.of(ipv6))
              : new FakeInterface(
                  String.format("eni-%017x", mix(n * 16 + d)),
                  d,
                  "device " + d,
                  address(first + d, n, 4),
                  secondary,
                  null,
                  List.of(vpc ? v6vpc(d, n) : v6(d, n))));
    }
    Collections.shuffle(out, new java.util.Random(n));
    return out;
  }

  private String net(int device) {
    return (vpc ? "10." : "127.") + device;
  }

  /** {@code prefix.x.y} for instance {@code n}: 250 hosts a /24, from {@code first} up. */
  private static String address(String prefix, long n, int first) {
    return String.format("%s.%d.%d", prefix, (n / 250) % 256, n % 250 + first);
  }

  private static String v6(int device, long n) {
    return String.format("2001:db8:4a3:6c%02x::%x", device, n);
  }

  private static String v6vpc(int device, long n) {
    return String.format("2600:1f18:4a3:6c%02x::%x", device, n);
  }

  /** Spreads counter values over the id space so ids do not sort in launch order. */
  private static long mix(long n) {
    long z = n * 0x9E3779B97F4A7C15L;
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    return (z ^ (z >>> 27)) & 0x0FFFFFFFFFFFFFFFL;
  }

  private static IllegalArgumentException unknown(String instanceId) {
    return new IllegalArgumentException("no instance " + instanceId + " in the fleet");
  }

  /** XML 1.0, and so the EC2 Query API, cannot carry most C0 control characters at all. */
  private static void requireServable(String key, String value) {
    for (String s : new String[] {key, value}) {
      for (int i = 0; i < s.length(); i++) {
        char c = s.charAt(i);
        if (c < 0x20 && c != '\t' && c != '\n' && c != '\r' || c == 0xFFFE || c == 0xFFFF) {
          throw new IllegalArgumentException(
              String.format(
                  "tag %s cannot be served: U+%04X is not allowed in XML 1.0", key, (int) c));
        }
      }
    }
  }

  /** How {@link #launch(int, Consumer)} shapes new instances. Defaults: running, t3.micro. */
  public static final class LaunchSpec {
    private final Map<String, String> tags = new TreeMap<>();
    private final List<String> privateIps = new ArrayList<>();
    private String zone;
    private State state = State.RUNNING;
    private String instanceType = "t3.micro";
    private String vpcId = "vpc-0a1b2c3d4e5f60718";
    private boolean publicIp;
    private boolean ipv6;
    private int interfaces = 1;
    private int secondaryIps;

    LaunchSpec() {}

    /**
     * Gives each instance {@code count} network interfaces at device indexes 0 to count - 1, listed
     * in a shuffled order: device {@code d} >= 1 has the description {@code "device d"}, a private
     * address 10.d.x.y and an IPv6 address; device 0 is described {@code "Primary network
     * interface"} and holds the instance's own addresses.
     */
    public LaunchSpec interfaces(int count) {
      if (count < 1 || count > 15) {
        throw new IllegalArgumentException("interfaces must be 1 to 15: " + count);
      }
      this.interfaces = count;
      return this;
    }

    /** Gives each interface {@code count} secondary private IPv4 addresses (10.(100+10d+k).x.y). */
    public LaunchSpec secondaryIps(int count) {
      if (count < 0 || count > 9) {
        throw new IllegalArgumentException("secondaryIps must be 0 to 9: " + count);
      }
      this.secondaryIps = count;
      return this;
    }

    /** Adds these tags. */
    public LaunchSpec tags(Map<String, String> more) {
      tags.putAll(more);
      return this;
    }

    /** Adds one tag. */
    public LaunchSpec tag(String key, String value) {
      tags.put(Objects.requireNonNull(key, "key"), Objects.requireNonNull(value, "value"));
      return this;
    }

    /** Puts every instance of this launch in {@code zone} instead of spreading them. */
    public LaunchSpec zone(String zone) {
      this.zone = Objects.requireNonNull(zone, "zone");
      return this;
    }

    /** The state the instances start in. */
    public LaunchSpec state(State state) {
      this.state = Objects.requireNonNull(state, "state");
      return this;
    }

    /** The instance type. */
    public LaunchSpec instanceType(String instanceType) {
      this.instanceType = Objects.requireNonNull(instanceType, "instanceType");
      return this;
    }

    /** The VPC id. */
    public LaunchSpec vpcId(String vpcId) {
      this.vpcId = Objects.requireNonNull(vpcId, "vpcId");
      return this;
    }

    /** Gives each instance a public IPv4 address and DNS name. */
    public LaunchSpec publicIp(boolean publicIp) {
      this.publicIp = publicIp;
      return this;
    }

    /** Gives each instance an IPv6 address. */
    public LaunchSpec ipv6(boolean ipv6) {
      this.ipv6 = ipv6;
      return this;
    }

    /**
     * Uses these private addresses, one per instance, instead of allocated ones; for example
     * loopback addresses of backends that a test really runs.
     */
    public LaunchSpec privateIps(String... addresses) {
      privateIps.clear();
      privateIps.addAll(List.of(addresses));
      return this;
    }
  }
}
