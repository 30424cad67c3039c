package dev.muster.events;

import dev.muster.discovery.Drain.Sleeper;
import dev.muster.discovery.internal.Backoff;
import dev.muster.events.FleetEvent.LifecycleAction;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.services.autoscaling.AutoScalingClient;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.Message;
import software.amazon.awssdk.services.sqs.model.MessageSystemAttributeName;

/**
 * The intake's calls to SQS and Auto Scaling, each with its own retries on the intake's clock:
 * receive, keep a drain alive (heartbeat and visibility), check that an action is live, complete
 * it, delete a message. Counts completions and heartbeats.
 */
final class AwsCalls {
  private static final Logger log = LoggerFactory.getLogger("dev.muster.events");

  /** Auto Scaling's answer for an action that is not (or no longer) waiting. */
  static final String NO_ACTIVE_ACTION = "ValidationError";

  final AtomicLong completed = new AtomicLong();
  final AtomicLong heartbeats = new AtomicLong();
  private final SqsClient sqs;
  private final AutoScalingClient autoScaling;
  private final String queueUrl;
  private final Duration visibilityTimeout;
  private final Duration completeFor;
  private final Clock clock;
  private final Sleeper sleeper;
  private final BooleanSupplier closed;

  /**
   * @param completeFor how long past 10 minutes a completion is retried
   * @param closed whether the intake closed (retries stop)
   */
  AwsCalls(
      SqsClient sqs,
      AutoScalingClient autoScaling,
      String queueUrl,
      Duration visibilityTimeout,
      Duration completeFor,
      Clock clock,
      Sleeper sleeper,
      BooleanSupplier closed) {
    this.sqs = sqs;
    this.autoScaling = autoScaling;
    this.queueUrl = queueUrl;
    this.visibilityTimeout = visibilityTimeout;
    this.completeFor = completeFor;
    this.clock = clock;
    this.sleeper = sleeper;
    this.closed = closed;
  }

  /** One long poll of up to {@code waitSeconds} for up to 10 messages. */
  List<Message> receive(int waitSeconds) {
    return sqs.receiveMessage(
            r ->
                r.queueUrl(queueUrl)
                    .maxNumberOfMessages(10)
                    .waitTimeSeconds(waitSeconds)
                    .visibilityTimeout((int) visibilityTimeout.toSeconds())
                    .messageSystemAttributeNames(
                        MessageSystemAttributeName.APPROXIMATE_RECEIVE_COUNT))
        .messages();
  }

  /**
   * Whether Auto Scaling holds a live lifecycle action of this agent's hook for the drain's
   * instance: a heartbeat by instance id answers (it names the instance, not the message's token,
   * so a message with another instance's token proves nothing). {@code ValidationError} means none.
   * When Auto Scaling cannot be asked (throttled, unreachable) after three tries, the drain goes
   * ahead: draining a member that is about to go is the safe side, and the outputs give a drained
   * member back when no termination follows.
   */
  boolean live(LifecycleAction a, String instanceId) {
    for (int attempt = 1; ; attempt++) {
      try {
        autoScaling.recordLifecycleActionHeartbeat(
            r ->
                r.autoScalingGroupName(a.group())
                    .lifecycleHookName(a.hook())
                    .instanceId(instanceId));
        heartbeats.incrementAndGet();
        return true;
      } catch (RuntimeException e) {
        if (e instanceof AwsServiceException aws
            && aws.awsErrorDetails() != null
            && NO_ACTIVE_ACTION.equals(aws.awsErrorDetails().errorCode())) {
          return false;
        }
        if (attempt == 3 || closed.getAsBoolean()) {
          log.warn(
              "events: cannot check the lifecycle action for {} ({}); draining anyway",
              instanceId,
              e.getMessage());
          return true;
        }
      }
      sleep(backoff(attempt, 500, 2_000));
    }
  }

  /** Heartbeat for the action and more visibility for its message, while a drain waits. */
  void keepAlive(LifecycleAction action, String receipt, String instanceId) {
    try {
      if (action != null) {
        LifecycleAction a = action;
        autoScaling.recordLifecycleActionHeartbeat(
            r ->
                r.autoScalingGroupName(a.group())
                    .lifecycleHookName(a.hook())
                    .lifecycleActionToken(a.token()));
        heartbeats.incrementAndGet();
      }
      sqs.changeMessageVisibility(
          r ->
              r.queueUrl(queueUrl)
                  .receiptHandle(receipt)
                  .visibilityTimeout((int) visibilityTimeout.toSeconds()));
    } catch (RuntimeException e) {
      log.warn(
          "events: keeping the drain of {} alive failed (retried next period): {}",
          instanceId,
          e.getMessage());
    }
  }

  /** Completes {@code action}, retrying until it is accepted or gone. */
  void complete(LifecycleAction action, String result) {
    Instant giveUp = clock.instant().plus(Duration.ofMinutes(10)).plus(completeFor);
    for (int attempt = 1; !closed.getAsBoolean(); attempt++) {
      try {
        autoScaling.completeLifecycleAction(
            r ->
                r.autoScalingGroupName(action.group())
                    .lifecycleHookName(action.hook())
                    .lifecycleActionToken(action.token())
                    .lifecycleActionResult(result));
        completed.incrementAndGet();
        log.info(
            "events: completed the lifecycle action for {} with {}", action.instanceId(), result);
        return;
      } catch (AwsServiceException e) {
        if (NO_ACTIVE_ACTION.equals(e.awsErrorDetails().errorCode())) {
          log.info(
              "events: the lifecycle action for {} was already completed or timed out",
              action.instanceId());
          return;
        }
        if (!retry(action, attempt, giveUp, e)) {
          return;
        }
      } catch (RuntimeException e) {
        if (!retry(action, attempt, giveUp, e)) {
          return;
        }
      }
    }
  }

  private boolean retry(LifecycleAction action, int attempt, Instant giveUp, RuntimeException e) {
    if (clock.instant().isAfter(giveUp)) {
      log.error(
          "events: giving up completing the action for {}: {}", action.instanceId(), e.toString());
      return false;
    }
    long delay = backoff(attempt, 1_000, 30_000);
    log.warn(
        "events: completing the action for {} failed (attempt {}), next try in {} ms: {}",
        action.instanceId(),
        attempt,
        delay,
        e.getMessage());
    sleep(delay);
    return true;
  }

  void delete(String receipt) {
    for (int attempt = 1; attempt <= 3 && !closed.getAsBoolean(); attempt++) {
      try {
        sqs.deleteMessage(r -> r.queueUrl(queueUrl).receiptHandle(receipt));
        return;
      } catch (RuntimeException e) {
        log.warn("events: deleting a message failed (attempt {}): {}", attempt, e.getMessage());
        sleep(backoff(attempt, 200, 2_000));
      }
    }
    // Not deleted: it comes back after its visibility timeout and is handled again (idempotent).
  }

  static long backoff(int attempt, long min, long max) {
    return Backoff.delay(
            Duration.ofMillis(min),
            Duration.ofMillis(max),
            attempt,
            0.2,
            ThreadLocalRandom.current().nextDouble())
        .toMillis();
  }

  void sleep(long millis) {
    try {
      sleeper.sleep(Duration.ofMillis(millis));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
