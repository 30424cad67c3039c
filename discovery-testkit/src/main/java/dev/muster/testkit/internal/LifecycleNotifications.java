package dev.muster.testkit.internal;

import dev.muster.testkit.FakeInstance;
import java.time.Instant;
import java.util.UUID;

/**
 * What the Auto Scaling stand-in says: the message a lifecycle hook sends to its queue, as AWS
 * shapes it (Auto Scaling's own notification, the same inside an SNS envelope, or EventBridge's
 * lifecycle action event), and the members of a {@code DescribeAutoScalingInstances} answer.
 */
public final class LifecycleNotifications {
  private LifecycleNotifications() {}

  /**
   * The notification of {@code transition} for {@code instanceId}.
   *
   * @param format {@code AUTO_SCALING}, {@code SNS_AUTO_SCALING} or {@code EVENTBRIDGE}
   */
  public static String of(
      String format,
      String group,
      String hook,
      String transition,
      String token,
      String instanceId,
      Instant at) {
    String now = at.toString();
    // The action's fields, the same in Auto Scaling's notification and EventBridge's detail.
    String action =
        "\"LifecycleActionToken\":"
            + Json.quote(token)
            + ",\"AutoScalingGroupName\":"
            + Json.quote(group)
            + ",\"LifecycleHookName\":"
            + Json.quote(hook)
            + ",\"EC2InstanceId\":"
            + Json.quote(instanceId)
            + ",\"LifecycleTransition\":"
            + Json.quote(transition);
    String auto =
        "{\"Origin\":\"AutoScalingGroup\",\"Destination\":\"EC2\",\"Service\":\"AWS Auto Scaling\","
            + "\"Time\":"
            + Json.quote(now)
            + ",\"AccountId\":\"123456789012\",\"RequestId\":"
            + Json.quote(UUID.randomUUID().toString())
            + ","
            + action
            + "}";
    return switch (format) {
      case "AUTO_SCALING" -> auto;
      case "SNS_AUTO_SCALING" ->
          "{\"Type\":\"Notification\",\"MessageId\":"
              + Json.quote(UUID.randomUUID().toString())
              + ",\"TopicArn\":\"arn:aws:sns:us-east-1:123456789012:muster-lifecycle\","
              + "\"Subject\":\"Auto Scaling:  Lifecycle action 'TERMINATING' for instance "
              + instanceId
              + " in progress.\",\"Message\":"
              + Json.quote(auto)
              + ",\"Timestamp\":"
              + Json.quote(now)
              + ",\"SignatureVersion\":\"1\",\"Signature\":\"EXAMPLE\",\"SigningCertURL\":"
              + "\"https://sns.us-east-1.amazonaws.com/SimpleNotificationService-example.pem\","
              + "\"UnsubscribeURL\":\"https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe\"}";
      default ->
          "{\"version\":\"0\",\"id\":"
              + Json.quote(UUID.randomUUID().toString())
              + ",\"detail-type\":"
              + Json.quote(
                  transition.endsWith("TERMINATING")
                      ? "EC2 Instance-terminate Lifecycle Action"
                      : "EC2 Instance-launch Lifecycle Action")
              + ",\"source\":\"aws.autoscaling\",\"account\":\"123456789012\",\"time\":"
              + Json.quote(now)
              + ",\"region\":\"us-east-1\",\"resources\":["
              + Json.quote(
                  "arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:example:"
                      + "autoScalingGroupName/"
                      + group)
              + "],\"detail\":{"
              + action
              + "}}";
    };
  }

  /** One member of a {@code DescribeAutoScalingInstances} answer. */
  public static String instanceXml(FakeInstance i, String group, String lifecycleState) {
    return "<member><InstanceId>"
        + i.instanceId()
        + "</InstanceId><InstanceType>"
        + i.instanceType()
        + "</InstanceType><AutoScalingGroupName>"
        + escape(group)
        + "</AutoScalingGroupName><AvailabilityZone>"
        + i.availabilityZone()
        + "</AvailabilityZone><LifecycleState>"
        + lifecycleState
        + "</LifecycleState><HealthStatus>HEALTHY</HealthStatus>"
        + "<ProtectedFromScaleIn>false</ProtectedFromScaleIn></member>";
  }

  /** {@code text} with XML's markup characters escaped. */
  public static String escape(String text) {
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
  }
}
