package dev.muster.discovery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.muster.testkit.FakeEc2;
import dev.muster.testkit.FakeImds;
import dev.muster.testkit.FakeInstance;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Identity from the fake IMDSv2 through the SDK's metadata client. */
class InstanceIdentityTest {
  private FakeEc2 ec2;
  private FakeInstance proxy;
  private FakeImds imds;

  @BeforeEach
  void start() {
    ec2 = FakeEc2.start();
    proxy = ec2.fleet().launch(1, Map.of("layer", "edge", "muster:upstream", "app")).get(0);
    imds = FakeImds.start(ec2.fleet(), proxy.instanceId());
  }

  @AfterEach
  void stop() {
    imds.close();
    ec2.close();
  }

  @Test
  void readsRegionInstanceZoneAndTags() {
    InstanceIdentity me = InstanceIdentity.fetch(imds.endpoint());

    assertEquals("us-east-1", me.region());
    assertEquals(proxy.instanceId(), me.instanceId());
    assertEquals(proxy.availabilityZone(), me.availabilityZone());
    assertTrue(me.tagsAvailable());
    assertEquals("app", me.requireTag("muster:upstream"));
  }

  @Test
  void tagsDisabledAreReportedWithHowToEnableThem() {
    imds.tagsEnabled(false);

    InstanceIdentity me = InstanceIdentity.fetch(imds.endpoint());

    assertFalse(me.tagsAvailable());
    assertTrue(me.tag("layer").isEmpty());
    InstanceMetadataException e =
        assertThrows(InstanceMetadataException.class, () -> me.requireTag("layer"));
    assertTrue(e.getMessage().contains("--instance-metadata-tags enabled"), e.getMessage());
  }

  @Test
  void refusedTokenFailsWithAMessageThatSaysHowToSetTheRegion() {
    imds.refuseTokens(true);

    InstanceMetadataException e =
        assertThrows(
            InstanceMetadataException.class, () -> InstanceIdentity.fetch(imds.endpoint()));

    assertTrue(e.getMessage().contains("set the region explicitly"), e.getMessage());
  }

  @Test
  void hangingServiceFailsInsteadOfHanging() {
    imds.hangTokens(true);

    assertThrows(InstanceMetadataException.class, () -> InstanceIdentity.fetch(imds.endpoint()));
  }

  @Test
  void findsTheLayerNamedInItsOwnTagAndExcludesItself() {
    List<FakeInstance> app = ec2.fleet().launch(3, Map.of("layer", "app"));
    ec2.fleet().tag(proxy.instanceId(), "muster:upstream", "edge"); // now names its own layer
    ec2.fleet().launch(2, Map.of("layer", "edge"));
    InstanceIdentity me = InstanceIdentity.fetch(imds.endpoint());

    Snapshot edge =
        Ec2MembershipSource.newBuilder()
            .client(ec2.client())
            .query(Query.newBuilder().tag("layer", me.requireTag("muster:upstream")).build())
            .mapping(MemberMapping.newBuilder().port(80).build())
            .exclude(me.instanceId())
            .build()
            .fetch();

    assertEquals(2, edge.size());
    assertTrue(edge.member(proxy.instanceId()).isEmpty(), "the proxy excludes itself");
    assertEquals(3, app.size());
  }
}
