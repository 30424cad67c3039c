package dev.muster.testkit;

import com.sun.net.httpserver.HttpExchange;
import dev.muster.testkit.internal.Clients;
import dev.muster.testkit.internal.LifecycleNotifications;
import dev.muster.testkit.internal.LoopbackServer;
import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import software.amazon.awssdk.services.autoscaling.AutoScalingClient;
import software.amazon.awssdk.services.autoscaling.AutoScalingClientBuilder;

/**
 * A stand-in for EC2 Auto Scaling's lifecycle hooks on 127.0.0.1, speaking the Query protocol
 * (form-encoded {@code Action=CompleteLifecycleAction&Version=2011-01-01}, XML answers,
 * SigV4-signed) for {@code CompleteLifecycleAction}, {@code RecordLifecycleActionHeartbeat} and
 * {@code DescribeAutoScalingInstances}, with a lifecycle driver: {@link #terminate} puts an
 * instance in {@code Terminating:Wait}, sends each terminate hook's notification to its SQS queue,
 * honours heartbeats and the heartbeat timeout, and terminates the instance in the fleet once every
 * hook completed or timed out (the instance keeps running until then, as on AWS). {@link #launch}
 * does the same for launch hooks: the instance runs, and becomes {@code InService} when its hooks
 * complete.
 *
 * <p>Thread-safe. Close it to free the port and stop the timeout timers.
 */
public final class FakeAutoScaling implements AutoCloseable {
  private static final String TERMINATING = "autoscaling:EC2_INSTANCE_TERMINATING";
  private static final String LAUNCHING = "autoscaling:EC2_INSTANCE_LAUNCHING";

  /** How a hook's notification reaches its queue. */
  public enum Format {
    /** EventBridge's {@code EC2 Instance-terminate Lifecycle Action} event (a rule to SQS). */
    EVENTBRIDGE,
    /** Auto Scaling's own lifecycle notification, sent straight to SQS. */
    AUTO_SCALING,
    /** Auto Scaling's notification published to SNS, delivered to SQS without raw delivery. */
    SNS_AUTO_SCALING
  }

  /** A hook's answer, as {@code CompleteLifecycleAction} recorded it, or its timeout's. */
  public record Completion(
      String hook, String instanceId, String token, String result, Instant at, boolean timedOut) {}

  private record Hook(
      String group,
      String name,
      String transition,
      FakeSqs sqs,
      String queueUrl,
      Duration heartbeatTimeout,
      String defaultResult,
      Format format) {}

  private final class Action {
    final Hook hook;
    final String instanceId;
    final String token = UUID.randomUUID().toString();
    ScheduledFuture<?> timeout;
    boolean done;
    int heartbeats;

    Action(Hook hook, String instanceId) {
      this.hook = hook;
      this.instanceId = instanceId;
    }
  }

  private final SimulatedFleet fleet;
  private final LoopbackServer server;
  private final ScheduledExecutorService timers =
      Executors.newSingleThreadScheduledExecutor(
          r -> {
            Thread t = new Thread(r, "fake-autoscaling-timer");
            t.setDaemon(true);
            return t;
          });
  private final List<Hook> hooks = new ArrayList<>();
  private final Map<String, Action> byToken = new HashMap<>();
  private final Map<String, String> states = new TreeMap<>();
  private final List<Completion> completions = new ArrayList<>();
  private final Deque<String[]> faults = new ArrayDeque<>();
  private final List<Map<String, String>> requests = new ArrayList<>();
  private final AtomicLong requestIds = new AtomicLong();

  private FakeAutoScaling(SimulatedFleet fleet) {
    this.fleet = fleet;
    this.server = LoopbackServer.start("fake-autoscaling", this::handle);
  }

  /** Starts a fake driving {@code fleet} (the fleet a {@link FakeEc2} serves). */
  public static FakeAutoScaling start(SimulatedFleet fleet) {
    return new FakeAutoScaling(Objects.requireNonNull(fleet, "fleet"));
  }

  /** The endpoint, {@code http://127.0.0.1:PORT}, for {@code endpointOverride}. */
  public URI endpoint() {
    return server.uri();
  }

  /** A client builder preset for this fake: endpoint, region, dummy credentials, 5 s timeouts. */
  public AutoScalingClientBuilder clientBuilder() {
    return AutoScalingClient.builder()
        .endpointOverride(endpoint())
        .region(FakeEc2.REGION)
        .credentialsProvider(Clients.credentials())
        .httpClient(Clients.http(Duration.ofSeconds(5)));
  }

  /**
   * Adds a terminate lifecycle hook to {@code group}: its notifications go to {@code queueUrl} in
   * {@code format}; without a heartbeat or completion within {@code heartbeatTimeout} the action
   * ends with {@code defaultResult} ({@code CONTINUE} or {@code ABANDON}).
   */
  public FakeAutoScaling terminateHook(
      String group,
      String name,
      FakeSqs sqs,
      String queueUrl,
      Duration heartbeatTimeout,
      String defaultResult,
      Format format) {
    return hook(
        new Hook(group, name, TERMINATING, sqs, queueUrl, heartbeatTimeout, defaultResult, format));
  }

  /** Adds a launch lifecycle hook to {@code group}, as {@link #terminateHook} does. */
  public FakeAutoScaling launchHook(
      String group,
      String name,
      FakeSqs sqs,
      String queueUrl,
      Duration heartbeatTimeout,
      String defaultResult,
      Format format) {
    return hook(
        new Hook(group, name, LAUNCHING, sqs, queueUrl, heartbeatTimeout, defaultResult, format));
  }

  private synchronized FakeAutoScaling hook(Hook hook) {
    hooks.add(hook);
    return this;
  }

  /**
   * Scale-in of {@code instanceId} from {@code group}: it enters {@code Terminating:Wait} and each
   * terminate hook of the group is notified; it is terminated in the fleet once every hook's action
   * completed or timed out. With no hook it is terminated at once.
   *
   * @return the lifecycle action tokens, by hook name
   */
  public synchronized Map<String, String> terminate(String group, String instanceId) {
    return transition(
        group, instanceId, "autoscaling:EC2_INSTANCE_TERMINATING", "Terminating:Wait");
  }

  /**
   * Scale-out: {@code instanceId} (already launched in the fleet) enters {@code Pending:Wait} and
   * each launch hook is notified; it becomes {@code InService} once every hook completed or timed
   * out.
   */
  public synchronized Map<String, String> launch(String group, String instanceId) {
    return transition(group, instanceId, LAUNCHING, "Pending:Wait");
  }

  /** The instance's lifecycle state as Auto Scaling reports it, or {@code null} if unknown. */
  public synchronized String lifecycleState(String instanceId) {
    return states.get(instanceId);
  }

  /** Every completion so far (by a call or a timeout), in order. */
  public synchronized List<Completion> completions() {
    return List.copyOf(completions);
  }

  /** Heartbeats recorded for the action of {@code hook} on {@code instanceId}. */
  public synchronized int heartbeats(String hook, String instanceId) {
    return byToken.values().stream()
        .filter(a -> a.hook.name.equals(hook) && a.instanceId.equals(instanceId))
        .mapToInt(a -> a.heartbeats)
        .sum();
  }

  /** The requests received so far (form parameters), in order. */
  public synchronized List<Map<String, String>> requests() {
    return List.copyOf(requests);
  }

  /** Answers the next {@code count} requests with this error ({@code Throttling}, 400, say). */
  public synchronized FakeAutoScaling failNext(int count, int status, String code) {
    for (int i = 0; i < count; i++) {
      faults.add(new String[] {Integer.toString(status), code});
    }
    return this;
  }

  @Override
  public void close() {
    timers.shutdownNow();
    server.close();
  }

  private Map<String, String> transition(
      String group, String instanceId, String transition, String waitState) {
    Map<String, String> tokens = new LinkedHashMap<>();
    states.put(instanceId, waitState);
    for (Hook hook : hooks) {
      if (hook.group.equals(group) && hook.transition.equals(transition)) {
        Action action = new Action(hook, instanceId);
        byToken.put(action.token, action);
        tokens.put(hook.name, action.token);
        arm(action);
        hook.sqs.send(hook.queueUrl, notification(action));
      }
    }
    if (tokens.isEmpty()) {
      proceed(instanceId, transition);
    }
    return tokens;
  }

  private void arm(Action action) {
    if (action.timeout != null) {
      action.timeout.cancel(false);
    }
    action.timeout =
        timers.schedule(
            () -> {
              synchronized (this) {
                if (!action.done) {
                  finish(action, action.hook.defaultResult, true);
                }
              }
            },
            action.hook.heartbeatTimeout.toMillis(),
            TimeUnit.MILLISECONDS);
  }

  private void finish(Action action, String result, boolean timedOut) {
    action.done = true;
    if (action.timeout != null) {
      action.timeout.cancel(false);
    }
    completions.add(
        new Completion(
            action.hook.name, action.instanceId, action.token, result, Instant.now(), timedOut));
    boolean allDone =
        byToken.values().stream()
            .filter(a -> a.instanceId.equals(action.instanceId))
            .allMatch(a -> a.done);
    if (allDone) {
      proceed(action.instanceId, action.hook.transition);
    }
  }

  private void proceed(String instanceId, String transition) {
    if (transition.endsWith("TERMINATING")) {
      states.put(instanceId, "Terminated");
      if (fleet.get(instanceId).isPresent()) {
        fleet.terminate(instanceId);
      }
    } else {
      states.put(instanceId, "InService");
    }
  }

  private String notification(Action action) {
    Hook hook = action.hook;
    return LifecycleNotifications.of(
        hook.format.name(),
        hook.group,
        hook.name,
        hook.transition,
        action.token,
        action.instanceId,
        Instant.now());
  }

  private void handle(HttpExchange exchange) throws IOException {
    try (exchange) {
      Map<String, String> params = LoopbackServer.params(exchange);
      String requestId =
          String.format("%08d-0000-4000-8000-000000000000", requestIds.incrementAndGet());
      String auth = exchange.getRequestHeaders().getFirst("Authorization");
      String[] fault;
      synchronized (this) {
        requests.add(params);
        fault = faults.poll();
      }
      String action = params.getOrDefault("Action", "");
      try {
        if (auth == null || !auth.startsWith("AWS4-HMAC-SHA256 Credential=")) {
          throw new QueryError(
              403, "MissingAuthenticationToken", "Request is missing a SigV4 signature");
        }
        if (fault != null) {
          throw new QueryError(Integer.parseInt(fault[0]), fault[1], "Injected " + fault[1]);
        }
        String result = "";
        switch (action) {
          case "CompleteLifecycleAction" -> complete(params);
          case "RecordLifecycleActionHeartbeat" -> heartbeat(params);
          case "DescribeAutoScalingInstances" -> result = describeInstances(params);
          default -> throw new QueryError(400, "InvalidAction", "Not supported here: " + action);
        }
        LoopbackServer.respond(
            exchange,
            200,
            "text/xml",
            "<"
                + action
                + "Response xmlns=\"http://autoscaling.amazonaws.com/doc/2011-01-01/\">\n"
                + "  <"
                + action
                + "Result>"
                + result
                + "</"
                + action
                + "Result>\n"
                + "  <ResponseMetadata><RequestId>"
                + requestId
                + "</RequestId></ResponseMetadata>\n"
                + "</"
                + action
                + "Response>\n");
      } catch (QueryError e) {
        LoopbackServer.respond(
            exchange,
            e.status,
            "text/xml",
            "<ErrorResponse xmlns=\"http://autoscaling.amazonaws.com/doc/2011-01-01/\">"
                + "<Error><Type>"
                + (e.status >= 500 ? "Receiver" : "Sender")
                + "</Type><Code>"
                + e.code
                + "</Code><Message>"
                + LifecycleNotifications.escape(e.getMessage())
                + "</Message></Error>"
                + "<RequestId>"
                + requestId
                + "</RequestId></ErrorResponse>");
      }
    }
  }

  /**
   * {@code DescribeAutoScalingInstances} for the given {@code InstanceIds} (at most 50, as AWS
   * allows), or for every instance in a group: those of the fleet tagged with a group ({@link
   * SimulatedFleet#AUTO_SCALING_GROUP_TAG}) and not terminated, in their lifecycle state: the one a
   * hook holds them in, else {@code Pending} (EC2 pending), {@code InService} (running), {@code
   * Terminating} (shutting down) or {@code Standby} (stopping, stopped).
   */
  private synchronized String describeInstances(Map<String, String> params) {
    List<String> ids = new ArrayList<>();
    for (int i = 1; params.containsKey("InstanceIds.member." + i); i++) {
      ids.add(params.get("InstanceIds.member." + i));
    }
    if (ids.size() > 50) {
      throw new QueryError(
          400,
          "ValidationError",
          "The number of instance ids that may be passed in is limited to 50");
    }
    List<FakeInstance> candidates =
        ids.isEmpty()
            ? fleet.instances()
            : ids.stream().map(fleet::get).flatMap(java.util.Optional::stream).toList();
    StringBuilder xml = new StringBuilder("<AutoScalingInstances>");
    for (FakeInstance i : candidates) {
      String group = i.tags().get(SimulatedFleet.AUTO_SCALING_GROUP_TAG);
      if (group == null || i.state() == FakeInstance.State.TERMINATED) {
        continue;
      }
      String state = states.get(i.instanceId());
      if (state == null || state.equals("Terminated")) {
        state =
            switch (i.state()) {
              case PENDING -> "Pending";
              case RUNNING -> "InService";
              case SHUTTING_DOWN -> "Terminating";
              default -> "Standby";
            };
      }
      xml.append(LifecycleNotifications.instanceXml(i, group, state));
    }
    return xml.append("</AutoScalingInstances>").toString();
  }

  private synchronized void complete(Map<String, String> params) {
    Action action = find(params);
    String result = params.get("LifecycleActionResult");
    if (!"CONTINUE".equals(result) && !"ABANDON".equals(result)) {
      throw new QueryError(
          400, "ValidationError", "LifecycleActionResult must be CONTINUE or ABANDON");
    }
    finish(action, result, false);
  }

  private synchronized void heartbeat(Map<String, String> params) {
    Action action = find(params);
    action.heartbeats++;
    arm(action);
  }

  private Action find(Map<String, String> params) {
    String token = params.get("LifecycleActionToken");
    String hook = params.get("LifecycleHookName");
    String group = params.get("AutoScalingGroupName");
    String instance = params.get("InstanceId");
    for (Action a : byToken.values()) {
      boolean matches =
          token != null ? a.token.equals(token) : instance != null && a.instanceId.equals(instance);
      if (matches && !a.done && a.hook.name.equals(hook) && a.hook.group.equals(group)) {
        return a;
      }
    }
    throw new QueryError(
        400,
        "ValidationError",
        "No active Lifecycle Action found with token " + token + " (instance " + instance + ")");
  }

  private static final class QueryError extends RuntimeException {
    private static final long serialVersionUID = 1L;
    final int status;
    final String code;

    QueryError(int status, String code, String message) {
      super(message);
      this.status = status;
      this.code = code;
    }
  }
}
