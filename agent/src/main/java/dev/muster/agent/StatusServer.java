package dev.muster.agent;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.muster.discovery.ApplyResult;
import dev.muster.discovery.ConfigPipeline;
import dev.muster.discovery.Discovery;
import dev.muster.discovery.DiscoveryStatus;
import dev.muster.discovery.Member;
import dev.muster.events.EventIntake;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
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
 * with the reasons otherwise; {@code GET /status} is JSON with every backend's and output's state;
 * {@code GET /metrics} is the Prometheus text format ({@link Metrics}). It reads the running
 * assembly at each request, so a SIGHUP is seen at once. One daemon thread; answers are built from
 * status objects that never block.
 */
final class StatusServer implements AutoCloseable {
  /** How long an apply may be pending before {@code /healthz} says 503. */
  static final Duration APPLY_DEADLINE = Duration.ofSeconds(60);

  private final HttpServer server;
  private final Supplier<Assembly> assembly;
  private final Clock clock;
  private final Instant started;
  private final Metrics metrics;

  private StatusServer(HttpServer server, Supplier<Assembly> assembly, Clock clock) {
    this.server = server;
    this.assembly = assembly;
    this.clock = clock;
    this.started = clock.instant();
    this.metrics = new Metrics(assembly, clock);
  }

  /** Listens on {@code host:port} and serves the assembly {@code current} returns. */
  static StatusServer start(String host, int port, Supplier<Assembly> current, Clock clock) {
    HttpServer server;
    try {
      server = HttpServer.create(new InetSocketAddress(host, port), 16);
    } catch (IOException e) {
      throw new UncheckedIOException(
          "status.listen: cannot listen on " + host + ":" + port + ": " + e.getMessage(), e);
    }
    StatusServer status = new StatusServer(server, current, clock);
    server.createContext("/healthz", status::healthz);
    server.createContext("/status", status::status);
    server.createContext("/metrics", status::metrics);
    server.setExecutor(null);
    server.start();
    return status;
  }

  /** The port it listens on (for a configured port 0). */
  int port() {
    return server.getAddress().getPort();
  }

  private void healthz(HttpExchange exchange) throws IOException {
    List<String> problems = new ArrayList<>();
    Instant now = clock.instant();
    Assembly current = assembly.get();
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
    current.loops.forEach(
        (name, loop) -> {
          String held = loop.status().held();
          if (held != null) {
            problems.add("backend " + name + ": " + held);
          }
        });
    if (problems.isEmpty()) {
      respond(exchange, 200, "text/plain", "ok\n");
    } else {
      respond(exchange, 503, "text/plain", String.join("\n", problems) + "\n");
    }
  }

  private void status(HttpExchange exchange) throws IOException {
    Assembly current = assembly.get();
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
    json.append("}\n");
    respond(exchange, 200, "application/json", json.toString());
  }

  private void metrics(HttpExchange exchange) throws IOException {
    respond(exchange, 200, "text/plain; version=0.0.4", metrics.scrape());
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

  private static void respond(HttpExchange exchange, int status, String type, String body)
      throws IOException {
    try (exchange) {
      byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
      exchange.getResponseHeaders().set("Content-Type", type + "; charset=utf-8");
      exchange.sendResponseHeaders(status, bytes.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(bytes);
      }
    }
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
