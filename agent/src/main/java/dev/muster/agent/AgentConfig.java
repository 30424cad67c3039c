package dev.muster.agent;

import dev.muster.discovery.MemberMapping;
import dev.muster.discovery.Query;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * The agent's configuration, as read from one YAML file by {@link ConfigReader}: checked and typed,
 * with every default filled in.
 *
 * @param file where it was read from
 * @param aws the AWS settings
 * @param backends the backends by name, in file order
 * @param outputs the outputs by name, in file order
 * @param status the status listener, or {@code null} if off
 * @param stateDir where each backend's last good membership is kept, or {@code null}
 * @param events the event intake, or {@code null} if off
 */
record AgentConfig(
    Path file,
    Aws aws,
    Map<String, Backend> backends,
    Map<String, Output> outputs,
    Status status,
    Path stateDir,
    Events events) {

  /**
   * Region ({@code null}: the SDK's settings, then IMDS), the EC2 endpoint, the profile, and the
   * SQS and Auto Scaling endpoints; each {@code null} unless set.
   */
  record Aws(
      String region,
      URI endpoint,
      String profile,
      URI sqsEndpoint,
      URI autoScalingEndpoint,
      URI stsEndpoint,
      String zone) {}

  /**
   * Where a backend's instances are looked for: a region ({@code null}: {@code aws.region}) and an
   * IAM role to assume there ({@code null}: the agent's own credentials), with its external id.
   */
  record Account(String region, String roleArn, String externalId) {
    /** The account id in the role's ARN, or {@code null} without a role. */
    String accountId() {
      return roleArn == null ? null : roleArn.split(":")[4];
    }
  }

  /**
   * The event intake: the queue, the lifecycle hook this agent completes ({@code null}: events only
   * refresh), its timings, and the window over which an event's refresh is spread.
   */
  record Events(
      URI queue,
      String lifecycleHook,
      Duration drainTimeout,
      Duration heartbeatInterval,
      Duration visibilityTimeout,
      boolean launchActions,
      Duration refreshSpread) {}

  /** The loop's settings for one backend: the file's defaults with its own overrides. */
  record Loop(
      Duration interval,
      Duration waitMin,
      Duration waitMax,
      int confirmations,
      double maxRemoval,
      boolean allowEmpty,
      int minMembers,
      Duration holdMin) {}

  /**
   * One backend: which instances, how they become members, and its loop; {@code excludeSelf} leaves
   * out the instance the agent runs on (its id read from IMDS at start).
   */
  record Backend(
      String name,
      Query query,
      MemberMapping mapping,
      Loop loop,
      boolean excludeSelf,
      Duration inServiceCache,
      List<Account> accounts,
      Integer zoneFloor) {
    /** Whether only instances Auto Scaling calls InService count ({@code in_service_only}). */
    boolean inServiceOnly() {
      return inServiceCache != null;
    }
  }

  /** How an output makes its proxy take a new file. */
  record Reload(Path masterSocket, List<String> command) {}

  /**
   * The status listener's address (loopback unless you say otherwise); how old a backend's last
   * successful fetch may be before {@code /healthz} says 503 ({@code null}: three of its intervals
   * plus a minute); the tags that {@code /sd/prometheus} passes on as labels.
   */
  record Status(String host, int port, Duration staleAfter, List<String> sdTags) {
    Status(String host, int port) {
      this(host, port, null, List.of());
    }

    /** How old {@code backend}'s last successful fetch may be before {@code /healthz} says 503. */
    Duration staleAfter(Backend backend) {
      return staleAfter != null
          ? staleAfter
          : backend.loop().interval().multipliedBy(3).plus(Duration.ofMinutes(1));
    }
  }
}
