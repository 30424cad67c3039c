package dev.muster.events;

import dev.muster.discovery.Drain.Sleeper;
import dev.muster.discovery.internal.SdkClients;
import dev.muster.events.FleetEvent.Ignored;
import dev.muster.events.FleetEvent.Launching;
import dev.muster.events.FleetEvent.Refresh;
import dev.muster.events.FleetEvent.Terminating;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.services.autoscaling.AutoScalingClient;
import software.amazon.awssdk.services.autoscaling.AutoScalingClientBuilder;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.SqsClientBuilder;
import software.amazon.awssdk.services.sqs.model.Message;

/**
 * Fleet events from one SQS queue: long polling, at-least-once. Each message is read by {@link
 * EventParser} and deleted only once it was handled:
 *
 * <ul>
 *   <li>a state change or rebalance recommendation asks the {@link Handler} to refresh (the loops
 *       fetch at once; polling stays the source of truth, so a lost event costs latency only);
 *   <li>a terminate lifecycle action for this agent's hook, once a heartbeat by instance id shows
 *       that Auto Scaling holds a live action for that instance (a replayed, forged, misrouted or
 *       late message drains nothing: it refreshes and is deleted), drains the instance on every
 *       output ({@link Handler#drain}), sending {@code RecordLifecycleActionHeartbeat} and
 *       extending the message's visibility while it waits, then completes the action with {@code
 *       CONTINUE} (at the latest after the drain timeout) and deletes the message. A Spot
 *       interruption warning drains the same way, with no action to complete;
 *   <li>a launch lifecycle action for this hook, with launch actions on, is completed once the
 *       handler says the instance is ready (its health check passes);
 *   <li>anything else (not JSON, not for Muster, another hook's action) is logged once per reason
 *       and deleted, so it can neither crash the intake nor stick in the queue.
 * </ul>
 *
 * <p><b>Idempotent.</b> A redelivered message or a duplicate of an action being drained joins the
 * drain in progress; an action already completed (by this process, another, or the hook's timeout)
 * answers {@code ValidationError}, which counts as done. After a restart mid-drain the message
 * comes back once its visibility lapses and the drain is done again (quickly: the member is already
 * out or gone).
 *
 * <p><b>Faults.</b> A failed receive (SQS unreachable, throttled, 500s) is retried with jittered
 * backoff from 1 s to 60 s; {@link #status()} counts it. {@code CompleteLifecycleAction} is retried
 * the same way until it succeeds or the action is gone. Every call has a timeout.
 *
 * <p>Thread-safe. {@link #close()} stops polling and the timers; drains in progress are abandoned
 * (their messages come back to this or another agent).
 *
 * <p>The actions in progress are kept by {@code Actions}; the calls to SQS and Auto Scaling, with
 * their retries, are {@code AwsCalls}.
 */
public final class EventIntake implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger("dev.muster.events");

  /** What the agent does for events: fetch, drain, and say whether a new member is ready. */
  public interface Handler {
    /** Fetch again now, ahead of the next interval; {@code instanceIds} are the ones concerned. */
    void refresh(Set<String> instanceIds);

    /**
     * Takes {@code instanceId} out of every output that holds it and returns once it drained
     * (sessions ended, or the outputs' own drain timeouts passed). Called on a worker thread; may
     * block. Bounded by the intake's drain timeout.
     */
    void drain(String instanceId) throws Exception;

    /** Whether a launching instance can take traffic (it is applied and passed its check). */
    default boolean ready(String instanceId) {
      return true;
    }
  }

  /** Counters and state for status pages and metrics. */
  public record Status(
      long received,
      long handled,
      long ignored,
      long receiveFailures,
      int consecutiveFailures,
      String lastError,
      Set<String> draining,
      long completed,
      long heartbeats) {}

  private final SqsClient sqs;
  private final AutoScalingClient autoScaling;
  private final boolean ownsClients;
  private final String queueUrl;
  private final String hook;
  private final Handler handler;
  private final ExecutorService workers;
  private final ScheduledExecutorService timers;
  private final Set<String> reasonsLogged = ConcurrentHashMap.newKeySet();
  private final AtomicLong received = new AtomicLong();
  private final AtomicLong handled = new AtomicLong();
  private final AtomicLong ignored = new AtomicLong();
  private final AtomicLong receiveFailures = new AtomicLong();
  private final AwsCalls aws;
  private final Actions actions;
  private volatile int consecutiveFailures;
  private volatile String lastError;
  private volatile boolean closed;
  private Thread poller;

  private EventIntake(Builder b, SqsClient sqs, AutoScalingClient autoScaling, boolean owns) {
    this.sqs = sqs;
    this.autoScaling = autoScaling;
    this.ownsClients = owns;
    this.queueUrl = b.queueUrl;
    this.hook = b.hook;
    this.handler = b.handler;
    this.aws =
        new AwsCalls(
            sqs,
            autoScaling,
            b.queueUrl,
            b.visibilityTimeout,
            b.drainTimeout,
            b.clock,
            b.sleeper,
            () -> closed);
    this.workers =
        Executors.newCachedThreadPool(
            r -> {
              Thread t = new Thread(r, "muster-events-drain");
              t.setDaemon(true);
              return t;
            });
    this.timers =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "muster-events-timer");
              t.setDaemon(true);
              return t;
            });
    this.actions =
        new Actions(
            new Actions.Settings(
                b.hook,
                b.launchActions,
                b.drainTimeout,
                b.heartbeatInterval,
                b.visibilityTimeout,
                b.handler,
                b.clock,
                workers,
                timers,
                aws,
                reasonsLogged,
                ignored::incrementAndGet,
                () -> closed));
  }

  /** A new builder; a queue URL, a handler, and clients or a region are required. */
  public static Builder newBuilder() {
    return new Builder();
  }

  /** Starts polling on a daemon thread. */
  public synchronized void start() {
    if (poller != null) {
      throw new IllegalStateException("already started");
    }
    poller = new Thread(this::poll, "muster-events");
    poller.setDaemon(true);
    poller.start();
    log.info(
        "events: polling {}{}",
        queueUrl,
        hook == null ? " (refresh only)" : ", completing lifecycle hook " + hook);
  }

  /** Counters and the drains in progress. */
  public Status status() {
    return new Status(
        received.get(),
        handled.get(),
        ignored.get(),
        receiveFailures.get(),
        consecutiveFailures,
        lastError,
        actions.instances(),
        aws.completed.get(),
        aws.heartbeats.get());
  }

  /** Receives and handles one batch now (one long poll of up to {@code waitSeconds}). */
  int pollOnce(int waitSeconds) {
    List<Message> messages = aws.receive(waitSeconds);
    for (Message m : messages) {
      received.incrementAndGet();
      try {
        dispatch(m);
      } catch (RuntimeException e) {
        // The message stays; it comes back after its visibility timeout.
        log.error(
            "events: message {} not handled, it will come back: {}", m.messageId(), e.toString());
      }
    }
    return messages.size();
  }

  private void poll() {
    while (!closed) {
      try {
        pollOnce(20);
        if (consecutiveFailures > 0) {
          log.info("events: receiving from {} works again", queueUrl);
        }
        consecutiveFailures = 0;
        lastError = null;
      } catch (RuntimeException e) {
        if (closed) {
          return;
        }
        receiveFailures.incrementAndGet();
        consecutiveFailures++;
        lastError = e.getMessage();
        long delay = AwsCalls.backoff(consecutiveFailures, 1_000, 60_000);
        log.warn(
            "events: receiving from {} failed ({} in a row), polling continues; next try in {} ms: {}",
            queueUrl,
            consecutiveFailures,
            delay,
            e.getMessage());
        aws.sleep(delay);
      }
    }
  }

  private void dispatch(Message m) {
    FleetEvent event = EventParser.parse(m.body());
    if (event instanceof Ignored i) {
      ignored.incrementAndGet();
      if (reasonsLogged.add(i.why())) {
        log.warn(
            "events: ignored and deleted message {}: {} (logged once per reason)",
            m.messageId(),
            i.why());
      }
      aws.delete(m.receiptHandle());
    } else if (event instanceof FleetEvent.Test t) {
      log.info("events: Auto Scaling test notification for group {}: the queue works", t.group());
      aws.delete(m.receiptHandle());
    } else if (event instanceof Refresh r) {
      handler.refresh(Set.copyOf(r.instanceIds()));
      aws.delete(m.receiptHandle());
    } else if (event instanceof Terminating t) {
      actions.terminating(t, m);
    } else if (event instanceof Launching l) {
      actions.launching(l, m);
    }
    handled.incrementAndGet();
  }

  @Override
  public void close() {
    closed = true;
    Thread p;
    synchronized (this) {
      p = poller;
    }
    if (p != null) {
      p.interrupt();
    }
    timers.shutdownNow();
    workers.shutdownNow();
    if (ownsClients) {
      sqs.close();
      autoScaling.close();
    }
  }

  /** Builds an {@link EventIntake}. Not thread-safe. */
  public static final class Builder {
    private SqsClient sqs;
    private AutoScalingClient autoScaling;
    private String region;
    private URI sqsEndpoint;
    private URI autoScalingEndpoint;
    private AwsCredentialsProvider credentials;
    private String queueUrl;
    private String hook;
    private Duration drainTimeout = Duration.ofSeconds(300);
    private Duration heartbeatInterval = Duration.ofSeconds(60);
    private Duration visibilityTimeout = Duration.ofSeconds(120);
    private boolean launchActions;
    private Handler handler;
    private Clock clock = Clock.systemUTC();
    private Sleeper sleeper = Sleeper.SYSTEM;

    private Builder() {}

    /** Uses these clients as configured; the intake does not close them. */
    public Builder clients(SqsClient sqs, AutoScalingClient autoScaling) {
      this.sqs = Objects.requireNonNull(sqs, "sqs");
      this.autoScaling = Objects.requireNonNull(autoScaling, "autoScaling");
      return this;
    }

    /** Builds clients for this region (with timeouts: 5 s to connect, 30 s per read). */
    public Builder region(String region) {
      this.region = Objects.requireNonNull(region, "region");
      return this;
    }

    /** Endpoints other than the region's (VPC endpoints, stand-ins); either may be null. */
    public Builder endpoints(URI sqs, URI autoScaling) {
      this.sqsEndpoint = sqs;
      this.autoScalingEndpoint = autoScaling;
      return this;
    }

    /** Credentials for clients built here; the SDK's default chain unless set. */
    public Builder credentials(AwsCredentialsProvider credentials) {
      this.credentials = Objects.requireNonNull(credentials, "credentials");
      return this;
    }

    /** The queue's URL. Required. */
    public Builder queueUrl(String queueUrl) {
      this.queueUrl = Objects.requireNonNull(queueUrl, "queueUrl");
      return this;
    }

    /** The lifecycle hook this agent completes; unset, lifecycle actions only refresh. */
    public Builder lifecycleHook(String hook) {
      this.hook = hook;
      return this;
    }

    /** Completes with CONTINUE at the latest this long after a drain began; 300 s unless set. */
    public Builder drainTimeout(Duration timeout) {
      this.drainTimeout = positive("drainTimeout", timeout);
      return this;
    }

    /**
     * How often a waiting action gets a heartbeat (well under the hook's heartbeat timeout, 3,600 s
     * by default on AWS); 60 s unless set.
     */
    public Builder heartbeatInterval(Duration interval) {
      this.heartbeatInterval = positive("heartbeatInterval", interval);
      return this;
    }

    /** How long a received message stays invisible, extended while its drain runs; 120 s. */
    public Builder visibilityTimeout(Duration timeout) {
      Duration t = positive("visibilityTimeout", timeout);
      if (t.toSeconds() < 2 || t.toSeconds() > 43_200) {
        throw new IllegalArgumentException("visibilityTimeout must be 2 s to 12 h: " + t);
      }
      this.visibilityTimeout = t;
      return this;
    }

    /** Completes launch actions of the hook once the handler says the instance is ready. */
    public Builder launchActions(boolean on) {
      this.launchActions = on;
      return this;
    }

    /** What to do for events. Required. */
    public Builder handler(Handler handler) {
      this.handler = Objects.requireNonNull(handler, "handler");
      return this;
    }

    /**
     * The clock and the pauses of drains, heartbeats, retries and backoff; the system's unless set
     * (tests move a hand-driven clock).
     */
    public Builder time(Clock clock, Sleeper sleeper) {
      this.clock = Objects.requireNonNull(clock, "clock");
      this.sleeper = Objects.requireNonNull(sleeper, "sleeper");
      return this;
    }

    /**
     * Builds the intake (and its clients unless given). Nothing is received before {@link
     * EventIntake#start()}.
     *
     * @throws IllegalStateException naming the missing setting
     */
    public EventIntake build() {
      if (queueUrl == null) {
        throw new IllegalStateException("queueUrl is not set");
      }
      if (handler == null) {
        throw new IllegalStateException("handler is not set");
      }
      if (sqs != null) {
        return new EventIntake(this, sqs, autoScaling, false);
      }
      if (region == null) {
        throw new IllegalStateException("region is not set: call region(...) or clients(...)");
      }
      // Long polling waits 20 s: SdkClients' 30 s read timeout leaves room for it.
      SqsClientBuilder s =
          SdkClients.base(SqsClient.builder(), region, credentials)
              .overrideConfiguration(
                  o ->
                      o.apiCallAttemptTimeout(Duration.ofSeconds(30))
                          .apiCallTimeout(Duration.ofSeconds(90)));
      AutoScalingClientBuilder a =
          SdkClients.base(AutoScalingClient.builder(), region, credentials)
              .overrideConfiguration(
                  o ->
                      o.apiCallAttemptTimeout(Duration.ofSeconds(15))
                          .apiCallTimeout(Duration.ofSeconds(60)));
      if (sqsEndpoint != null) {
        s.endpointOverride(sqsEndpoint);
      }
      if (autoScalingEndpoint != null) {
        a.endpointOverride(autoScalingEndpoint);
      }
      return new EventIntake(this, s.build(), a.build(), true);
    }

    private static Duration positive(String name, Duration d) {
      Objects.requireNonNull(d, name);
      if (d.isNegative() || d.isZero()) {
        throw new IllegalArgumentException(name + " must be positive: " + d);
      }
      return d;
    }
  }
}
