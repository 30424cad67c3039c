package dev.muster.discovery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.muster.testkit.FakeEc2;
import dev.muster.testkit.FakeInstance;
import dev.muster.testkit.FakeInterface;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The address from one of several network interfaces, listed by the test kit's EC2 in a shuffled
 * order, through the real SDK and Muster's streaming path: chosen by device index or description,
 * never by place in the list; secondary addresses; IPv6 from any interface; an instance without the
 * chosen address skipped.
 */
class NetworkInterfaceAddressTest {
  private static final Query WEB = Query.newBuilder().tag("role", "web").build();
  private FakeEc2 ec2;
  private List<FakeInstance> fleet;

  @BeforeEach
  void start() {
    ec2 = FakeEc2.start();
    fleet = ec2.fleet().launch(30, s -> s.tag("role", "web").interfaces(3).secondaryIps(2));
  }

  @AfterEach
  void stop() {
    ec2.close();
  }

  private Map<String, String> addresses(MemberMapping mapping) {
    try (Ec2MembershipSource source =
        Ec2MembershipSource.newBuilder()
            .region(FakeEc2.REGION.id())
            .endpoint(ec2.endpoint())
            .credentials(
                software.amazon.awssdk.auth.credentials.StaticCredentialsProvider.create(
                    software.amazon.awssdk.auth.credentials.AwsBasicCredentials.create(
                        "AKIDTEST", "secret")))
            .query(WEB)
            .mapping(mapping)
            .build()) {
      return source.fetch().members().stream()
          .collect(Collectors.toMap(Member::instanceId, Member::address));
    }
  }

  private static FakeInterface device(FakeInstance i, int index) {
    return i.interfaces().stream().filter(e -> e.deviceIndex() == index).findFirst().orElseThrow();
  }

  @Test
  void theTestKitListsInterfacesInAShuffledOrder() {
    assertTrue(
        fleet.stream().anyMatch(i -> i.interfaces().get(0).deviceIndex() != 0),
        "some instance lists another interface first, as EC2 may");
  }

  @Test
  void aDeviceIndexPicksThatInterfaceWhereverItIsListed() {
    Map<String, String> got =
        addresses(MemberMapping.newBuilder().port(80).networkInterface(2).build());

    assertEquals(30, got.size());
    for (FakeInstance i : fleet) {
      assertEquals(device(i, 2).privateIp(), got.get(i.instanceId()));
    }
  }

  @Test
  void aDescriptionPicksThatInterface() {
    Map<String, String> got =
        addresses(
            MemberMapping.newBuilder().port(80).networkInterfaceDescription("device 1").build());

    for (FakeInstance i : fleet) {
      assertEquals(device(i, 1).privateIp(), got.get(i.instanceId()));
    }
  }

  @Test
  void aSecondaryAddressOfThePrimaryOrAChosenInterface() {
    Map<String, String> primary =
        addresses(MemberMapping.newBuilder().port(80).secondaryPrivateIp(2).build());
    Map<String, String> onOne =
        addresses(
            MemberMapping.newBuilder().port(80).networkInterface(1).secondaryPrivateIp(1).build());

    for (FakeInstance i : fleet) {
      assertEquals(device(i, 0).secondaryPrivateIps().get(1), primary.get(i.instanceId()));
      assertEquals(device(i, 1).secondaryPrivateIps().get(0), onOne.get(i.instanceId()));
    }
  }

  @Test
  void ipv6ComesFromTheLowestDeviceThatHasOne() {
    Map<String, String> got =
        addresses(
            MemberMapping.newBuilder().port(80).address(MemberMapping.AddressSource.IPV6).build());

    for (FakeInstance i : fleet) {
      assertEquals(device(i, 1).ipv6().get(0), got.get(i.instanceId()), "device 0 has none");
    }
  }

  @Test
  void anInstanceWithoutTheChosenAddressIsSkippedNotTheFleet() {
    ec2.fleet().launch(2, s -> s.tag("role", "web")); // one interface, no secondary addresses

    assertEquals(
        30, addresses(MemberMapping.newBuilder().port(80).networkInterface(2).build()).size());
    assertEquals(
        30, addresses(MemberMapping.newBuilder().port(80).secondaryPrivateIp(1).build()).size());
    assertEquals(
        0,
        addresses(
                MemberMapping.newBuilder()
                    .port(80)
                    .address(MemberMapping.AddressSource.PUBLIC_IP)
                    .networkInterface(1)
                    .build())
            .size(),
        "no interface but the primary has a public address here");
  }

  @Test
  void settingsThatCannotGoTogetherFailAtBuildTime() {
    assertThrows(
        IllegalArgumentException.class,
        () ->
            MemberMapping.newBuilder()
                .port(80)
                .networkInterface(1)
                .networkInterfaceDescription("x")
                .build());
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                MemberMapping.newBuilder()
                    .port(80)
                    .address(MemberMapping.AddressSource.PUBLIC_IP)
                    .secondaryPrivateIp(1)
                    .build());
    assertTrue(e.getMessage().contains("secondaryPrivateIp"), e.getMessage());
    assertThrows(
        IllegalArgumentException.class,
        () ->
            MemberMapping.newBuilder()
                .port(80)
                .address(MemberMapping.AddressSource.PRIVATE_DNS)
                .networkInterface(1)
                .build());
  }
}
