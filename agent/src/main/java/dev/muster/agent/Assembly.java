package dev.muster.agent;

import dev.muster.agent.AgentConfig.Backend;
import dev.muster.discovery.ConfigPipeline;
import dev.muster.discovery.Discovery;
import dev.muster.discovery.Drain;
import dev.muster.discovery.Ec2MembershipSource;
import dev.muster.discovery.InstanceIdentity;
import dev.muster.discovery.MembershipSource;
import dev.muster.discovery.SharedWalks;
import dev.muster.discovery.Sink;
import dev.muster.discovery.internal.SdkClients;
import dev.muster.events.EventIntake;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.IntSupplier;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.ProfileCredentialsProvider;
import software.amazon.awssdk.services.autoscaling.AutoScalingClient;
import software.amazon.awssdk.services.autoscaling.AutoScalingClientBuilder;
import software.amazon.awssdk.services.sts.StsClient;
import software.amazon.awssdk.services.sts.StsClientBuilder;
import software.amazon.awssdk.services.sts.auth.StsAssumeRoleCredentialsProvider;

/**
 * A configuration made real: one discovery loop per backend, one pipeline per output, each loop
 * feeding the pipelines of the outputs that name its backend. Closing it closes them all.
 */
final class Assembly implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger("dev.muster.agent");

  final Map<String, Discovery> loops = new LinkedHashMap<>();
  final Map<String, ConfigPipeline> pipelines = new LinkedHashMap<>();

  /** Per output, how many times its proxy was reloaded (for {@code /metrics}). */
  final Map<String, IntSupplier> reloads = new LinkedHashMap<>();

  /** Per nginx dynamic-mode output: renders per backend that failed open (every member failing). */
  final Map<String, Supplier<Map<String, Long>>> failOpen = new LinkedHashMap<>();

  private final List<AutoCloseable> sinks = new ArrayList<>();

  /**
   * Backends with the same query share one walk, and one EC2 client: a walk is handed on within
   * half the shortest interval, so each distinct query costs one walk per tick.
   */
  final SharedWalks walks;

  final AgentConfig config;

  /** Where dry-run diffs go, or {@code null} to apply for real. */
  private final Consumer<String> dryRun;

  /** The region the agent's own clients use (a member tagged muster:region was found in that). */
  String region;

  /** Built for once or render: outputs make one attempt, never a retry. */
  private boolean oneShot;

  private Assembly(AgentConfig config, Consumer<String> dryRun, SharedWalks walks) {
    this.config = config;
    this.dryRun = dryRun;
    this.walks = walks;
  }

  /**
   * Builds everything {@code config} describes, with EC2 clients for {@code region}.
   *
   * @throws IllegalArgumentException naming the output or backend whose settings a builder refused
   */
  static Assembly of(AgentConfig config, String region) {
    return of(config, region, null);
  }

  /**
   * For {@code muster run}: as {@link #of(AgentConfig, String)}, and each output waits {@link
   * #COALESCE} after a publication so that backends publishing the same change are rendered once.
   */
  static Assembly forLoop(AgentConfig config, String region) {
    return forLoop(config, region, null);
  }

  /**
   * As {@link #forLoop(AgentConfig, String)}, replacing {@code previous} (a SIGHUP): each backend
   * that {@code previous} also had continues from its loop's membership and guard, so a reload
   * never publishes what the guard held. Close {@code previous} before starting this one.
   */
  static Assembly forLoop(AgentConfig config, String region, Assembly previous) {
    Assembly assembly = of(config, region, null, COALESCE, previous);
    AgentConfig.Events events = config.events();
    if (events != null) {
      try {
        EventIntake.Builder intake =
            EventIntake.newBuilder()
                .region(region)
                .endpoints(config.aws().sqsEndpoint(), config.aws().autoScalingEndpoint())
                .queueUrl(events.queue().toString())
                .lifecycleHook(events.lifecycleHook())
                .drainTimeout(events.drainTimeout())
                .heartbeatInterval(events.heartbeatInterval())
                .visibilityTimeout(events.visibilityTimeout())
                .launchActions(events.launchActions())
                .handler(
                    new FleetEvents(
                        assembly,
                        events.drainTimeout(),
                        events.refreshSpread(),
                        Clock.systemUTC(),
                        Drain.Sleeper.SYSTEM));
        if (assembly.credentials != null) {
          intake.credentials(assembly.credentials);
        }
        assembly.events = intake.build();
      } catch (RuntimeException e) {
        assembly.close();
        throw e;
      }
    }
    return assembly;
  }

  /**
   * The agent's own instance id, read from IMDS once, only if a backend leaves it out or an output
   * needs it (DMQ peers).
   */
  private final Supplier<String> self = memoize(() -> InstanceIdentity.fetch().instanceId());

  /** The event intake of the loop, or {@code null}; started with the loops. */
  EventIntake events;

  /** The credentials every client uses, or {@code null} for the SDK's default chain. */
  private AwsCredentialsProvider credentials;

  /** The STS client that assumes the backends' roles, made on first use. */
  private StsClient sts;

  /**
   * The source of {@code backend}: one {@link Ec2MembershipSource} in {@code region} with the
   * agent's credentials, or one per account of its {@code accounts} (its region, its role assumed
   * through STS by the SDK's refreshing provider), merged.
   */
  private MembershipSource source(Backend backend, String region, Supplier<String> self) {
    List<AgentConfig.Account> accounts =
        backend.accounts().isEmpty()
            ? List.of(new AgentConfig.Account(null, null, null))
            : backend.accounts();
    List<Ec2MembershipSource> parts = new ArrayList<>();
    for (AgentConfig.Account account : accounts) {
      String where = account.region() != null ? account.region() : region;
      Ec2MembershipSource.Builder source =
          Ec2MembershipSource.newBuilder()
              .sharedWalks(walks)
              .region(where)
              .query(backend.query())
              .mapping(backend.mapping());
      if (config.aws().endpoint() != null) {
        source.endpoint(config.aws().endpoint());
      }
      if (account.roleArn() != null) {
        source.credentials(assumed(account, region));
      } else if (credentials != null) {
        source.credentials(credentials);
      }
      if (!backend.accounts().isEmpty()) {
        source.origin(where, account.accountId());
      }
      if (backend.excludeSelf()) {
        source.exclude(self.get());
      }
      if (backend.inServiceOnly()) {
        source.inServiceOnly(autoScaling(region), backend.inServiceCache());
      }
      parts.add(source.build());
    }
    return parts.size() == 1 ? parts.get(0) : MembershipSource.merge(parts);
  }

  /**
   * The role of {@code account}, assumed with the session name {@code muster-HOST} and its external
   * id; the SDK's provider refreshes the credentials before they expire.
   */
  private AwsCredentialsProvider assumed(AgentConfig.Account account, String region) {
    // One provider per role and external id: backends that share it share its client and walks.
    return roles.computeIfAbsent(
        new AgentConfig.Account(null, account.roleArn(), account.externalId()),
        a -> newAssumed(a, region));
  }

  /** Assumed-role providers by role and external id. */
  private final Map<AgentConfig.Account, AwsCredentialsProvider> roles = new LinkedHashMap<>();

  private AwsCredentialsProvider newAssumed(AgentConfig.Account account, String region) {
    if (sts == null) {
      StsClientBuilder b =
          SdkClients.base(StsClient.builder(), region, credentials)
              .overrideConfiguration(
                  o ->
                      o.apiCallAttemptTimeout(Duration.ofSeconds(30))
                          .apiCallTimeout(Duration.ofMinutes(2)));
      if (config.aws().stsEndpoint() != null) {
        b.endpointOverride(config.aws().stsEndpoint());
      }
      sts = b.build();
    }
    String session = "muster-" + sessionHost();
    return StsAssumeRoleCredentialsProvider.builder()
        .stsClient(sts)
        .refreshRequest(
            r -> {
              r.roleArn(account.roleArn()).roleSessionName(session);
              if (account.externalId() != null) {
                r.externalId(account.externalId());
              }
            })
        .build();
  }

  /**
   * This host's name as a session name may hold it (letters, digits, {@code =,.@-}, 58 at most).
   */
  private static String sessionHost() {
    String host;
    try {
      host = java.net.InetAddress.getLocalHost().getHostName();
    } catch (java.io.IOException e) {
      host = "agent";
    }
    String safe = host.replaceAll("[^A-Za-z0-9=,.@-]", "-");
    return safe.length() > 58 ? safe.substring(0, 58) : safe;
  }

  /** The Auto Scaling client of the backends with {@code in_service_only}, made on first use. */
  private AutoScalingClient autoScaling;

  private AutoScalingClient autoScaling(String region) {
    if (autoScaling == null) {
      AutoScalingClientBuilder b =
          SdkClients.base(AutoScalingClient.builder(), region, credentials)
              .overrideConfiguration(
                  o ->
                      o.apiCallAttemptTimeout(Duration.ofSeconds(30))
                          .apiCallTimeout(Duration.ofMinutes(2)));
      if (config.aws().autoScalingEndpoint() != null) {
        b.endpointOverride(config.aws().autoScalingEndpoint());
      }
      autoScaling = b.build();
    }
    return autoScaling;
  }

  /** How long an output of the loop waits for other backends' publications of one change. */
  static final Duration COALESCE = Duration.ofMillis(500);

  /**
   * As {@link #of(AgentConfig, String)}, but with {@code dryRun} set nothing is touched: file
   * outputs hand their diff to it instead of writing, runtime-mode outputs the servers each backend
   * would hold, and no state file is read or written.
   */
  static Assembly of(AgentConfig config, String region, Consumer<String> dryRun) {
    return of(config, region, dryRun, Duration.ZERO, null);
  }

  private static Assembly of(
      AgentConfig config,
      String region,
      Consumer<String> dryRun,
      Duration coalesce,
      Assembly previous) {
    Duration shortest =
        config.backends().values().stream()
            .map(b -> b.loop().interval())
            .min(Duration::compareTo)
            .orElse(Duration.ofSeconds(15));
    Assembly assembly = new Assembly(config, dryRun, SharedWalks.within(shortest.dividedBy(2)));
    assembly.oneShot = coalesce.isZero() && previous == null;
    assembly.region = region;
    // One provider for every backend, so that they share a client.
    AwsCredentialsProvider credentials =
        config.aws().profile() == null
            ? null
            : ProfileCredentialsProvider.create(config.aws().profile());
    assembly.credentials = credentials;
    try {
      config
          .outputs()
          .forEach(
              (name, output) ->
                  assembly.pipelines.put(
                      name,
                      assembly.pipeline(
                          output,
                          coalesce,
                          previous == null ? null : previous.pipelines.get(name))));
      for (Backend backend : config.backends().values()) {
        if (config.outputs().values().stream()
            .noneMatch(o -> o.backends().contains(backend.name()))) {
          log.info("backend {}: no output uses it, so it is not fetched", backend.name());
          continue;
        }
        MembershipSource source = assembly.source(backend, region, assembly.self);
        AgentConfig.Loop loop = backend.loop();
        Discovery.Builder discovery =
            Discovery.newBuilder()
                .name(backend.name())
                .source(source)
                .interval(loop.interval())
                .waitMin(loop.waitMin())
                .confirmations(loop.confirmations())
                .maxRemovalFraction(loop.maxRemoval())
                .allowEmpty(loop.allowEmpty())
                .minMembers(loop.minMembers())
                .holdMin(loop.holdMin())
                // Backends with the same query and interval tick together (the same jitter), so
                // the second one's fetch takes the first one's walk.
                .random(
                    new Random(
                        backend.query().toString().hashCode() * 31L + loop.interval().toMillis()));
        if (loop.waitMax() != null) {
          discovery.waitMax(loop.waitMax());
        }
        if (previous != null && previous.loops.containsKey(backend.name())) {
          discovery.after(previous.loops.get(backend.name()));
        }
        if (config.stateDir() != null && dryRun == null) {
          discovery.stateFile(config.stateDir().resolve(backend.name() + ".state"));
        }
        config
            .outputs()
            .forEach(
                (name, output) -> {
                  if (output.backends().contains(backend.name())
                      && assembly.pipelines.containsKey(name)) {
                    discovery.listener(assembly.pipelines.get(name).backend(backend.name()));
                  }
                });
        assembly.loops.put(backend.name(), discovery.build());
      }
      return assembly;
    } catch (RuntimeException e) {
      assembly.close();
      throw e;
    }
  }

  /** The output's pipeline; one that replaces {@code previous} keeps its drains. */
  private ConfigPipeline pipeline(Output output, Duration coalesce, ConfigPipeline previous) {
    Sink sink = output.sink(context(output));
    ConfigPipeline.Builder builder =
        ConfigPipeline.newBuilder().name(output.name()).sink(sink).coalesce(coalesce);
    if (oneShot) {
      // once and render exit after one pass: a retry would never run.
      builder.noRetries();
    }
    if (previous != null) {
      builder.after(previous);
    }
    ConfigPipeline pipeline = builder.build();
    reloads.put(output.name(), output.reloads(sink, pipeline));
    if (sink instanceof dev.muster.nginx.NginxDynamic dynamic) {
      failOpen.put(output.name(), dynamic::healthFailOpen);
    }
    if (sink instanceof AutoCloseable closeable) {
      sinks.add(closeable);
    }
    return pipeline;
  }

  /** What {@code output}'s sink is built in: its zone-aware backends, dry run, time. */
  private Output.Context context(Output output) {
    Map<String, Integer> floors = new LinkedHashMap<>();
    Set<String> allowEmpty = new LinkedHashSet<>();
    for (String b : output.backends()) {
      Backend backend = config.backends().get(b);
      if (backend.zoneFloor() != null) {
        floors.put(b, backend.zoneFloor());
      }
      if (backend.loop().allowEmpty()) {
        allowEmpty.add(b);
      }
    }
    return new Output.Context(
        floors.isEmpty() ? null : zone(),
        floors,
        allowEmpty,
        dryRun,
        Clock.systemUTC(),
        Drain.Sleeper.SYSTEM,
        self,
        FleetEvents.giveBackAfter(config));
  }

  /** The proxy's zone: {@code aws.zone}, else IMDS; read once, only for zone-aware backends. */
  private String zone;

  private String zone() {
    if (zone == null) {
      if (config.aws().zone() != null) {
        zone = config.aws().zone();
      } else {
        try {
          zone = InstanceIdentity.fetch().availabilityZone();
        } catch (RuntimeException e) {
          throw new IllegalStateException(
              "zone_aware backends need this proxy's zone: set aws.zone, or run on EC2 with "
                  + "IMDS reachable ("
                  + e.getMessage()
                  + ")",
              e);
        }
      }
    }
    return zone;
  }

  private static Supplier<String> memoize(Supplier<String> get) {
    String[] value = new String[1];
    return () -> value[0] != null ? value[0] : (value[0] = get.get());
  }

  @Override
  public void close() {
    List<RuntimeException> failures = new ArrayList<>();
    if (events != null) {
      closeQuietly(events::close, failures);
    }
    loops.values().forEach(loop -> closeQuietly(loop::close, failures));
    pipelines.values().forEach(p -> closeQuietly(p::close, failures));
    sinks.forEach(
        sink ->
            closeQuietly(
                () -> {
                  try {
                    sink.close();
                  } catch (Exception e) {
                    throw new IllegalStateException("closing " + sink + ": " + e.getMessage(), e);
                  }
                },
                failures));
    closeQuietly(walks::close, failures);
    if (autoScaling != null) {
      closeQuietly(autoScaling::close, failures);
    }
    if (sts != null) {
      closeQuietly(sts::close, failures);
    }
    if (!failures.isEmpty()) {
      throw failures.get(0);
    }
  }

  private static void closeQuietly(Runnable close, List<RuntimeException> failures) {
    try {
      close.run();
    } catch (RuntimeException e) {
      failures.add(e);
    }
  }
}
