/**
 * Fleet events for Muster: EventBridge, Auto Scaling lifecycle and SNS messages from an SQS queue
 * make the discovery loops fetch at once, and a terminating member is drained on every output
 * before its lifecycle action is completed. The API is {@code dev.muster.events}.
 */
// The AWS SDK is made of automatic modules.
@SuppressWarnings({"requires-automatic", "requires-transitive-automatic"})
module dev.muster.events {
  requires transitive dev.muster.discovery;
  requires transitive software.amazon.awssdk.services.sqs;
  requires transitive software.amazon.awssdk.services.autoscaling;
  requires software.amazon.awssdk.protocols.jsoncore;
  requires software.amazon.awssdk.retries;
  requires software.amazon.awssdk.retries.api;
  requires org.slf4j;

  exports dev.muster.events;
}
