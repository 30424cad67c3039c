package dev.muster.testkit;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A tiny HTTP backend on a loopback address, standing in for the service on a fleet instance:
 * it answers every request with 200 and its own name, counts requests, and answers
 * {@code /slow?ms=N} after N milliseconds (at most 30 s), for tests of in-flight requests
 * during a drain or reload. {@code /health} answers 200 unless {@link #healthy(boolean)} was
 * set false (then 503).
 *
 * <p>Linux routes the whole 127.0.0.0/8 range to loopback, so each backend can have its own
 * address, as instances do. Thread-safe; close it to stop.
 */
public final class HttpBackend implements AutoCloseable {
  private final String name;
  private final HttpServer server;
  private final ExecutorService workers;
  private final AtomicLong requests = new AtomicLong();
  private final AtomicInteger inFlight = new AtomicInteger();
  private volatile boolean healthy = true;

  static {
    // As in the fake EC2: without TCP_NODELAY the JDK server's separate header and body
    // writes meet the peer's delayed ACK, and every keep-alive exchange waits about 40 ms.
    if (System.getProperty("sun.net.httpserver.nodelay") == null) {
      System.setProperty("sun.net.httpserver.nodelay", "true");
    }
  }

  private HttpBackend(String name, String address) {
    this.name = name;
    try {
      server = HttpServer.create(new InetSocketAddress(InetAddress.getByName(address), 0), 128);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot bind " + address, e);
    }
    workers = Executors.newCachedThreadPool(r -> {
      Thread t = new Thread(r, "backend-" + name);
      t.setDaemon(true);
      return t;
    });
    server.setExecutor(workers);
    server.createContext("/", this::handle);
    server.start();
  }

  /** Starts a backend called {@code name} on {@code address} (for example 127.0.0.2). */
  public static HttpBackend start(String name, String address) {
    return new HttpBackend(name, address);
  }

  /** The name it answers with. */
  public String name() {
    return name;
  }

  /** The address it listens on. */
  public String address() {
    return server.getAddress().getAddress().getHostAddress();
  }

  /** The port it listens on. */
  public int port() {
    return server.getAddress().getPort();
  }

  /** Requests received so far, health checks excluded. */
  public long requests() {
    return requests.get();
  }

  /** Requests being answered right now. */
  public int inFlight() {
    return inFlight.get();
  }

  /** Makes {@code /health} answer 200 (true) or 503 (false). */
  public void healthy(boolean healthy) {
    this.healthy = healthy;
  }

  private void handle(HttpExchange exchange) throws IOException {
    try (exchange) {
      String path = exchange.getRequestURI().getPath();
      exchange.getRequestBody().readAllBytes();
      if (path.equals("/health")) {
        respond(exchange, healthy ? 200 : 503, "health " + name + "\n");
        return;
      }
      requests.incrementAndGet();
      inFlight.incrementAndGet();
      try {
        if (path.equals("/slow")) {
          String query = exchange.getRequestURI().getQuery();
          long ms = query != null && query.startsWith("ms=")
              ? Math.min(30_000, Long.parseLong(query.substring(3))) : 1000;
          try {
            Thread.sleep(ms);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
          }
        }
        respond(exchange, 200, name + "\n");
      } finally {
        inFlight.decrementAndGet();
      }
    }
  }

  private static void respond(HttpExchange exchange, int status, String body) throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().set("Content-Type", "text/plain");
    exchange.sendResponseHeaders(status, bytes.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(bytes);
    }
  }

  @Override
  public void close() {
    server.stop(0);
    workers.shutdownNow();
  }

  @Override
  public String toString() {
    return name + "@" + address() + ":" + port();
  }
}
