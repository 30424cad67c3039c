package dev.muster.events;

import dev.muster.events.FleetEvent.Ignored;
import dev.muster.events.FleetEvent.Launching;
import dev.muster.events.FleetEvent.LifecycleAction;
import dev.muster.events.FleetEvent.Refresh;
import dev.muster.events.FleetEvent.Terminating;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import software.amazon.awssdk.protocols.jsoncore.JsonNode;

/**
 * Reads one SQS message body into a {@link FleetEvent}. It understands, with or without an SNS
 * envelope ({@code "Type": "Notification"}, SNS to SQS without raw delivery):
 *
 * <ul>
 *   <li>EventBridge events: {@code EC2 Instance State-change Notification} (refresh), {@code EC2
 *       Instance-launch Lifecycle Action}, {@code EC2 Instance-terminate Lifecycle Action}, {@code
 *       EC2 Spot Instance Interruption Warning} (drain, no action to complete), {@code EC2 Instance
 *       Rebalance Recommendation} (refresh);
 *   <li>Auto Scaling's own lifecycle notifications sent straight to SQS, and its {@code
 *       autoscaling:TEST_NOTIFICATION}.
 * </ul>
 *
 * <p>Never throws: anything else (not JSON, a missing field, an instance id that is not one) is
 * {@link Ignored} with the reason. Instance ids must look like EC2's ({@code i-} and 8 or 17 hex
 * digits), so text from a forged message never reaches a log or a proxy unchecked.
 */
public final class EventParser {
  private static final Pattern INSTANCE_ID = Pattern.compile("i-([0-9a-f]{8}|[0-9a-f]{17})");
  private static final String TERMINATING = "autoscaling:EC2_INSTANCE_TERMINATING";
  private static final String LAUNCHING = "autoscaling:EC2_INSTANCE_LAUNCHING";

  private EventParser() {}

  /** What {@code body} means; {@link Ignored} with the reason when it means nothing to Muster. */
  public static FleetEvent parse(String body) {
    try {
      return parse(JsonNode.parser().parse(body), 0);
    } catch (RuntimeException e) {
      return new Ignored("not a JSON object: " + shorten(e.getMessage()));
    }
  }

  private static FleetEvent parse(JsonNode node, int depth) {
    if (!node.isObject()) {
      return new Ignored("not a JSON object");
    }
    Map<String, JsonNode> m = node.asObject();
    String type = text(m, "Type");
    if ("Notification".equals(type) && depth == 0) {
      String inner = text(m, "Message");
      if (inner == null) {
        return new Ignored("an SNS notification without a Message");
      }
      try {
        return parse(JsonNode.parser().parse(inner), depth + 1);
      } catch (RuntimeException e) {
        return new Ignored("an SNS notification whose Message is not JSON");
      }
    }
    String detailType = text(m, "detail-type");
    if (detailType != null) {
      JsonNode detail = m.get("detail");
      if (detail == null || !detail.isObject()) {
        return new Ignored("EventBridge event '" + shorten(detailType) + "' without a detail");
      }
      return eventBridge(detailType, detail.asObject());
    }
    if ("autoscaling:TEST_NOTIFICATION".equals(text(m, "Event"))) {
      return new FleetEvent.Test(printable(text(m, "AutoScalingGroupName")));
    }
    if (m.containsKey("LifecycleTransition")) {
      return lifecycle(m, "Auto Scaling lifecycle notification");
    }
    return new Ignored("neither an EventBridge event nor an Auto Scaling notification");
  }

  private static FleetEvent eventBridge(String detailType, Map<String, JsonNode> detail) {
    return switch (detailType) {
      case "EC2 Instance State-change Notification" -> {
        String id = text(detail, "instance-id");
        String state = text(detail, "state");
        if (!isInstanceId(id) || state == null) {
          yield new Ignored("a state-change notification without a valid instance-id and state");
        }
        yield new Refresh(List.of(id), "state " + printable(state));
      }
      case "EC2 Instance Rebalance Recommendation" -> {
        String id = text(detail, "instance-id");
        yield isInstanceId(id)
            ? new Refresh(List.of(id), "rebalance recommendation")
            : new Ignored("a rebalance recommendation without a valid instance-id");
      }
      case "EC2 Spot Instance Interruption Warning" -> {
        String id = text(detail, "instance-id");
        String what = text(detail, "instance-action");
        if (!isInstanceId(id)) {
          yield new Ignored("a Spot interruption warning without a valid instance-id");
        }
        yield "terminate".equals(what) || what == null
            ? new Terminating(id, null, "Spot interruption warning")
            : new Refresh(List.of(id), "Spot interruption warning: " + printable(what));
      }
      case "EC2 Instance-terminate Lifecycle Action", "EC2 Instance-launch Lifecycle Action" ->
          lifecycle(detail, "EventBridge '" + detailType + "'");
      default -> new Ignored("EventBridge event '" + shorten(detailType) + "' is not for Muster");
    };
  }

  private static FleetEvent lifecycle(Map<String, JsonNode> m, String what) {
    String transition = text(m, "LifecycleTransition");
    String id = text(m, "EC2InstanceId");
    String token = text(m, "LifecycleActionToken");
    String hook = text(m, "LifecycleHookName");
    String group = text(m, "AutoScalingGroupName");
    if (!isInstanceId(id) || token == null || hook == null || group == null) {
      return new Ignored(what + " without a valid instance id, token, hook and group");
    }
    LifecycleAction action = new LifecycleAction(group, hook, token, id, printable(transition));
    if (TERMINATING.equals(transition)) {
      return new Terminating(id, action, "lifecycle hook " + printable(hook));
    }
    if (LAUNCHING.equals(transition)) {
      return new Launching(id, action);
    }
    return new Ignored(what + " with transition " + shorten(transition));
  }

  /** Whether {@code id} looks like an EC2 instance id. */
  static boolean isInstanceId(String id) {
    return id != null && INSTANCE_ID.matcher(id).matches();
  }

  private static String text(Map<String, JsonNode> m, String field) {
    JsonNode node = m.get(field);
    return node == null || !node.isString() ? null : node.asString();
  }

  /** At most 80 printable ASCII characters, for a log line. */
  private static String shorten(String text) {
    String p = printable(text);
    return p.length() > 80 ? p.substring(0, 77) + "..." : p;
  }

  private static String printable(String text) {
    if (text == null) {
      return "";
    }
    StringBuilder out = new StringBuilder(Math.min(text.length(), 200));
    for (int i = 0; i < text.length() && out.length() < 200; i++) {
      char c = text.charAt(i);
      out.append(c >= 0x20 && c < 0x7f ? c : '?');
    }
    return out.toString();
  }
}
