package dev.muster.agent;

import dev.muster.discovery.ApplyResult;
import dev.muster.discovery.ConfigPipeline;
import dev.muster.discovery.Discovery;
import dev.muster.discovery.DiscoveryStatus;
import dev.muster.discovery.Member;
import dev.muster.events.EventIntake;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The agent's status listener ({@code status.listen}): {@code GET /healthz} answers 200 while every
 * output holds what its backends published (or has been pending for less than the deadline), 503
 * with the reasons otherwise (a held view, a drained member that EC2 still lists past the drain
 * timeout, a configuration file that a SIGHUP could not load); {@code GET /status} is JSON with
 * every backend's and output's state; {@code GET /metrics} is the Prometheus text format ({@link
 * Metrics}). It reads the running assembly at each request, so a SIGHUP is seen at once. Served by
 * {@link StatusHttp}, which no client can freeze; answers are built from status objects that never
 * block.
 */
final class StatusServer implements AutoCloseable {
  /** How long an apply may be pending before {@code /healthz} says 503. */
  static final Duration APPLY_DEADLINE = Duration.ofSeconds(60);

  /** How long a client may take to send its request. */
  static final Duration HEAD_TIMEOUT = Duration.ofSeconds(2);

  private final Supplier<Assembly> assembly;
  private final Supplier<Run.ConfigStatus> config;
  private final Clock clock;
  private final Instant started;
  private final Metrics metrics;
  private StatusHttp http;

  private StatusServer(
      Supplier<Assembly> assembly, Supplier<Run.ConfigStatus> config, Clock clock) {
    this.assembly = assembly;
    this.config = config;
    this.clock = clock;
    this.started = clock.instant();
    this.metrics = new Metrics(assembly, config, clock);
  }

  /**
   * Listens on {@code host:port} and serves the assembly {@code current} returns, and the state of
   * the configuration file {@code config} returns.
   */
  static StatusServer start(
      String host,
      int port,
      Supplier<Assembly> current,
      Supplier<Run.ConfigStatus> config,
      Clock clock) {
    StatusServer status = new StatusServer(current, config, clock);
    status.http =
        StatusHttp.start(
            new InetSocketAddress(host, port),
            Map.of(
                "/healthz", status::healthz,
                "/status", status::status,
                "/metrics", status::metrics),
            HEAD_TIMEOUT);
    return status;
  }

  /** The port it listens on (for a configured port 0). */
  int port() {
    return http.port();
  }

  private StatusHttp.Response healthz() {
    List<String> problems = new ArrayList<>();
    Instant now = clock.instant();
    Assembly current = assembly.get();
    Run.ConfigStatus file = config.get();
    if (file.failure() != null) {
      problems.add(
          "configuration: "
              + file.file()
              + " on disk is not the one running (SIGHUP at "
              + file.failedAt()
              + "): "
              + file.failure());
    }
    Duration drainTimeout =
        current.config.events() == null ? null : current.config.events().drainTimeout();
    current.pipelines.forEach(
        (name, pipeline) -> {
          Instant pending = pipeline.pendingSince();
          if (pending != null && Duration.between(pending, now).compareTo(APPLY_DEADLINE) > 0) {
            problems.add(
                "output "
                    + name
                    + ": apply pending since "
                    + pending
                    + ": "
                    + message(pipeline.lastFailure()));
          } else if (pipeline.lastResult() == null
              && Duration.between(started, now).compareTo(APPLY_DEADLINE) > 0) {
            problems.add("output " + name + ": never applied (waiting for every backend)");
          }
        });
    current.pipelines.forEach(
        (name, pipeline) ->
            pipeline
                .drains()
                .forEach(
                    (id, drain) -> {
                      if (drainTimeout != null
                          && Duration.between(drain.since(), now).compareTo(drainTimeout) > 0) {
                        problems.add(
                            "output "
                                + name
                                + ": "
                                + id
                                + " drained since "
                                + drain.since()
                                + ", but EC2 still lists it (no termination followed); given "
                                + "back at "
                                + drain.giveBackAt());
                      }
                    }));
    current.loops.forEach(
        (name, loop) -> {
          String held = loop.status().held();
          if (held != null) {
            problems.add("backend " + name + ": " + held);
          }
        });
    return problems.isEmpty()
        ? new StatusHttp.Response(200, "text/plain", "ok\n")
        : new StatusHttp.Response(503, "text/plain", String.join("\n", problems) + "\n");
  }

  private StatusHttp.Response status() {
    Assembly current = assembly.get();
    Run.ConfigStatus file = config.get();
    StringBuilder json = new StringBuilder("{\"backends\":{");
    String comma = "";
    for (Map.Entry<String, Discovery> e : current.loops.entrySet()) {
      DiscoveryStatus s = e.getValue().status();
      json.append(comma).append(quote(e.getKey())).append(":{");
      json.append("\"members\":").append(s.memberCount());
      json.append(",\"stale\":").append(s.stale());
      json.append(",\"lastAttempt\":").append(quote(s.lastAttempt()));
      json.append(",\"lastSuccess\":").append(quote(s.lastSuccess()));
      json.append(",\"consecutiveFailures\":").append(s.consecutiveFailures());
      json.append(",\"lastError\":").append(quote(s.lastError()));
      json.append(",\"held\":").append(quote(s.held()));
      json.append(",\"pendingUntil\":").append(quote(s.pendingUntil()));
      json.append(",\"addresses\":[");
      if (s.published() != null) {
        String c = "";
        for (Member m : s.published().members()) {
          json.append(c).append(quote(m.instanceId() + " " + m.hostPort()));
          c = ",";
        }
      }
      json.append("]}");
      comma = ",";
    }
    json.append("},\"outputs\":{");
    comma = "";
    for (Map.Entry<String, ConfigPipeline> e : current.pipelines.entrySet()) {
      ConfigPipeline p = e.getValue();
      ApplyResult last = p.lastResult();
      json.append(comma).append(quote(e.getKey())).append(":{");
      json.append("\"lastResult\":").append(quote(last == null ? null : last.outcome().name()));
      json.append(",\"applies\":").append(p.appliedCount());
      json.append(",\"failures\":").append(p.failureCount());
      json.append(",\"pendingSince\":").append(quote(p.pendingSince()));
      json.append(",\"lastFailure\":").append(quote(message(p.lastFailure())));
      json.append(",\"rejected\":").append(quoteAll(p.rejectedMembers()));
      json.append(",\"draining\":").append(quoteAll(p.drainingMembers()));
      json.append(",\"givenBack\":").append(p.givenBackCount());
      json.append('}');
      comma = ",";
    }
    json.append('}');
    if (current.events != null) {
      EventIntake.Status e = current.events.status();
      json.append(",\"events\":{\"received\":").append(e.received());
      json.append(",\"ignored\":").append(e.ignored());
      json.append(",\"receiveFailures\":").append(e.receiveFailures());
      json.append(",\"consecutiveFailures\":").append(e.consecutiveFailures());
      json.append(",\"lastError\":").append(quote(e.lastError()));
      json.append(",\"draining\":").append(quoteAll(e.draining()));
      json.append(",\"completed\":").append(e.completed());
      json.append(",\"heartbeats\":").append(e.heartbeats());
      json.append('}');
    }
    json.append(",\"config\":{\"file\":").append(quote(file.file()));
    json.append(",\"loadedAt\":").append(quote(file.loadedAt()));
    json.append(",\"reloadFailedAt\":").append(quote(file.failedAt()));
    json.append(",\"reloadFailure\":").append(quote(file.failure()));
    json.append("}}\n");
    return new StatusHttp.Response(200, "application/json", json.toString());
  }

  private StatusHttp.Response metrics() {
    return new StatusHttp.Response(200, "text/plain; version=0.0.4", metrics.scrape());
  }

  private static String message(RuntimeException failure) {
    return failure == null ? null : failure.getMessage();
  }

  private static String quoteAll(Iterable<String> values) {
    StringBuilder out = new StringBuilder("[");
    String comma = "";
    for (String v : values) {
      out.append(comma).append(quote(v));
      comma = ",";
    }
    return out.append(']').toString();
  }

  private static String quote(Object value) {
    return value == null ? "null" : Shorthand.Yaml.quote(value.toString());
  }

  @Override
  public void close() {
    http.close();
  }
}
