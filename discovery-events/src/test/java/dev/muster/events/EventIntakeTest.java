package dev.muster.events;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.muster.testkit.FakeAutoScaling;
import dev.muster.testkit.FakeEc2;
import dev.muster.testkit.FakeSqs;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.autoscaling.AutoScalingClient;
import software.amazon.awssdk.services.sqs.SqsClient;

/**
 * The intake through the real SDK against the test kit's SQS and Auto Scaling: drains before
 * completing, heartbeats while it waits, idempotent on duplicates and redelivery, survives faults
 * and a restart mid-drain.
 */
class EventIntakeTest {
  private static final String GROUP = "web-asg";
  private static final String HOOK = "muster-edge";

  private FakeEc2 ec2;
  private FakeSqs sqs;
  private FakeAutoScaling autoscaling;
  private SqsClient sqsClient;
  private AutoScalingClient asClient;
  private String queue;
  private final List<EventIntake> intakes = new CopyOnWriteArrayList<>();
  private final List<String> refreshed = new CopyOnWriteArrayList<>();
  private final List<String> drained = new CopyOnWriteArrayList<>();
  private volatile Instant drainReturned;
  private volatile CountDownLatch release = new CountDownLatch(0);
  private volatile boolean ready;

  @BeforeEach
  void start() {
    ec2 = FakeEc2.start();
    sqs = FakeSqs.start();
    autoscaling = FakeAutoScaling.start(ec2.fleet());
    sqsClient = sqs.clientBuilder().build();
    asClient = autoscaling.clientBuilder().build();
    queue = sqs.createQueue("muster-edge", Duration.ofSeconds(30));
    autoscaling.terminateHook(
        GROUP,
        HOOK,
        sqs,
        queue,
        Duration.ofMinutes(5),
        "ABANDON",
        FakeAutoScaling.Format.EVENTBRIDGE);
  }

  @AfterEach
  void stop() {
    release.countDown();
    intakes.forEach(EventIntake::close);
    sqsClient.close();
    asClient.close();
    autoscaling.close();
    sqs.close();
    ec2.close();
  }

  private EventIntake intake() {
    return intake(false);
  }

  private EventIntake intake(boolean launchActions) {
    EventIntake intake =
        EventIntake.newBuilder()
            .launchActions(launchActions)
            .clients(sqsClient, asClient)
            .queueUrl(queue)
            .lifecycleHook(HOOK)
            .drainTimeout(Duration.ofSeconds(30))
            .heartbeatInterval(Duration.ofSeconds(1))
            .visibilityTimeout(Duration.ofSeconds(2))
            .handler(
                new EventIntake.Handler() {
                  @Override
                  public void refresh(Set<String> ids) {
                    refreshed.addAll(ids);
                  }

                  @Override
                  public void drain(String id) throws Exception {
                    drained.add(id);
                    release.await();
                    drainReturned = Instant.now();
                  }

                  @Override
                  public boolean ready(String id) {
                    return ready;
                  }
                })
            .build();
    intakes.add(intake);
    intake.start();
    return intake;
  }

  private String instance() {
    return ec2.fleet().launch(1, Map.of("role", "web")).get(0).instanceId();
  }

  private static void await(BooleanSupplier condition, String what) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (!condition.getAsBoolean()) {
      assertTrue(System.nanoTime() < deadline, "waited 30 s for " + what);
      Thread.sleep(20);
    }
  }

  @Test
  void aTerminateActionIsCompletedOnlyAfterTheDrainWithHeartbeatsWhileItWaits() throws Exception {
    String id = instance();
    release = new CountDownLatch(1);
    EventIntake intake = intake();

    autoscaling.terminate(GROUP, id);
    await(() -> drained.contains(id), "the drain to start");
    Thread.sleep(3_500); // longer than the message's visibility: it must be extended
    assertEquals(Set.of(id), intake.status().draining());
    assertTrue(autoscaling.completions().isEmpty(), "nothing completed while draining");
    assertTrue(autoscaling.heartbeats(HOOK, id) >= 2, "heartbeats while waiting");
    assertEquals(1, sqs.inFlight(queue), "the message is kept invisible, not redelivered");
    release.countDown();

    await(() -> "Terminated".equals(autoscaling.lifecycleState(id)), "the termination");
    FakeAutoScaling.Completion c = autoscaling.completions().get(0);
    assertEquals("CONTINUE", c.result());
    assertFalse(c.timedOut());
    assertFalse(c.at().isBefore(drainReturned), "completed after the drain returned");
    await(() -> sqs.size(queue) == 0, "the message to be deleted");
    assertEquals(List.of(id), drained, "drained once");
  }

  @Test
  void duplicatesJoinTheDrainInProgressAndAreDeleted() throws Exception {
    String id = instance();
    release = new CountDownLatch(1);
    intake();
    String token = autoscaling.terminate(GROUP, id).get(HOOK);
    await(() -> drained.contains(id), "the drain");
    String duplicate = terminateMessage(token, id);
    sqs.send(queue, duplicate);
    sqs.send(queue, duplicate);
    await(() -> sqs.size(queue) == 1, "the duplicates to be deleted");
    release.countDown();

    await(() -> sqs.size(queue) == 0, "the original to be deleted");
    assertEquals(List.of(id), drained);
    assertEquals(1, autoscaling.completions().size());
  }

  @Test
  void unknownAndMalformedMessagesAreDeletedAndCountedNeverACrash() throws Exception {
    EventIntake intake = intake();
    for (String body :
        List.of(
            "not json", "{}", "{\"detail-type\":\"AWS API Call via CloudTrail\",\"detail\":{}}")) {
      sqs.send(queue, body);
    }
    String id = instance();
    sqs.send(
        queue,
        "{\"detail-type\":\"EC2 Instance State-change Notification\",\"detail\":{\"instance-id\":\""
            + id
            + "\",\"state\":\"running\"}}");

    await(() -> sqs.size(queue) == 0, "every message to be deleted");
    assertEquals(3, intake.status().ignored());
    assertEquals(List.of(id), refreshed);
  }

  @Test
  void sqsFaultsAreRetriedAndCountedAndPollingGoesOn() throws Exception {
    sqs.failNext(6, 500, "InternalError");
    EventIntake intake = intake();
    String id = instance();
    autoscaling.terminate(GROUP, id);

    await(() -> "Terminated".equals(autoscaling.lifecycleState(id)), "the termination");
    assertTrue(intake.status().receiveFailures() >= 1, intake.status().toString());
  }

  @Test
  void aFailingCompleteLifecycleActionIsRetriedUntilAccepted() throws Exception {
    autoscaling.failNext(6, 500, "InternalFailure");
    intake();
    String id = instance();
    autoscaling.terminate(GROUP, id);

    await(() -> "Terminated".equals(autoscaling.lifecycleState(id)), "the termination");
    assertEquals("CONTINUE", autoscaling.completions().get(0).result());
    assertFalse(autoscaling.completions().get(0).timedOut());
  }

  @Test
  void anAgentRestartedMidDrainResumesFromTheRedeliveredMessage() throws Exception {
    String id = instance();
    release = new CountDownLatch(1);
    EventIntake first = intake();
    autoscaling.terminate(GROUP, id);
    await(() -> drained.contains(id), "the first drain");
    first.close(); // killed mid-drain: nothing completed, nothing deleted
    assertTrue(autoscaling.completions().isEmpty());
    release.countDown();

    intake();

    await(() -> "Terminated".equals(autoscaling.lifecycleState(id)), "the termination");
    assertEquals(List.of(id, id), drained, "drained again by the second agent");
    await(() -> sqs.size(queue) == 0, "the message to be deleted");
  }

  @Test
  void aSpotInterruptionDrainsWithNothingToComplete() throws Exception {
    intake();
    String id = instance();
    sqs.send(
        queue,
        "{\"detail-type\":\"EC2 Spot Instance Interruption Warning\",\"detail\":{\"instance-id\":\""
            + id
            + "\",\"instance-action\":\"terminate\"}}");

    await(() -> sqs.size(queue) == 0, "the message to be deleted");
    assertEquals(List.of(id), drained);
    assertTrue(autoscaling.completions().isEmpty());
  }

  @Test
  void anotherHooksActionOnlyRefreshes() throws Exception {
    autoscaling.terminateHook(
        GROUP,
        "someone-else",
        sqs,
        queue,
        Duration.ofMillis(300),
        "CONTINUE",
        FakeAutoScaling.Format.AUTO_SCALING);
    intake();
    String id = instance();
    autoscaling.terminate(GROUP, id);

    await(() -> "Terminated".equals(autoscaling.lifecycleState(id)), "both hooks done");
    assertTrue(refreshed.contains(id));
    assertEquals(
        Set.of(HOOK + "=false", "someone-else=true"),
        Set.copyOf(
            autoscaling.completions().stream().map(c -> c.hook() + "=" + c.timedOut()).toList()));
  }

  @Test
  void aLaunchActionIsCompletedOnceTheInstanceIsReady() throws Exception {
    autoscaling.launchHook(
        GROUP,
        HOOK,
        sqs,
        queue,
        Duration.ofMinutes(5),
        "ABANDON",
        FakeAutoScaling.Format.EVENTBRIDGE);
    intake(true);
    String id = instance();

    autoscaling.launch(GROUP, id);
    await(() -> refreshed.contains(id), "the refresh for the new instance");
    Thread.sleep(1_500);
    assertEquals("Pending:Wait", autoscaling.lifecycleState(id), "held while not ready");
    ready = true;

    await(() -> "InService".equals(autoscaling.lifecycleState(id)), "InService");
    assertEquals("CONTINUE", autoscaling.completions().get(0).result());
    await(() -> sqs.size(queue) == 0, "the message to be deleted");
  }

  @Test
  void aMessageArrivingAfterItsActionEndedIsHandledHarmlesslyAndDeleted() throws Exception {
    String id = instance();
    String token = autoscaling.terminate(GROUP, id).get(HOOK);
    // Another agent (or the hook's timeout) ended the action before this message was read.
    asClient.completeLifecycleAction(
        b ->
            b.autoScalingGroupName(GROUP)
                .lifecycleHookName(HOOK)
                .lifecycleActionToken(token)
                .lifecycleActionResult("CONTINUE"));
    // A state change for the same instance, delivered out of order before it.
    sqs.send(
        queue,
        "{\"detail-type\":\"EC2 Instance State-change Notification\",\"detail\":{\"instance-id\":\""
            + id
            + "\",\"state\":\"shutting-down\"}}");
    EventIntake intake = intake();

    await(() -> sqs.size(queue) == 0, "both messages to be deleted");
    assertEquals(1, autoscaling.completions().size(), "no second completion");
    assertEquals(List.of(), drained, "no live action: nothing to drain");
    assertTrue(refreshed.contains(id));
    assertEquals(0, intake.status().completed());
  }

  private static String terminateMessage(String token, String instanceId) {
    return "{\"detail-type\":\"EC2 Instance-terminate Lifecycle Action\",\"detail\":{"
        + "\"LifecycleActionToken\":\""
        + token
        + "\",\"AutoScalingGroupName\":\""
        + GROUP
        + "\",\"LifecycleHookName\":\""
        + HOOK
        + "\",\"EC2InstanceId\":\""
        + instanceId
        + "\",\"LifecycleTransition\":\"autoscaling:EC2_INSTANCE_TERMINATING\"}}";
  }

  @Test
  void aForgedTerminateMessageForARunningInstanceDrainsNothing() throws Exception {
    EventIntake intake = intake();
    String id = instance();

    sqs.send(queue, terminateMessage("00000000-forged-token", id));

    await(() -> sqs.size(queue) == 0, "the message to be deleted");
    assertEquals(List.of(), drained);
    assertEquals(1, intake.status().ignored());
    assertTrue(refreshed.contains(id));
    assertTrue(autoscaling.completions().isEmpty());
  }

  @Test
  void aLiveTokenNamingAnotherInstanceDrainsNothing() throws Exception {
    String leaving = instance();
    String running = instance();
    release = new CountDownLatch(1);
    String token = autoscaling.terminate(GROUP, leaving).get(HOOK);
    EventIntake intake = intake();
    await(() -> drained.contains(leaving), "the real drain");

    sqs.send(queue, terminateMessage(token, running)); // misrouted: the token is another's

    await(() -> refreshed.contains(running), "the misrouted message to be handled");
    assertEquals(List.of(leaving), drained, "only the instance that is really leaving");
    assertEquals(1, intake.status().ignored());
    release.countDown();
  }
}
