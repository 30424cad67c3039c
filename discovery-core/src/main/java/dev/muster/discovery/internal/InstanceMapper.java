package dev.muster.discovery.internal;

import dev.muster.discovery.Member;
import dev.muster.discovery.MemberMapping;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.services.ec2.model.Instance;
import software.amazon.awssdk.services.ec2.model.InstanceIpv6Address;
import software.amazon.awssdk.services.ec2.model.InstanceNetworkInterface;
import software.amazon.awssdk.services.ec2.model.InstancePrivateIpAddress;
import software.amazon.awssdk.services.ec2.model.Tag;

/**
 * Turns an SDK {@link Instance} into a {@link Member} according to a {@link MemberMapping}. Tag
 * values are untrusted: a tag that breaks {@link Validation}'s rules is dropped, a bad weight falls
 * back to the default, and a bad port or a missing or malformed address skips the instance. Each
 * problem is logged once per instance, tag and value, not on every fetch.
 *
 * <p>Not thread-safe: one mapper per source, used from the fetching thread.
 */
public final class InstanceMapper {
  private static final Logger log = LoggerFactory.getLogger("dev.muster.discovery");

  private final MemberMapping mapping;

  /** Warnings already logged, per instance id; pruned to the instances of the last fetch. */
  private Map<String, Set<String>> warned = new HashMap<>();

  private Map<String, Set<String>> warnedThisFetch = new HashMap<>();

  public InstanceMapper(MemberMapping mapping) {
    this.mapping = mapping;
  }

  /** Marks the start of a fetch. */
  public void beginFetch() {
    warnedThisFetch = new HashMap<>();
  }

  /** Marks the end of a complete fetch: forgets warnings about instances no longer seen. */
  public void endFetch() {
    warned = warnedThisFetch;
  }

  /** The member for {@code instance}, or {@code null} if it must be skipped (warned). */
  public Member toMember(Instance instance) {
    String id = instance.instanceId();
    if (id == null || Validation.characterProblem(id) != null || id.isEmpty()) {
      warn(String.valueOf(id), "instance-id", "instance without a usable id skipped");
      return null;
    }
    touch(id);
    // Port, weight and address tags are judged on their raw values, so that a malformed one
    // (say with a newline) skips or defaults exactly like any other bad value.
    Map<String, String> raw = new HashMap<>();
    SortedMap<String, String> tags = new TreeMap<>();
    for (Tag tag : instance.tags()) {
      String key = tag.key() == null ? "" : tag.key();
      String value = tag.value() == null ? "" : tag.value();
      raw.put(key, value);
      String problem = Validation.tagProblem(key, value);
      if (problem != null) {
        warn(
            id,
            key + "=" + value.hashCode(),
            "tag " + Validation.printable(key) + " ignored: " + problem);
      } else {
        tags.put(key, value);
      }
    }

    String address = address(instance, raw);
    if (address == null) {
      return null;
    }
    int port = mapping.port();
    if (mapping.portTag() != null && raw.containsKey(mapping.portTag())) {
      String text = raw.get(mapping.portTag());
      Integer parsed = Validation.parseBounded(text, 1, 65535);
      if (parsed == null) {
        warn(
            id,
            "port=" + text.hashCode(),
            "skipped: tag "
                + mapping.portTag()
                + "='"
                + Validation.printable(text)
                + "' is not a port (1 to 65535)");
        return null;
      }
      port = parsed;
    }
    int weight = mapping.weight();
    if (mapping.weightTag() != null && raw.containsKey(mapping.weightTag())) {
      String text = raw.get(mapping.weightTag());
      Integer parsed = Validation.parseBounded(text, 0, Member.MAX_WEIGHT);
      if (parsed == null) {
        warn(
            id,
            "weight=" + text.hashCode(),
            "tag "
                + mapping.weightTag()
                + "='"
                + Validation.printable(text)
                + "' is not a weight (0 to "
                + Member.MAX_WEIGHT
                + "); using "
                + weight);
      } else {
        weight = parsed;
      }
    }
    try {
      return new Member(
          id,
          address,
          port,
          weight,
          blankToNull(instance.privateIpAddress()),
          blankToNull(instance.publicIpAddress()),
          blankToNull(instance.privateDnsName()),
          ipv6(instance),
          instance.placement() == null
              ? null
              : blankToNull(instance.placement().availabilityZone()),
          blankToNull(instance.subnetId()),
          blankToNull(instance.vpcId()),
          instance.state() == null ? "unknown" : instance.state().nameAsString(),
          instance.launchTime(),
          tags);
    } catch (IllegalArgumentException e) {
      warn(id, "member", "skipped: " + e.getMessage());
      return null;
    }
  }

  private String address(Instance instance, Map<String, String> tags) {
    String id = instance.instanceId();
    String address;
    String what;
    if (mapping.deviceIndex() != null
        || mapping.interfaceDescription() != null
        || mapping.secondaryIp() > 0) {
      return checked(id, interfaceAddress(instance), null);
    }
    switch (mapping.addressSource()) {
      case PRIVATE_IP -> {
        address = blankToNull(instance.privateIpAddress());
        what = "private IPv4 address";
      }
      case PUBLIC_IP -> {
        address = blankToNull(instance.publicIpAddress());
        what = "public IPv4 address";
      }
      case PRIVATE_DNS -> {
        address = blankToNull(instance.privateDnsName());
        what = "private DNS name";
      }
      case IPV6 -> {
        address = ipv6(instance);
        what = "IPv6 address";
      }
      case TAG -> {
        address = blankToNull(tags.get(mapping.addressTag()));
        what = "tag " + mapping.addressTag();
      }
      default ->
          throw new IllegalStateException("unknown address source " + mapping.addressSource());
    }
    return checked(id, address == null ? null : new Found(address, what), "no " + what);
  }

  /** An address and what it is, for the warnings. */
  private record Found(String address, String what) {}

  /** {@code found} if it is a valid address, else null after a warning. */
  private String checked(String id, Found found, String missing) {
    if (found == null || found.address() == null) {
      warn(id, "address", "skipped: " + (found == null ? missing : found.what()));
      return null;
    }
    String address = found.address();
    String what = found.what();
    String problem = Validation.addressProblem(address);
    if (problem == null
        && mapping.addressSource() == MemberMapping.AddressSource.TAG
        && !mapping.addressTagHostNames()
        && !Validation.isIpv4(address)
        && !Validation.isIpv6(address)) {
      problem =
          "'"
              + Validation.printable(address)
              + "' is not an IP address (a host name "
              + "from a tag needs addressTagHostNames)";
    }
    if (problem != null) {
      warn(id, "address=" + address.hashCode(), "skipped: " + what + " " + problem);
      return null;
    }
    return address;
  }

  /**
   * The top-level IPv6 address, or else the first IPv6 address of the primary interface, or else
   * that of the interface with the lowest device index that has one.
   */
  private static String ipv6(Instance instance) {
    String top = blankToNull(instance.ipv6Address());
    if (top != null) {
      return top;
    }
    String found = null;
    int foundIndex = Integer.MAX_VALUE;
    for (InstanceNetworkInterface eni : instance.networkInterfaces()) {
      int index = deviceIndex(eni);
      String v6 = firstIpv6(eni);
      if (v6 != null && index < foundIndex) {
        found = v6;
        foundIndex = index;
      }
    }
    return found;
  }

  private static int deviceIndex(InstanceNetworkInterface eni) {
    return eni.attachment() == null || eni.attachment().deviceIndex() == null
        ? Integer.MAX_VALUE
        : eni.attachment().deviceIndex();
  }

  private static String firstIpv6(InstanceNetworkInterface eni) {
    for (InstanceIpv6Address v6 : eni.ipv6Addresses()) {
      if (blankToNull(v6.ipv6Address()) != null) {
        return v6.ipv6Address();
      }
    }
    return null;
  }

  /**
   * The address from the chosen network interface: by device index, by description, or the primary
   * one when only a secondary address is asked for. Null address (with what is missing) if it has
   * none.
   */
  private Found interfaceAddress(Instance instance) {
    InstanceNetworkInterface chosen = null;
    String which;
    if (mapping.interfaceDescription() != null) {
      which = "network interface described '" + mapping.interfaceDescription() + "'";
      for (InstanceNetworkInterface eni : instance.networkInterfaces()) {
        if (mapping.interfaceDescription().equals(eni.description())) {
          chosen = eni;
          break;
        }
      }
    } else {
      int index = mapping.deviceIndex() != null ? mapping.deviceIndex() : 0;
      which = "network interface at device index " + index;
      for (InstanceNetworkInterface eni : instance.networkInterfaces()) {
        if (deviceIndex(eni) == index) {
          chosen = eni;
          break;
        }
      }
    }
    if (chosen == null) {
      return new Found(null, "no " + which);
    }
    switch (mapping.addressSource()) {
      case PUBLIC_IP -> {
        String ip =
            chosen.association() == null ? null : blankToNull(chosen.association().publicIp());
        return new Found(
            ip,
            ip == null
                ? "no public IPv4 address on the " + which
                : "public IPv4 address of the " + which);
      }
      case IPV6 -> {
        String ip = firstIpv6(chosen);
        return new Found(
            ip, ip == null ? "no IPv6 address on the " + which : "IPv6 address of the " + which);
      }
      default -> {
        if (mapping.secondaryIp() == 0) {
          String ip = blankToNull(chosen.privateIpAddress());
          return new Found(
              ip,
              ip == null
                  ? "no private IPv4 address on the " + which
                  : "private IPv4 address of the " + which);
        }
        int n = 0;
        for (InstancePrivateIpAddress a : chosen.privateIpAddresses()) {
          if (!Boolean.TRUE.equals(a.primary()) && ++n == mapping.secondaryIp()) {
            String ip = blankToNull(a.privateIpAddress());
            return new Found(ip, "secondary private IPv4 address " + n + " of the " + which);
          }
        }
        return new Found(
            null,
            "no secondary private IPv4 address " + mapping.secondaryIp() + " on the " + which);
      }
    }
  }

  private void touch(String id) {
    warnedThisFetch.computeIfAbsent(
        id,
        k -> {
          Set<String> earlier = warned.get(k);
          return earlier == null ? new HashSet<>() : earlier;
        });
  }

  private void warn(String id, String key, String message) {
    Set<String> seen = warnedThisFetch.computeIfAbsent(id, k -> new HashSet<>());
    if (seen.add(key)) {
      log.warn("{}: {}", Validation.printable(id), message);
    }
  }

  private static String blankToNull(String s) {
    return s == null || s.isEmpty() ? null : s;
  }
}
