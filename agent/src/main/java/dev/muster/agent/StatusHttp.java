package dev.muster.agent;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The status listener's HTTP server: small on purpose, so that no client can freeze it. Each
 * connection has its own thread (at most {@link #MAX_CONNECTIONS}); the request head must arrive
 * within the head timeout and the whole exchange end within {@link #EXCHANGE_TIMEOUT} (a client
 * that stops reading is cut off); at the cap, a new connection closes the oldest one that has not
 * sent its request yet. One request per connection ({@code Connection: close}). {@code GET} and
 * {@code HEAD} only (405 otherwise), exact paths only (404 otherwise); a route gets the query
 * string.
 */
final class StatusHttp implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger("dev.muster.agent");

  /** The most connections served at once. */
  static final int MAX_CONNECTIONS = 32;

  /** How long one exchange may take in all, the response included. */
  static final Duration EXCHANGE_TIMEOUT = Duration.ofSeconds(10);

  /** The longest request head read; a longer one is answered 431. */
  static final int MAX_HEAD = 8 * 1024;

  /** An answer. */
  record Response(int status, String type, String body) {}

  private final ServerSocket server;
  private final Map<String, Function<String, Response>> routes;
  private final Duration headTimeout;
  private final ThreadPoolExecutor workers;
  private final ScheduledExecutorService watchdog;
  private final Deque<Socket> waitingForHead = new ArrayDeque<>();

  /** Connections closed to make room: their slot went to a newer one. */
  private final java.util.Set<Socket> evicted = new java.util.HashSet<>();

  private final Thread acceptor;
  private int open;
  private volatile boolean closed;

  private StatusHttp(
      ServerSocket server, Map<String, Function<String, Response>> routes, Duration headTimeout) {
    this.server = server;
    this.routes = Map.copyOf(routes);
    this.headTimeout = headTimeout;
    this.workers =
        new ThreadPoolExecutor(
            0,
            // Evicted connections' threads may still be ending while their slots serve others.
            2 * MAX_CONNECTIONS,
            30,
            TimeUnit.SECONDS,
            new SynchronousQueue<>(),
            r -> daemon(r, "muster-status"));
    this.watchdog =
        Executors.newSingleThreadScheduledExecutor(r -> daemon(r, "muster-status-watchdog"));
    this.acceptor = daemon(this::accept, "muster-status-accept");
  }

  /**
   * Listens on {@code address} and serves {@code routes} (exact path to the answer for a query
   * string, empty if none).
   *
   * @param headTimeout how long a client may take to send its request head
   * @throws UncheckedIOException naming the address if it cannot listen
   */
  static StatusHttp start(
      InetSocketAddress address,
      Map<String, Function<String, Response>> routes,
      Duration headTimeout) {
    ServerSocket server;
    try {
      server = new ServerSocket();
      server.bind(address, 64);
    } catch (IOException e) {
      throw new UncheckedIOException(
          "status.listen: cannot listen on "
              + address.getHostString()
              + ":"
              + address.getPort()
              + ": "
              + e.getMessage(),
          e);
    }
    StatusHttp http = new StatusHttp(server, routes, headTimeout);
    http.acceptor.start();
    return http;
  }

  /** The port it listens on. */
  int port() {
    return server.getLocalPort();
  }

  private void accept() {
    while (!closed) {
      Socket socket;
      try {
        socket = server.accept();
      } catch (IOException e) {
        if (!closed) {
          log.warn("status: accept failed: {}", e.getMessage());
        }
        continue;
      }
      Socket oldest = null;
      synchronized (this) {
        if (open >= MAX_CONNECTIONS) {
          oldest = waitingForHead.pollFirst();
          if (oldest == null) {
            quietly(socket); // every slot is writing an answer: they end within the timeout
            continue;
          }
          evicted.add(oldest); // its slot goes to this one
        } else {
          open++;
        }
        waitingForHead.addLast(socket);
      }
      if (oldest != null) {
        quietly(oldest);
      }
      try {
        workers.execute(() -> serve(socket));
      } catch (java.util.concurrent.RejectedExecutionException e) {
        // More threads than slots are still ending (or closed): this one is not served.
        synchronized (this) {
          waitingForHead.remove(socket);
          open--;
        }
        quietly(socket);
      }
    }
  }

  private void serve(Socket socket) {
    ScheduledFuture<?> cutOff =
        watchdog.schedule(
            () -> quietly(socket), EXCHANGE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    try (socket) {
      String head = readHead(socket);
      synchronized (this) {
        waitingForHead.remove(socket);
      }
      Response response = head == null ? null : answer(head);
      if (response != null) {
        write(socket.getOutputStream(), response, head.startsWith("HEAD "));
      }
    } catch (IOException e) {
      // The client went away, was too slow, or was cut off: nothing to answer.
    } finally {
      cutOff.cancel(false);
      synchronized (this) {
        waitingForHead.remove(socket);
        if (!evicted.remove(socket)) {
          open--;
        }
      }
    }
  }

  /**
   * The request head up to the blank line, or {@code null} (answered 431) when it is too long.
   *
   * @throws IOException when the client is too slow, goes away, or is cut off
   */
  private String readHead(Socket socket) throws IOException {
    long deadline = System.nanoTime() + headTimeout.toNanos();
    InputStream in = socket.getInputStream();
    byte[] buffer = new byte[MAX_HEAD];
    int length = 0;
    while (true) {
      long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
      if (left <= 0) {
        throw new SocketException("request head not sent within " + headTimeout.toMillis() + " ms");
      }
      socket.setSoTimeout((int) Math.min(Integer.MAX_VALUE, left));
      int n = in.read(buffer, length, buffer.length - length);
      if (n < 0) {
        throw new SocketException("closed before the request head ended");
      }
      length += n;
      String text = new String(buffer, 0, length, StandardCharsets.ISO_8859_1);
      if (text.contains("\r\n\r\n") || text.contains("\n\n")) {
        return text;
      }
      if (length == buffer.length) {
        write(
            socket.getOutputStream(),
            new Response(431, "text/plain", "request head too long\n"),
            false);
        return null;
      }
    }
  }

  private Response answer(String head) {
    String line = head.lines().findFirst().orElse("");
    String[] parts = line.split(" ", -1);
    if (parts.length != 3 || !parts[2].startsWith("HTTP/1.")) {
      return new Response(400, "text/plain", "bad request line\n");
    }
    if (!parts[0].equals("GET") && !parts[0].equals("HEAD")) {
      return new Response(405, "text/plain", "only GET and HEAD\n");
    }
    String target = parts[1];
    int query = target.indexOf('?');
    String path = query < 0 ? target : target.substring(0, query);
    Function<String, Response> route = routes.get(path);
    if (route == null) {
      return new Response(
          404,
          "text/plain",
          "not found; try " + String.join(", ", routes.keySet().stream().sorted().toList()) + "\n");
    }
    try {
      return route.apply(query < 0 ? "" : target.substring(query + 1));
    } catch (RuntimeException e) {
      log.error("status: {} failed", path, e);
      return new Response(500, "text/plain", "internal error: " + e + "\n");
    }
  }

  private static void write(OutputStream out, Response response, boolean headOnly)
      throws IOException {
    byte[] body = response.body().getBytes(StandardCharsets.UTF_8);
    StringBuilder head =
        new StringBuilder("HTTP/1.1 ")
            .append(response.status())
            .append(' ')
            .append(reason(response.status()))
            .append("\r\nContent-Type: ")
            .append(response.type())
            .append("; charset=utf-8\r\nContent-Length: ")
            .append(body.length)
            .append("\r\nConnection: close\r\n");
    if (response.status() == 405) {
      head.append("Allow: GET, HEAD\r\n");
    }
    head.append("\r\n");
    out.write(head.toString().getBytes(StandardCharsets.ISO_8859_1));
    if (!headOnly) {
      out.write(body);
    }
    out.flush();
  }

  private static String reason(int status) {
    return switch (status) {
      case 200 -> "OK";
      case 400 -> "Bad Request";
      case 404 -> "Not Found";
      case 405 -> "Method Not Allowed";
      case 431 -> "Request Header Fields Too Large";
      case 503 -> "Service Unavailable";
      default -> "Error";
    };
  }

  private static void quietly(Socket socket) {
    try {
      socket.close();
    } catch (IOException e) {
      // closing is all that is left to do
    }
  }

  private static Thread daemon(Runnable r, String name) {
    Thread t = new Thread(r, name);
    t.setDaemon(true);
    return t;
  }

  @Override
  public void close() {
    closed = true;
    try {
      server.close();
    } catch (IOException e) {
      // closing is all that is left to do
    }
    workers.shutdownNow();
    watchdog.shutdownNow();
  }
}
