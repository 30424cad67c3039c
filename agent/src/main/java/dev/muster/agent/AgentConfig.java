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
   * One output: a proxy's file (or HAProxy's runtime API) fed by some backends.
   *
   * @param type {@code haproxy}, {@code nginx}, {@code kamailio} or {@code template}
   * @param mode for haproxy, {@code file} or {@code runtime}; {@code file} otherwise
   * @param sets for kamailio, the dispatcher set id of each backend
   * @param serverOptions for haproxy, the options after every server line, or {@code null}
   * @param backendOptions per backend, the lines at the top of its section (haproxy backend, nginx
   *     upstream)
   * @param backendServerOptions for haproxy, per backend, the server options replacing {@code
   *     serverOptions}
   * @param escape for a template output, the syntax its interpolations are escaped for ({@code
   *     token}, {@code haproxy}, {@code nginx} or {@code kamailio}); {@code null} otherwise
   * @param validate for a template output, the command that checks a candidate ({@code {file}} is
   *     its path), or {@code null}
   * @param maxEntries for kamailio, the longest list its checker accepts, or {@code null} (5,000)
   * @param runtime for haproxy in runtime mode, its settings; {@code null} otherwise
   */
  record Output(
      String name,
      String type,
      String mode,
      Path file,
      Path header,
      Path template,
      List<String> backends,
      Reload reload,
      Path mainConfig,
      Path statsSocket,
      URI rpc,
      Map<String, Integer> sets,
      String serverOptions,
      Map<String, String> backendOptions,
      Map<String, String> backendServerOptions,
      String escape,
      List<String> validate,
      Integer maxEntries,
      RuntimeMode runtime) {}

  /**
   * HAProxy runtime mode: server slots per backend at first, how long a removed member may drain
   * before it is put in maintenance anyway, and how long a new one may take to pass its check.
   */
  record RuntimeMode(int slots, Duration drainTimeout, Duration warmupTimeout) {}

  /** The status listener's address (loopback unless you say otherwise). */
  record Status(String host, int port) {}
}
