package dev.muster.events;

import java.util.List;
import java.util.Objects;

/**
 * What one queue message means for Muster, as {@link EventParser} reads it. Every kind of message
 * maps to exactly one of these; a message Muster cannot use is {@link Ignored}, never an exception.
 */
public sealed interface FleetEvent {

  /** Instances changed state (or are about to be rebalanced): fetch again now. */
  record Refresh(List<String> instanceIds, String reason) implements FleetEvent {
    /** Copies the ids. */
    public Refresh {
      instanceIds = List.copyOf(instanceIds);
      Objects.requireNonNull(reason, "reason");
    }
  }

  /**
   * An instance is about to terminate: drain it now. {@code action} is the lifecycle action to
   * complete once it drained, or {@code null} for a Spot interruption warning (EC2 gives two
   * minutes and waits for no one).
   */
  record Terminating(String instanceId, LifecycleAction action, String reason)
      implements FleetEvent {
    /** Checks the id. */
    public Terminating {
      Objects.requireNonNull(instanceId, "instanceId");
      Objects.requireNonNull(reason, "reason");
    }
  }

  /** An instance is launching and waits on a lifecycle hook ({@code Pending:Wait}). */
  record Launching(String instanceId, LifecycleAction action) implements FleetEvent {
    /** Checks the fields. */
    public Launching {
      Objects.requireNonNull(instanceId, "instanceId");
      Objects.requireNonNull(action, "action");
    }
  }

  /** Auto Scaling's {@code autoscaling:TEST_NOTIFICATION}, sent when a hook or target is set up. */
  record Test(String group) implements FleetEvent {}

  /** Not for Muster, or not readable: logged once and deleted. {@code why} says which. */
  record Ignored(String why) implements FleetEvent {
    /** Checks the reason. */
    public Ignored {
      Objects.requireNonNull(why, "why");
    }
  }

  /**
   * An Auto Scaling lifecycle action: what {@code CompleteLifecycleAction} and {@code
   * RecordLifecycleActionHeartbeat} need.
   *
   * @param group the Auto Scaling group
   * @param hook the lifecycle hook's name
   * @param token the action's token
   * @param instanceId the instance waiting
   * @param transition {@code autoscaling:EC2_INSTANCE_TERMINATING} or {@code ..._LAUNCHING}
   */
  record LifecycleAction(
      String group, String hook, String token, String instanceId, String transition) {
    /** Checks every field. */
    public LifecycleAction {
      Objects.requireNonNull(group, "group");
      Objects.requireNonNull(hook, "hook");
      Objects.requireNonNull(token, "token");
      Objects.requireNonNull(instanceId, "instanceId");
      Objects.requireNonNull(transition, "transition");
    }
  }
}
