package dev.muster.agent;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import dev.muster.discovery.ApplyResult;
import dev.muster.discovery.ConfigPipeline;
import dev.muster.discovery.Discovery;
import dev.muster.discovery.DiscoveryStatus;
import dev.muster.discovery.Member;
import dev.muster.events.EventIntake;
import java.io.IOException;
import java.io.StringWriter;
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
 * Metrics}); {@code GET /sd/prometheus} the members as Prometheus HTTP SD targets ({@link
 * PrometheusSd}). It reads the running assembly at each request, so a SIGHUP is seen at once.
 * Served by {@link StatusHttp}, which no client can freeze; answers are built from status objects
 * that never block.
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
                "/healthz", query -> status.healthz(),
                "/status", query -> status.status(),
                "/metrics", query -> status.metrics(),
                "/sd/prometheus", query -> PrometheusSd.answer(current.get(), query)),
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
          Duration age = fetchAge(current, name, now);
          Duration limit = staleAfter(current, name);
          if (age.compareTo(limit) > 0) {
            problems.add(
                "backend "
                    + name
                    + ": no successful fetch from EC2 for "
                    + age.toSeconds()
                    + " s (status.stale_after: "
                    + limit.toSeconds()
                    + " s): "
                    + loop.status().lastError());
          }
        });
    return problems.isEmpty()
        ? new StatusHttp.Response(200, "text/plain", "ok\n")
        : new StatusHttp.Response(503, "text/plain", String.join("\n", problems) + "\n");
  }

  /**
   * How long ago {@code backend} last fetched successfully; since this listener started if it never
   * did.
   */
  Duration fetchAge(Assembly current, String backend, Instant now) {
    Discovery loop = current.loops.get(backend);
    Instant last = loop == null ? null : loop.status().lastSuccess();
    return Duration.between(last == null ? started : last, now);
  }

  private static Duration staleAfter(Assembly current, String backend) {
    AgentConfig.Status status = current.config.status();
    // A SIGHUP may drop the section; the listener stays, with the defaults.
    return (status == null ? new AgentConfig.Status("", 0) : status)
        .staleAfter(current.config.backends().get(backend));
  }

  private StatusHttp.Response status() {
    Assembly current = assembly.get();
    Run.ConfigStatus file = config.get();
    StringWriter text = new StringWriter();
    try (JsonGenerator json = JSON.createGenerator(text)) {
      json.writeStartObject();
      json.writeObjectFieldStart("backends");
      for (Map.Entry<String, Discovery> e : current.loops.entrySet()) {
        DiscoveryStatus s = e.getValue().status();
        json.writeObjectFieldStart(e.getKey());
        json.writeNumberField("members", s.memberCount());
        json.writeBooleanField("stale", s.stale());
        field(json, "lastAttempt", s.lastAttempt());
        field(json, "lastSuccess", s.lastSuccess());
        json.writeNumberField("consecutiveFailures", s.consecutiveFailures());
        field(json, "lastError", s.lastError());
        field(json, "held", s.held());
        field(json, "pendingUntil", s.pendingUntil());
        json.writeArrayFieldStart("addresses");
        if (s.published() != null) {
          for (Member m : s.published().members()) {
            json.writeString(m.instanceId() + " " + m.hostPort());
          }
        }
        json.writeEndArray();
        json.writeEndObject();
      }
      json.writeEndObject();
      json.writeObjectFieldStart("outputs");
      for (Map.Entry<String, ConfigPipeline> e : current.pipelines.entrySet()) {
        ConfigPipeline p = e.getValue();
        ApplyResult last = p.lastResult();
        json.writeObjectFieldStart(e.getKey());
        field(json, "lastResult", last == null ? null : last.outcome().name());
        json.writeNumberField("applies", p.appliedCount());
        json.writeNumberField("failures", p.failureCount());
        field(json, "pendingSince", p.pendingSince());
        field(json, "lastFailure", message(p.lastFailure()));
        strings(json, "rejected", p.rejectedMembers());
        strings(json, "draining", new java.util.TreeSet<>(p.drainingMembers()));
        json.writeNumberField("givenBack", p.givenBackCount());
        var failOpen = current.failOpen.get(e.getKey());
        if (failOpen != null) {
          json.writeObjectFieldStart("healthFailOpen");
          for (var f : failOpen.get().entrySet()) {
            json.writeNumberField(f.getKey(), f.getValue());
          }
          json.writeEndObject();
        }
        json.writeEndObject();
      }
      json.writeEndObject();
      if (current.events != null) {
        EventIntake.Status e = current.events.status();
        json.writeObjectFieldStart("events");
        json.writeNumberField("received", e.received());
        json.writeNumberField("ignored", e.ignored());
        json.writeNumberField("receiveFailures", e.receiveFailures());
        json.writeNumberField("consecutiveFailures", e.consecutiveFailures());
        field(json, "lastError", e.lastError());
        strings(json, "draining", e.draining());
        json.writeNumberField("completed", e.completed());
        json.writeNumberField("heartbeats", e.heartbeats());
        json.writeEndObject();
      }
      json.writeObjectFieldStart("config");
      field(json, "file", file.file());
      field(json, "loadedAt", file.loadedAt());
      field(json, "reloadFailedAt", file.failedAt());
      field(json, "reloadFailure", file.failure());
      json.writeEndObject();
      json.writeEndObject();
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e); // a StringWriter does not fail
    }
    return new StatusHttp.Response(200, "application/json", text + "\n");
  }

  private static final JsonFactory JSON = new JsonFactory();

  /** {@code name}: the text of {@code value}, or null. */
  private static void field(JsonGenerator json, String name, Object value) throws IOException {
    if (value == null) {
      json.writeNullField(name);
    } else {
      json.writeStringField(name, value.toString());
    }
  }

  private static void strings(JsonGenerator json, String name, Iterable<String> values)
      throws IOException {
    json.writeArrayFieldStart(name);
    for (String v : values) {
      json.writeString(v);
    }
    json.writeEndArray();
  }

  private StatusHttp.Response metrics() {
    return new StatusHttp.Response(200, "text/plain; version=0.0.4", metrics.scrape());
  }

  private static String message(RuntimeException failure) {
    return failure == null ? null : failure.getMessage();
  }

  @Override
  public void close() {
    http.close();
  }
}
