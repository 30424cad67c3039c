package dev.muster.testkit.internal;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;

/** The JDK's HTTP server bound to 127.0.0.1 on a free port, with daemon worker threads. */
public final class LoopbackServer implements AutoCloseable {
  private final HttpServer server;
  private final ExecutorService workers;
  private volatile boolean open = true;

  private LoopbackServer(HttpServer server, ExecutorService workers) {
    this.server = server;
    this.workers = workers;
  }

  static {
    // The JDK server writes headers and body separately; without TCP_NODELAY, Nagle's
    // algorithm meets the client's delayed ACK and every exchange waits about 40 ms. The
    // property is read once, when the server implementation first loads.
    if (System.getProperty("sun.net.httpserver.nodelay") == null) {
      System.setProperty("sun.net.httpserver.nodelay", "true");
    }
  }

  /** Starts serving every path with {@code handler}; {@code name} names the threads. */
  public static LoopbackServer start(String name, HttpHandler handler) {
    try {
      HttpServer server =
          HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 64);
      AtomicInteger threads = new AtomicInteger();
      ThreadFactory factory =
          r -> {
            Thread t = new Thread(r, name + "-" + threads.incrementAndGet());
            t.setDaemon(true);
            return t;
          };
      ExecutorService workers = Executors.newCachedThreadPool(factory);
      server.setExecutor(workers);
      server.createContext("/", handler);
      server.start();
      return new LoopbackServer(server, workers);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot bind a loopback port for " + name, e);
    }
  }

  /** Whether it still serves (not closed). */
  public boolean isOpen() {
    return open;
  }

  /** {@code http://127.0.0.1:PORT}. */
  public URI uri() {
    InetSocketAddress address = server.getAddress();
    return URI.create("http://" + address.getAddress().getHostAddress() + ":" + address.getPort());
  }

  /** Sends {@code body} as UTF-8 with {@code status} and closes the exchange. */
  public static void respond(HttpExchange exchange, int status, String contentType, String body)
      throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    if (contentType != null) {
      exchange.getResponseHeaders().set("Content-Type", contentType);
    }
    exchange.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(bytes);
    }
  }

  /** Stops accepting, ends open exchanges and interrupts handlers that still wait. */
  @Override
  public void close() {
    open = false;
    server.stop(0);
    workers.shutdownNow();
  }

  /** The form parameters of a Query API request: its query string and its body, decoded. */
  public static Map<String, String> params(HttpExchange exchange) throws IOException {
    Map<String, String> params = new TreeMap<>();
    FormBody.parse(exchange.getRequestURI().getRawQuery(), params);
    FormBody.parse(
        new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8), params);
    return params;
  }

  /** The request's headers, each name in lower case with its first value. */
  public static Map<String, String> headers(HttpExchange exchange) {
    Map<String, String> headers = new TreeMap<>();
    exchange
        .getRequestHeaders()
        .forEach(
            (name, values) ->
                headers.put(name.toLowerCase(Locale.ROOT), values.isEmpty() ? "" : values.get(0)));
    return headers;
  }
}
