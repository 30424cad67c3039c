package dev.muster.discovery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.muster.fixtures.MutableClock;
import dev.muster.testkit.FakeAutoScaling;
import dev.muster.testkit.FakeEc2;
import dev.muster.testkit.FakeInstance;
import dev.muster.testkit.FakeSqs;
import dev.muster.testkit.SimulatedFleet;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.autoscaling.AutoScalingClient;

/**
 * Only instances Auto Scaling calls InService, through the real SDK against the test kit's EC2 and
 * Auto Scaling: instances held by a launch or terminate hook are never members, the calls come in
 * batches of 50 and only for what the cache does not vouch for.
 */
class InServiceOnlyTest {
  private static final String GROUP = "web-asg";
  private final MutableClock clock = new MutableClock(Instant.parse("2026-01-01T00:00:00Z"));
  private FakeEc2 ec2;
  private FakeSqs sqs;
  private FakeAutoScaling autoscaling;
  private AutoScalingClient client;
  private List<FakeInstance> fleet;
  private FakeInstance standalone;

  @BeforeEach
  void start() {
    ec2 = FakeEc2.start();
    sqs = FakeSqs.start();
    autoscaling = FakeAutoScaling.start(ec2.fleet());
    String queue = sqs.createQueue("hooks", Duration.ofSeconds(30));
    autoscaling.launchHook(
        GROUP,
        "warm",
        sqs,
        queue,
        Duration.ofHours(1),
        "CONTINUE",
        FakeAutoScaling.Format.EVENTBRIDGE);
    autoscaling.terminateHook(
        GROUP,
        "drain",
        sqs,
        queue,
        Duration.ofHours(1),
        "CONTINUE",
        FakeAutoScaling.Format.EVENTBRIDGE);
    fleet =
        ec2.fleet()
            .launch(120, Map.of("role", "web", SimulatedFleet.AUTO_SCALING_GROUP_TAG, GROUP));
    standalone = ec2.fleet().launch(1, Map.of("role", "web")).get(0);
    client = autoscaling.clientBuilder().build();
  }

  @AfterEach
  void stop() {
    client.close();
    autoscaling.close();
    sqs.close();
    ec2.close();
  }

  private Ec2MembershipSource source(Duration cacheFor) {
    return Ec2MembershipSource.newBuilder()
        .client(ec2.client())
        .query(Query.newBuilder().tag("role", "web").build())
        .mapping(MemberMapping.newBuilder().port(80).build())
        .inServiceOnly(client, cacheFor)
        .clock(clock)
        .build();
  }

  private static Set<String> ids(Snapshot s) {
    return s.members().stream().map(Member::instanceId).collect(Collectors.toSet());
  }

  private long describeCalls() {
    return autoscaling.requests().stream()
        .filter(r -> "DescribeAutoScalingInstances".equals(r.get("Action")))
        .count();
  }

  @Test
  void instancesHeldByAHookOrInNoGroupAreNeverMembers() {
    String launching = fleet.get(0).instanceId();
    String terminating = fleet.get(1).instanceId();
    autoscaling.launch(GROUP, launching);
    autoscaling.terminate(GROUP, terminating);

    Set<String> members = ids(source(Duration.ofSeconds(60)).fetch());

    assertEquals(118, members.size());
    assertFalse(members.contains(launching), "Pending:Wait");
    assertFalse(members.contains(terminating), "Terminating:Wait");
    assertFalse(members.contains(standalone.instanceId()), "in no group");
  }

  @Test
  void aLaunchedInstanceJoinsOnceItsHookCompletes() {
    String launching = fleet.get(0).instanceId();
    Map<String, String> tokens = autoscaling.launch(GROUP, launching);
    Ec2MembershipSource source = source(Duration.ofSeconds(60));
    assertFalse(ids(source.fetch()).contains(launching));

    client.completeLifecycleAction(
        b ->
            b.autoScalingGroupName(GROUP)
                .lifecycleHookName("warm")
                .lifecycleActionToken(tokens.get("warm"))
                .lifecycleActionResult("CONTINUE"));
    clock.advance(Duration.ofSeconds(10));

    assertTrue(ids(source.fetch()).contains(launching));
  }

  @Test
  void callsComeInBatchesOf50AndOnlyForWhatTheCacheDoesNotVouchFor() {
    autoscaling.launch(GROUP, fleet.get(0).instanceId());
    Ec2MembershipSource source = source(Duration.ofSeconds(60));

    source.fetch();
    assertEquals(3, describeCalls(), "121 instances: 3 calls of at most 50");
    clock.advance(Duration.ofSeconds(15));
    source.fetch();
    assertEquals(4, describeCalls(), "only the 2 not InService are asked about again");
    clock.advance(Duration.ofSeconds(50));
    source.fetch();
    assertEquals(7, describeCalls(), "after 60 s the InService ones are asked about again");
    assertTrue(
        autoscaling.requests().stream()
            .filter(r -> "DescribeAutoScalingInstances".equals(r.get("Action")))
            .allMatch(r -> !r.containsKey("InstanceIds.member.51")));
  }

  @Test
  void anInstanceGoingIntoTerminatingWaitLeavesWithoutACacheDelayWhenTheCacheIsOff() {
    Ec2MembershipSource source = source(Duration.ZERO);
    String leaving = fleet.get(5).instanceId();
    assertTrue(ids(source.fetch()).contains(leaving));

    autoscaling.terminate(GROUP, leaving);

    assertFalse(ids(source.fetch()).contains(leaving));
  }

  @Test
  void aFailedCallFailsTheFetchSoTheLastGoodViewStays() {
    autoscaling.failNext(10, 503, "ServiceUnavailable"); // more than the SDK attempts
    Ec2MembershipSource source = source(Duration.ofSeconds(60));

    assertThrows(SdkException.class, source::fetch);
    assertThrows(
        IllegalArgumentException.class,
        () -> Ec2MembershipSource.newBuilder().inServiceOnly(client, Duration.ofHours(2)));
  }
}
