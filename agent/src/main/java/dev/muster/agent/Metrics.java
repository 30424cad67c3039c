package dev.muster.agent;

import dev.muster.discovery.ConfigPipeline;
import dev.muster.discovery.Discovery;
import dev.muster.discovery.DiscoveryStatus;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.TimeGauge;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.function.ToDoubleFunction;

/**
 * {@code GET /metrics}: the agent's state in the Prometheus text format, through Micrometer's
 * Prometheus registry. Every meter reads the running assembly when scraped, so nothing is counted
 * twice and a SIGHUP is seen at once: meters of a new backend or output appear, those of a removed
 * one go. A backend or output that a SIGHUP rebuilds starts its counters again, which Prometheus'
 * {@code rate()} reads as a counter reset.
 *
 * <p>Per backend ({@code backend} label): {@code muster_members}, {@code muster_held} (1 while the
 * guard holds a change), {@code muster_fetches_total}, {@code muster_fetch_failures_total}, {@code
 * muster_fetch_duration_seconds} (the last fetch). Per output ({@code output}): {@code
 * muster_applies_total}, {@code muster_apply_failures_total}, {@code muster_reloads_total}, {@code
 * muster_apply_pending} (1 while the proxy does not hold the latest membership), {@code
 * muster_draining_members}, {@code muster_rejected_members}, {@code muster_last_apply_age_seconds}
 * (NaN before the first). And {@code muster_aws_requests_total} by {@code operation}: every attempt
 * sent to EC2, retries included. With events on: {@code muster_events_received_total}, {@code
 * muster_events_ignored_total}, {@code muster_events_receive_failures_total}, {@code
 * muster_lifecycle_completions_total}, {@code muster_lifecycle_heartbeats_total}, {@code
 * muster_drains}. And {@code muster_config_reload_failed}: 1 while the file on disk is not the
 * running configuration because the last SIGHUP could not load it. Per output also {@code
 * muster_drains_given_back_total}: drained members given back because no termination followed.
 */
final class Metrics {
  private final PrometheusMeterRegistry registry =
      new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final Supplier<Assembly> current;
  private final Clock clock;
  private final Set<Meter.Id> registered = new HashSet<>();

  /**
   * The names meters read their state by. Micrometer holds a gauge's or function counter's state
   * object weakly; held here, a name outlives the assembly it came from (a SIGHUP replaces it).
   */
  private final Map<String, String> held = new HashMap<>();

  private final Supplier<Run.ConfigStatus> config;

  Metrics(Supplier<Assembly> current, Supplier<Run.ConfigStatus> config, Clock clock) {
    this.current = current;
    this.config = config;
    this.clock = clock;
    // Registered once: it reads the file's state, not the assembly a SIGHUP replaces.
    Gauge.builder(
            "muster.config.reload.failed", this, m -> m.config.get().failure() == null ? 0 : 1)
        .description("1 while the configuration file on disk failed to load at the last SIGHUP")
        .register(registry);
  }

  /** The exposition text (format 0.0.4) of the assembly running now. */
  synchronized String scrape() {
    Assembly assembly = current.get();
    Set<Meter.Id> live = new HashSet<>();
    assembly.loops.keySet().forEach(name -> backend(name, live));
    assembly.pipelines.keySet().forEach(name -> output(name, live));
    assembly.walks.requestCounts().keySet().forEach(operation -> aws(operation, live));
    if (assembly.events != null) {
      events(live);
    }
    for (Meter.Id gone : Set.copyOf(registered)) {
      if (!live.contains(gone)) {
        registry.remove(gone);
        registered.remove(gone);
      }
    }
    return registry.scrape();
  }

  private String hold(String name) {
    return held.computeIfAbsent(name, k -> k);
  }

  private void backend(String backendName, Set<Meter.Id> live) {
    String name = hold(backendName);
    keep(
        live,
        Gauge.builder("muster.members", name, n -> s(n).memberCount())
            .description("members in the published view")
            .tag("backend", name)
            .register(registry));
    keep(
        live,
        Gauge.builder("muster.held", () -> s(name).held() == null ? 0 : 1)
            .description("1 while the guard holds a change back")
            .tag("backend", name)
            .register(registry));
    keep(
        live,
        FunctionCounter.builder("muster.fetches", name, n -> s(n).fetches())
            .description("fetches from EC2")
            .tag("backend", name)
            .register(registry));
    keep(
        live,
        FunctionCounter.builder("muster.fetch.failures", name, n -> s(n).fetchFailures())
            .description("fetches that failed")
            .tag("backend", name)
            .register(registry));
    keep(
        live,
        TimeGauge.builder(
                "muster.fetch.duration",
                name,
                TimeUnit.MILLISECONDS,
                n -> s(n).lastFetchDuration().toMillis())
            .description("how long the last fetch took")
            .tag("backend", name)
            .register(registry));
    keep(
        live,
        TimeGauge.builder(
                "muster.last.fetch.success.age",
                name,
                TimeUnit.MILLISECONDS,
                n -> {
                  Instant last = s(n).lastSuccess();
                  return last == null
                      ? Double.NaN
                      : Duration.between(last, clock.instant()).toMillis();
                })
            .description("time since the last successful fetch from EC2")
            .tag("backend", name)
            .register(registry));
  }

  private void output(String outputName, Set<Meter.Id> live) {
    String name = hold(outputName);
    var failOpen = current.get().failOpen.get(name);
    if (failOpen != null) {
      for (String backend : failOpen.get().keySet()) {
        String b = hold(backend);
        keep(
            live,
            FunctionCounter.builder(
                    "muster.health.fail.open",
                    name,
                    n -> {
                      var counts = current.get().failOpen.get(n);
                      return counts == null ? 0 : counts.get().getOrDefault(b, 0L);
                    })
                .description(
                    "nginx dynamic mode: renders that kept every member in because none passed"
                        + " its health check")
                .tag("output", name)
                .tag("backend", b)
                .register(registry));
      }
    }
    counter("muster.applies", "changes applied to the proxy", name, live, p -> p.appliedCount());
    counter(
        "muster.apply.failures",
        "render, check or apply attempts that failed",
        name,
        live,
        p -> p.failureCount());
    keep(
        live,
        FunctionCounter.builder(
                "muster.reloads",
                name,
                n -> current.get().reloads.getOrDefault(n, () -> 0).getAsInt())
            .description("proxy reloads")
            .tag("output", name)
            .register(registry));
    outputGauge(
        "muster.apply.pending",
        "1 while the proxy does not hold the latest membership",
        name,
        live,
        p -> p.pendingSince() == null ? 0 : 1);
    outputGauge(
        "muster.draining.members",
        "members drained ahead of EC2",
        name,
        live,
        p -> p.drainingMembers().size());
    counter(
        "muster.drains.given.back",
        "drained members given back because EC2 still listed them (no termination followed)",
        name,
        live,
        p -> p.givenBackCount());
    outputGauge(
        "muster.rejected.members",
        "members left out because the proxy's checker or the render refused them",
        name,
        live,
        p -> p.rejectedMembers().size());
    keep(
        live,
        TimeGauge.builder(
                "muster.last.apply.age",
                name,
                TimeUnit.MILLISECONDS,
                n -> {
                  ConfigPipeline p = current.get().pipelines.get(n);
                  Instant last = p == null ? null : p.lastSuccessAt();
                  return last == null
                      ? Double.NaN
                      : Duration.between(last, clock.instant()).toMillis();
                })
            .description("time since the proxy last took or already held the latest membership")
            .tag("output", name)
            .register(registry));
  }

  private void aws(String operationName, Set<Meter.Id> live) {
    String operation = hold(operationName);
    keep(
        live,
        FunctionCounter.builder(
                "muster.aws.requests",
                operation,
                op -> current.get().walks.requestCounts().getOrDefault(op, 0L))
            .description("requests sent to AWS, each attempt counted")
            .tag("operation", operation)
            .register(registry));
  }

  private void events(Set<Meter.Id> live) {
    eventCounter("muster.events.received", "queue messages received", live, s -> s.received());
    eventCounter(
        "muster.events.ignored", "messages not for Muster, deleted", live, s -> s.ignored());
    eventCounter(
        "muster.events.receive.failures",
        "failed receives from SQS",
        live,
        s -> s.receiveFailures());
    eventCounter(
        "muster.lifecycle.completions", "lifecycle actions completed", live, s -> s.completed());
    eventCounter(
        "muster.lifecycle.heartbeats", "lifecycle heartbeats sent", live, s -> s.heartbeats());
    keep(
        live,
        Gauge.builder("muster.drains", this, m -> eventStatus(s -> s.draining().size()))
            .description("instances being drained ahead of termination")
            .register(registry));
  }

  private void eventCounter(
      String metric,
      String help,
      Set<Meter.Id> live,
      ToDoubleFunction<dev.muster.events.EventIntake.Status> value) {
    keep(
        live,
        FunctionCounter.builder(metric, this, m -> eventStatus(value))
            .description(help)
            .register(registry));
  }

  private double eventStatus(ToDoubleFunction<dev.muster.events.EventIntake.Status> value) {
    Assembly a = current.get();
    return a.events == null ? Double.NaN : value.applyAsDouble(a.events.status());
  }

  private DiscoveryStatus s(String backend) {
    Discovery loop = current.get().loops.get(backend);
    // Between a SIGHUP that drops the backend and the removal of its meters.
    return loop == null ? EMPTY : loop.status();
  }

  private static final DiscoveryStatus EMPTY =
      new DiscoveryStatus("", null, null, 0, null, Duration.ZERO, 0, null, null, null, 0, 0);

  private void counter(
      String metric,
      String help,
      String output,
      Set<Meter.Id> live,
      ToDoubleFunction<ConfigPipeline> value) {
    keep(
        live,
        FunctionCounter.builder(metric, output, n -> pipelineValue(n, value))
            .description(help)
            .tag("output", output)
            .register(registry));
  }

  private void outputGauge(
      String metric,
      String help,
      String output,
      Set<Meter.Id> live,
      ToDoubleFunction<ConfigPipeline> value) {
    keep(
        live,
        Gauge.builder(metric, output, n -> pipelineValue(n, value))
            .description(help)
            .tag("output", output)
            .register(registry));
  }

  private double pipelineValue(String output, ToDoubleFunction<ConfigPipeline> value) {
    ConfigPipeline p = current.get().pipelines.get(output);
    return p == null ? Double.NaN : value.applyAsDouble(p);
  }

  private void keep(Set<Meter.Id> live, Meter meter) {
    live.add(meter.getId());
    registered.add(meter.getId());
  }
}
