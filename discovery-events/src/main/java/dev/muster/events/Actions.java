package dev.muster.events;

import dev.muster.events.EventIntake.Handler;
import dev.muster.events.FleetEvent.Launching;
import dev.muster.events.FleetEvent.LifecycleAction;
import dev.muster.events.FleetEvent.Terminating;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.services.sqs.model.Message;

/**
 * The lifecycle actions in progress: a terminate action is checked to be live, drained (kept alive
 * with heartbeats and message visibility while it waits), then completed with {@code CONTINUE}; a
 * launch action is completed once the handler says the instance is ready. A duplicate or
 * redelivered message joins the action in progress.
 */
final class Actions {
  private static final Logger log = LoggerFactory.getLogger("dev.muster.events");

  /**
   * What the actions need of the intake.
   *
   * @param hook this agent's lifecycle hook, or {@code null}
   * @param ignored counts a message that was not acted on
   * @param closed whether the intake closed
   */
  record Settings(
      String hook,
      boolean launchActions,
      Duration drainTimeout,
      Duration heartbeatInterval,
      Duration visibilityTimeout,
      Handler handler,
      Clock clock,
      ExecutorService workers,
      ScheduledExecutorService timers,
      AwsCalls aws,
      Set<String> reasonsLogged,
      Runnable ignored,
      BooleanSupplier closed) {}

  private final String hook;
  private final boolean launchActions;
  private final Duration drainTimeout;
  private final Duration heartbeatInterval;
  private final Duration visibilityTimeout;
  private final Handler handler;
  private final Clock clock;
  private final ExecutorService workers;
  private final ScheduledExecutorService timers;
  private final AwsCalls aws;
  private final Set<String> reasonsLogged;
  private final Runnable ignored;
  private final BooleanSupplier closed;
  private final Map<String, Drain> drains = new ConcurrentHashMap<>();

  Actions(Settings s) {
    this.hook = s.hook();
    this.launchActions = s.launchActions();
    this.drainTimeout = s.drainTimeout();
    this.heartbeatInterval = s.heartbeatInterval();
    this.visibilityTimeout = s.visibilityTimeout();
    this.handler = s.handler();
    this.clock = s.clock();
    this.workers = s.workers();
    this.timers = s.timers();
    this.aws = s.aws();
    this.reasonsLogged = s.reasonsLogged();
    this.ignored = s.ignored();
    this.closed = s.closed();
  }

  /** The instances being drained or waited for. */
  Set<String> instances() {
    return Set.copyOf(drains.values().stream().map(d -> d.instanceId).toList());
  }

  /** A drain in progress, keyed by its action token and instance id (the instance id for Spot). */
  private static final class Drain {
    final String instanceId;
    final LifecycleAction action;
    volatile String messageId;
    volatile String receipt;
    ScheduledFuture<?> keepAlive;

    Drain(String instanceId, LifecycleAction action, Message message) {
      this.instanceId = instanceId;
      this.action = action;
      this.messageId = message.messageId();
      this.receipt = message.receiptHandle();
    }
  }

  void terminating(Terminating t, Message m) {
    LifecycleAction action = t.action();
    if (action != null && !action.hook().equals(hook)) {
      if (reasonsLogged.add("hook " + action.hook())) {
        log.warn(
            "events: a lifecycle action of hook {} reached this agent's queue (its hook is {}); "
                + "refreshing only. Give each agent its own hook and queue",
            action.hook(),
            hook);
      }
      handler.refresh(Set.of(t.instanceId()));
      aws.delete(m.receiptHandle());
      return;
    }
    // The instance is part of the key: a message with another instance's token is not its
    // duplicate.
    String key = action == null ? "spot:" + t.instanceId() : action.token() + "/" + t.instanceId();
    Drain existing = drains.get(key);
    if (existing != null) {
      if (existing.messageId.equals(m.messageId())) {
        existing.receipt = m.receiptHandle(); // redelivered: keep the newest handle
      } else {
        aws.delete(m.receiptHandle()); // a duplicate: the drain in progress holds the original
      }
      log.info("events: {} is already being drained ({})", t.instanceId(), t.reason());
      return;
    }
    Drain drain = new Drain(t.instanceId(), action, m);
    drains.put(key, drain);
    workers.execute(() -> runDrain(key, drain, t.reason()));
  }

  private void runDrain(String key, Drain drain, String reason) {
    Instant start = clock.instant();
    try {
      if (drain.action != null && !aws.live(drain.action, drain.instanceId)) {
        ignored.run();
        log.warn(
            "events: no live lifecycle action of hook {} in group {} for {}: the message is "
                + "replayed, forged, misrouted or late; not draining",
            drain.action.hook(),
            drain.action.group(),
            drain.instanceId);
        handler.refresh(Set.of(drain.instanceId));
        aws.delete(drain.receipt);
        return;
      }
      log.info("events: draining {} before it terminates ({})", drain.instanceId, reason);
      startKeepAlive(drain);
      Future<?> work =
          workers.submit(
              () -> {
                handler.drain(drain.instanceId);
                return null;
              });
      try {
        work.get(drainTimeout.toMillis(), TimeUnit.MILLISECONDS);
        log.info(
            "events: {} drained in {} ms",
            drain.instanceId,
            Duration.between(start, clock.instant()).toMillis());
      } catch (TimeoutException e) {
        work.cancel(true);
        log.warn(
            "events: {} not drained within {} s; completing anyway",
            drain.instanceId,
            drainTimeout.toSeconds());
      } catch (java.util.concurrent.ExecutionException e) {
        log.warn(
            "events: draining {} failed: {}; completing anyway",
            drain.instanceId,
            e.getCause().toString());
      }
      if (drain.action != null) {
        aws.complete(drain.action, "CONTINUE");
      }
      aws.delete(drain.receipt);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      if (drain.keepAlive != null) {
        drain.keepAlive.cancel(false);
      }
      drains.remove(key);
    }
  }

  void launching(Launching l, Message m) {
    LifecycleAction action = l.action();
    handler.refresh(Set.of(l.instanceId()));
    if (!launchActions || !action.hook().equals(hook)) {
      aws.delete(m.receiptHandle());
      return;
    }
    String key = action.token();
    if (drains.containsKey(key)) {
      drains.get(key).receipt = m.receiptHandle();
      return;
    }
    Drain wait = new Drain(l.instanceId(), action, m);
    drains.put(key, wait);
    startKeepAlive(wait);
    workers.execute(
        () -> {
          try {
            Instant deadline = clock.instant().plus(drainTimeout);
            while (!closed.getAsBoolean()
                && !handler.ready(l.instanceId())
                && clock.instant().isBefore(deadline)) {
              handler.refresh(Set.of(l.instanceId()));
              aws.sleep(1_000);
            }
            if (handler.ready(l.instanceId())) {
              aws.complete(action, "CONTINUE");
            } else {
              log.warn(
                  "events: launching {} not ready within {} s; its hook's own timeout decides",
                  l.instanceId(),
                  drainTimeout.toSeconds());
            }
            aws.delete(wait.receipt);
          } finally {
            wait.keepAlive.cancel(false);
            drains.remove(key);
          }
        });
  }

  /** Heartbeats and visibility every heartbeat interval (at most half the visibility timeout). */
  private void startKeepAlive(Drain drain) {
    long period =
        Math.max(1_000, Math.min(heartbeatInterval.toMillis(), visibilityTimeout.toMillis() / 2));
    drain.keepAlive =
        timers.scheduleAtFixedRate(
            () -> aws.keepAlive(drain.action, drain.receipt, drain.instanceId),
            period,
            period,
            TimeUnit.MILLISECONDS);
  }
}
