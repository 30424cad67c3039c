package dev.muster.testkit;

import java.util.List;
import java.util.Objects;

/**
 * One network interface (ENI) of a {@link FakeInstance}, as {@code DescribeInstances} lists it in
 * the instance's {@code networkInterfaceSet}.
 *
 * @param networkInterfaceId the ENI id, for example {@code eni-0a1b2c3d4e5f60718}
 * @param deviceIndex where it is attached: 0 for the primary interface
 * @param description its description, possibly empty
 * @param privateIp its primary private IPv4 address
 * @param secondaryPrivateIps its secondary private IPv4 addresses, in order
 * @param publicIp the public IPv4 address associated with it, or {@code null}
 * @param ipv6 its IPv6 addresses, in order
 */
public record FakeInterface(
    String networkInterfaceId,
    int deviceIndex,
    String description,
    String privateIp,
    List<String> secondaryPrivateIps,
    String publicIp,
    List<String> ipv6) {

  /** Validates required fields and copies the lists. */
  public FakeInterface {
    Objects.requireNonNull(networkInterfaceId, "networkInterfaceId");
    Objects.requireNonNull(description, "description");
    Objects.requireNonNull(privateIp, "privateIp");
    if (deviceIndex < 0) {
      throw new IllegalArgumentException("deviceIndex must not be negative: " + deviceIndex);
    }
    secondaryPrivateIps = List.copyOf(secondaryPrivateIps);
    ipv6 = List.copyOf(ipv6);
  }
}
