package dev.muster.agent;

import dev.muster.agent.AgentConfig.Backend;
import dev.muster.discovery.ConfigPipeline;
import dev.muster.discovery.Discovery;
import dev.muster.discovery.Drain;
import dev.muster.discovery.InstanceIdentity;
import dev.muster.discovery.SharedWalks;
import dev.muster.discovery.Sink;
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
  final String region;

  /** Each backend's membership source, and the AWS clients the sources share. */
  private final BackendSources sources;

  /** Built for once or render: outputs make one attempt, never a retry. */
  private boolean oneShot;

  private Assembly(AgentConfig config, String region, Consumer<String> dryRun, Duration shortest) {
    this.config = config;
    this.dryRun = dryRun;
    this.region = region;
    this.walks = SharedWalks.within(shortest.dividedBy(2));
    this.sources = new BackendSources(config.aws(), region, walks);
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
    if (config.events() != null) {
      try {
        assembly.events = FleetEvents.intake(assembly, assembly.sources.credentials);
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
    Assembly assembly = new Assembly(config, region, dryRun, shortest);
    assembly.oneShot = coalesce.isZero() && previous == null;
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
        Discovery replaced = previous == null ? null : previous.loops.get(backend.name());
        assembly.loops.put(backend.name(), assembly.loop(backend, replaced));
      }
      return assembly;
    } catch (RuntimeException e) {
      assembly.close();
      throw e;
    }
  }

  /**
   * The discovery loop of {@code backend}, continuing from {@code previous} (a SIGHUP) unless that
   * is {@code null}, and feeding the pipelines of the outputs that name the backend.
   */
  private Discovery loop(Backend backend, Discovery previous) {
    AgentConfig.Loop loop = backend.loop();
    Discovery.Builder discovery =
        Discovery.newBuilder()
            .name(backend.name())
            .source(sources.of(backend, self))
            .interval(loop.interval())
            .waitMin(loop.waitMin())
            .confirmations(loop.confirmations())
            .maxRemovalFraction(loop.maxRemoval())
            .allowEmpty(loop.allowEmpty())
            .minMembers(loop.minMembers())
            .holdMin(loop.holdMin())
            // Backends with the same query and interval tick together (the same jitter), so the
            // second one's fetch takes the first one's walk.
            .random(
                new Random(
                    backend.query().toString().hashCode() * 31L + loop.interval().toMillis()));
    if (loop.waitMax() != null) {
      discovery.waitMax(loop.waitMax());
    }
    if (previous != null) {
      discovery.after(previous);
    }
    if (config.stateDir() != null && dryRun == null) {
      discovery.stateFile(config.stateDir().resolve(backend.name() + ".state"));
    }
    config
        .outputs()
        .forEach(
            (name, output) -> {
              if (output.backends().contains(backend.name()) && pipelines.containsKey(name)) {
                discovery.listener(pipelines.get(name).backend(backend.name()));
              }
            });
    return discovery.build();
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
    closeQuietly(sources::close, failures);
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
