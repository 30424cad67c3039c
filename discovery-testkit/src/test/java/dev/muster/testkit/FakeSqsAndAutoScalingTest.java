package dev.muster.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.services.autoscaling.AutoScalingClient;
import software.amazon.awssdk.services.autoscaling.model.AutoScalingException;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.Message;
import software.amazon.awssdk.services.sqs.model.MessageSystemAttributeName;
import software.amazon.awssdk.services.sqs.model.QueueDoesNotExistException;
import software.amazon.awssdk.services.sqs.model.ReceiveMessageRequest;
import software.amazon.awssdk.services.sqs.model.SqsException;

/** The SQS and Auto Scaling stand-ins through the real SDK 2.41 clients (JSON 1.0 and Query). */
class FakeSqsAndAutoScalingTest {
  private FakeSqs sqs;
  private FakeEc2 ec2;
  private FakeAutoScaling autoscaling;
  private SqsClient sqsClient;
  private AutoScalingClient asClient;
  private String queue;

  @BeforeEach
  void start() {
    sqs = FakeSqs.start();
    ec2 = FakeEc2.start();
    autoscaling = FakeAutoScaling.start(ec2.fleet());
    sqsClient = sqs.clientBuilder().build();
    asClient = autoscaling.clientBuilder().build();
    queue = sqs.createQueue("muster-edge", Duration.ofSeconds(30));
  }

  @AfterEach
  void stop() {
    sqsClient.close();
    asClient.close();
    autoscaling.close();
    ec2.close();
    sqs.close();
  }

  private List<Message> receive(int wait, int visibility) {
    return sqsClient
        .receiveMessage(
            ReceiveMessageRequest.builder()
                .queueUrl(queue)
                .maxNumberOfMessages(10)
                .waitTimeSeconds(wait)
                .visibilityTimeout(visibility)
                .messageSystemAttributeNames(MessageSystemAttributeName.ALL)
                .build())
        .messages();
  }

  @Test
  void sendReceiveAndDeleteWithTheDigestsTheSdkChecks() {
    String body = "{\"detail-type\":\"x\",\"text\":\"\\u00e9\\u2028 unicode\"}";
    sqsClient.sendMessage(b -> b.queueUrl(queue).messageBody(body));

    List<Message> got = receive(0, 30);

    assertEquals(1, got.size());
    assertEquals(body, got.get(0).body());
    assertEquals("1", got.get(0).attributesAsStrings().get("ApproximateReceiveCount"));
    assertEquals(List.of(), receive(0, 30), "in flight: invisible");
    sqsClient.deleteMessage(b -> b.queueUrl(queue).receiptHandle(got.get(0).receiptHandle()));
    assertEquals(0, sqs.size(queue));
  }

  @Test
  void aMessageNotDeletedIsDeliveredAgainAfterItsVisibilityTimeout() throws Exception {
    sqs.send(queue, "hello");
    Message first = receive(0, 1).get(0);

    List<Message> again = receive(5, 30);

    assertEquals("hello", again.get(0).body());
    assertEquals("2", again.get(0).attributesAsStrings().get("ApproximateReceiveCount"));
    assertFalse(first.receiptHandle().equals(again.get(0).receiptHandle()));
  }

  @Test
  void longPollingReturnsAsSoonAsAMessageArrives() throws Exception {
    Thread producer =
        new Thread(
            () -> {
              try {
                Thread.sleep(300);
              } catch (InterruptedException e) {
                return;
              }
              sqs.send(queue, "late");
            });
    producer.start();

    List<Message> got = receive(20, 30);

    assertEquals("late", got.get(0).body());
    producer.join();
  }

  @Test
  void visibilityCanBeExtendedWhileInFlightAndErrorsAreTheSdksExceptions() {
    sqs.send(queue, "drain");
    Message m = receive(0, 1).get(0);
    sqsClient.changeMessageVisibility(
        b -> b.queueUrl(queue).receiptHandle(m.receiptHandle()).visibilityTimeout(60));
    assertEquals(1, sqs.inFlight(queue));

    assertThrows(
        QueueDoesNotExistException.class,
        () -> sqsClient.getQueueUrl(b -> b.queueName("no-such-queue")));
    sqs.failNext(1, 400, "RequestThrottled");
    SqsException throttled =
        assertThrows(
            SqsException.class,
            () -> sqsClient.deleteMessage(b -> b.queueUrl(queue).receiptHandle("x")));
    assertTrue(
        throttled.isThrottlingException() || throttled.statusCode() == 400, throttled.toString());
  }

  @Test
  void aTerminateHookWaitsForCompletionThenTheInstanceTerminates() {
    String id = ec2.fleet().launch(1, Map.of("role", "web")).get(0).instanceId();
    autoscaling.terminateHook(
        "web-asg",
        "muster-edge",
        sqs,
        queue,
        Duration.ofMinutes(5),
        "CONTINUE",
        FakeAutoScaling.Format.EVENTBRIDGE);

    String token = autoscaling.terminate("web-asg", id).get("muster-edge");

    assertEquals("Terminating:Wait", autoscaling.lifecycleState(id));
    assertEquals(FakeInstance.State.RUNNING, ec2.fleet().get(id).orElseThrow().state());
    String body = receive(0, 30).get(0).body();
    assertTrue(
        body.contains("\"EC2 Instance-terminate Lifecycle Action\"") && body.contains(token), body);
    asClient.recordLifecycleActionHeartbeat(
        b ->
            b.autoScalingGroupName("web-asg")
                .lifecycleHookName("muster-edge")
                .lifecycleActionToken(token));
    asClient.completeLifecycleAction(
        b ->
            b.autoScalingGroupName("web-asg")
                .lifecycleHookName("muster-edge")
                .lifecycleActionToken(token)
                .lifecycleActionResult("CONTINUE"));

    assertEquals(1, autoscaling.heartbeats("muster-edge", id));
    assertEquals("Terminated", autoscaling.lifecycleState(id));
    assertEquals(FakeInstance.State.TERMINATED, ec2.fleet().get(id).orElseThrow().state());
    AutoScalingException again =
        assertThrows(
            AutoScalingException.class,
            () ->
                asClient.completeLifecycleAction(
                    b ->
                        b.autoScalingGroupName("web-asg")
                            .lifecycleHookName("muster-edge")
                            .lifecycleActionToken(token)
                            .lifecycleActionResult("CONTINUE")));
    assertEquals("ValidationError", again.awsErrorDetails().errorCode());
  }

  @Test
  void aHookWithoutHeartbeatTimesOutWithItsDefaultResult() throws Exception {
    String id = ec2.fleet().launch(1, Map.of("role", "web")).get(0).instanceId();
    autoscaling.terminateHook(
        "web-asg",
        "muster-edge",
        sqs,
        queue,
        Duration.ofMillis(200),
        "ABANDON",
        FakeAutoScaling.Format.SNS_AUTO_SCALING);

    autoscaling.terminate("web-asg", id);
    String body = receive(0, 30).get(0).body();
    assertTrue(body.startsWith("{\"Type\":\"Notification\""), body);
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (autoscaling.completions().isEmpty() && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }

    FakeAutoScaling.Completion c = autoscaling.completions().get(0);
    assertTrue(c.timedOut());
    assertEquals("ABANDON", c.result());
    assertEquals("Terminated", autoscaling.lifecycleState(id));
  }

  @Test
  void anUnsignedRequestIsRefused() {
    SqsClient anonymous =
        sqs.clientBuilder()
            .credentialsProvider(
                software.amazon.awssdk.auth.credentials.AnonymousCredentialsProvider.create())
            .build();
    Exception e =
        assertThrows(Exception.class, () -> anonymous.getQueueUrl(b -> b.queueName("muster-edge")));
    assertTrue(e instanceof SqsException || e instanceof SdkClientException, e.toString());
    anonymous.close();
  }
}
