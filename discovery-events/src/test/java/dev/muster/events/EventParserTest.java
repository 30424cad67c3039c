package dev.muster.events;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.muster.events.FleetEvent.Ignored;
import dev.muster.events.FleetEvent.Launching;
import dev.muster.events.FleetEvent.Refresh;
import dev.muster.events.FleetEvent.Terminating;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Every message a Muster queue may hold, each from a fixture shaped as AWS documents it. */
class EventParserTest {
  private static String fixture(String name) throws IOException {
    try (InputStream in = EventParserTest.class.getResourceAsStream("/events/" + name)) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  @Test
  void aStateChangeRefreshes() throws Exception {
    Refresh r = assertInstanceOf(Refresh.class, EventParser.parse(fixture("state-change.json")));
    assertEquals(List.of("i-abcd1111"), r.instanceIds());
    assertEquals("state pending", r.reason());
  }

  @Test
  void aTerminateLifecycleActionFromEventBridgeDrains() throws Exception {
    Terminating t =
        assertInstanceOf(Terminating.class, EventParser.parse(fixture("terminate-action.json")));
    assertEquals("i-1234567890abcdef0", t.instanceId());
    assertEquals(
        new FleetEvent.LifecycleAction(
            "my-asg",
            "my-lifecycle-hook",
            "87654321-4321-4321-4321-210987654321",
            "i-1234567890abcdef0",
            "autoscaling:EC2_INSTANCE_TERMINATING"),
        t.action());
  }

  @Test
  void aLaunchLifecycleActionIsLaunching() throws Exception {
    Launching l =
        assertInstanceOf(Launching.class, EventParser.parse(fixture("launch-action.json")));
    assertEquals("my-launch-hook", l.action().hook());
  }

  @Test
  void aSpotInterruptionDrainsWithoutAnActionToComplete() throws Exception {
    Terminating t =
        assertInstanceOf(Terminating.class, EventParser.parse(fixture("spot-interruption.json")));
    assertNull(t.action());
    assertEquals("Spot interruption warning", t.reason());
  }

  @Test
  void aRebalanceRecommendationRefreshes() throws Exception {
    assertInstanceOf(Refresh.class, EventParser.parse(fixture("rebalance.json")));
  }

  @Test
  void autoScalingsOwnNotificationAndItsSnsEnvelopeReadTheSame() throws Exception {
    Terminating direct =
        assertInstanceOf(
            Terminating.class, EventParser.parse(fixture("autoscaling-terminate.json")));
    Terminating wrapped =
        assertInstanceOf(
            Terminating.class, EventParser.parse(fixture("sns-autoscaling-terminate.json")));
    assertEquals(direct, wrapped);
    assertEquals("71514b9d-6a40-4b26-8523-05e7eexample", direct.action().token());
  }

  @Test
  void theTestNotificationIsATest() throws Exception {
    assertEquals(
        new FleetEvent.Test("my-asg"), EventParser.parse(fixture("autoscaling-test.json")));
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "",
        "not json",
        "[1,2]",
        "{\"detail-type\":\"EC2 Instance State-change Notification\"}",
        "{\"detail-type\":\"EC2 Instance State-change Notification\",\"detail\":{\"instance-id\":\"i-1; rm -rf /\",\"state\":\"running\"}}",
        "{\"detail-type\":\"AWS API Call via CloudTrail\",\"detail\":{}}",
        "{\"Type\":\"Notification\",\"Message\":\"not json\"}",
        "{\"Type\":\"Notification\"}",
        "{\"LifecycleTransition\":\"autoscaling:EC2_INSTANCE_TERMINATING\",\"EC2InstanceId\":\"i-0598c7d356eba48d7\"}",
        "{\"LifecycleTransition\":\"autoscaling:EC2_INSTANCE_REBOOTING\",\"EC2InstanceId\":\"i-0598c7d356eba48d7\",\"LifecycleActionToken\":\"t\",\"LifecycleHookName\":\"h\",\"AutoScalingGroupName\":\"g\"}",
        "{\"Type\":\"Notification\",\"Message\":\"{\\\"Type\\\":\\\"Notification\\\",\\\"Message\\\":\\\"{}\\\"}\"}",
        "{\"hello\":\"world\"}"
      })
  void anythingElseIsIgnoredWithAReasonNeverAnException(String body) {
    Ignored ignored = assertInstanceOf(Ignored.class, EventParser.parse(body));
    assertTrue(!ignored.why().isBlank());
    assertTrue(ignored.why().chars().allMatch(c -> c >= 0x20 && c < 0x7f), ignored.why());
  }
}
