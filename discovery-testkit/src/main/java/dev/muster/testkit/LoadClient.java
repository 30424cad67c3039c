package dev.muster.testkit;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A bounded HTTP/1.1 load on a loopback address, written on raw sockets so that nothing is
 * hidden: it never retries, and every request that does not end in a complete 200 response
 * counts as failed (with its reason kept). In {@link Mode#KEEP_ALIVE} each thread reuses its
 * connection as browsers and HTTP libraries do, opening a new one only after the server said
 * {@code Connection: close} or after a failure; in {@link Mode#CLOSE} every request sends
 * {@code Connection: close} on a new connection.
 *
 * <p>It stops by itself after {@code maxRequests} per thread or {@code maxDuration}, whichever
 * comes first, or at {@link #stop()}.
 */
public final class LoadClient implements AutoCloseable {

  /** How connections are used. */
  public enum Mode {
    /** Persistent connections, reused until the server closes them. */
    KEEP_ALIVE,
    /** A new connection per request, with {@code Connection: close}. */
    CLOSE,
    /**
     * Persistent connections, and a request that fails on a reused connection before any
     * byte of the response arrived is sent once more on a new connection, as browsers and
     * most HTTP libraries do for idempotent requests. Counted in {@link #retried()}.
     */
    KEEP_ALIVE_RETRY
  }

  private final String host;
  private final int port;
  private final Mode mode;
  private final String path;
  private final long maxRequests;
  private final long deadlineNanos;
  private final AtomicBoolean stopped = new AtomicBoolean();
  private final AtomicLong ok = new AtomicLong();
  private final AtomicLong failed = new AtomicLong();
  private final AtomicLong retried = new AtomicLong();
  private final Map<String, AtomicLong> answeredBy = new ConcurrentHashMap<>();
  private final List<String> failures = Collections.synchronizedList(new ArrayList<>());
  private final List<Thread> threads = new ArrayList<>();

  private LoadClient(String host, int port, Mode mode, String path, int threadCount,
      long maxRequests, Duration maxDuration) {
    this.host = host;
    this.port = port;
    this.mode = mode;
    this.path = path;
    this.maxRequests = maxRequests;
    this.deadlineNanos = System.nanoTime() + maxDuration.toNanos();
    for (int i = 0; i < threadCount; i++) {
      Thread t = new Thread(this::run, "load-" + mode.name().toLowerCase(Locale.ROOT) + "-" + i);
      t.setDaemon(true);
      threads.add(t);
    }
  }

  /**
   * Starts {@code threads} threads sending {@code GET path} to {@code host:port} (a loopback
   * address), each at most {@code maxRequests} times, all for at most {@code maxDuration}.
   */
  public static LoadClient start(String host, int port, Mode mode, String path, int threads,
      long maxRequests, Duration maxDuration) {
    if (!host.startsWith("127.") && !host.equals("localhost") && !host.equals("::1")) {
      throw new IllegalArgumentException("load goes to loopback addresses only: " + host);
    }
    LoadClient client = new LoadClient(host, port, mode, path, threads, maxRequests,
        maxDuration);
    client.threads.forEach(Thread::start);
    return client;
  }

  /**
   * Waits until every thread has sent its {@code maxRequests} or reached the time limit.
   *
   * @return this client, for its counts
   */
  public LoadClient awaitCompletion() throws InterruptedException {
    for (Thread t : threads) {
      t.join();
    }
    return this;
  }

  /** Stops sending and waits for the threads to finish their current request. */
  public void stop() {
    stopped.set(true);
    for (Thread t : threads) {
      try {
        t.join(15_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  @Override
  public void close() {
    stop();
  }

  /** Complete 200 responses. */
  public long ok() {
    return ok.get();
  }

  /** Requests that did not end in a complete 200 response. */
  public long failed() {
    return failed.get();
  }

  /** Requests sent again after a reused connection failed (KEEP_ALIVE_RETRY only). */
  public long retried() {
    return retried.get();
  }

  /** The first failures' reasons (at most 20). */
  public List<String> failures() {
    synchronized (failures) {
      return List.copyOf(failures);
    }
  }

  /** How many 200 responses each backend name gave (the first line of the body). */
  public Map<String, Long> answeredBy() {
    Map<String, Long> copy = new java.util.TreeMap<>();
    answeredBy.forEach((k, v) -> copy.put(k, v.get()));
    return copy;
  }

  /** For example {@code keep-alive: 18234 ok, 0 failed}. */
  @Override
  public String toString() {
    String name = switch (mode) {
      case KEEP_ALIVE -> "keep-alive";
      case CLOSE -> "close";
      case KEEP_ALIVE_RETRY -> "keep-alive, retrying";
    };
    return name + ": " + ok() + " ok, " + failed() + " failed"
        + (mode == Mode.KEEP_ALIVE_RETRY ? ", " + retried() + " retried" : "");
  }

  private void run() {
    Connection connection = null;
    long sent = 0;
    while (!stopped.get() && sent < maxRequests && System.nanoTime() < deadlineNanos) {
      sent++;
      boolean reused = connection != null;
      try {
        if (connection == null) {
          connection = new Connection(host, port);
        }
        boolean keep = exchange(connection);
        if (mode == Mode.CLOSE || !keep) {
          connection.close();
          connection = null;
        }
      } catch (StaleConnectionException e) {
        connection.close();
        connection = null;
        if (mode == Mode.KEEP_ALIVE_RETRY && reused) {
          retried.incrementAndGet();
          try {
            connection = new Connection(host, port);
            if (!exchange(connection)) {
              connection.close();
              connection = null;
            }
          } catch (IOException | RuntimeException again) {
            fail(again);
            if (connection != null) {
              connection.close();
            }
            connection = null;
          }
        } else {
          fail(e);
        }
      } catch (IOException | RuntimeException e) {
        fail(e);
        if (connection != null) {
          connection.close();
        }
        connection = null;
      }
    }
    if (connection != null) {
      connection.close();
    }
  }

  private void fail(Exception e) {
    failed.incrementAndGet();
    synchronized (failures) {
      if (failures.size() < 20) {
        failures.add(e.toString());
      }
    }
  }

  /** Sends one request; true if the connection may be reused. */
  private boolean exchange(Connection connection) throws IOException {
    String request = "GET " + path + " HTTP/1.1\r\nHost: " + host + "\r\n"
        + (mode == Mode.CLOSE ? "Connection: close\r\n" : "") + "\r\n";
    int first;
    try {
      OutputStream out = connection.socket.getOutputStream();
      out.write(request.getBytes(StandardCharsets.US_ASCII));
      out.flush();
      first = connection.in.read();
    } catch (java.net.SocketException e) {
      throw new StaleConnectionException(e.toString());
    }
    if (first < 0) {
      throw new StaleConnectionException("connection closed before the status line");
    }
    return readResponse((char) first, connection.in);
  }

  /** The connection failed before any byte of the response: safe to retry if idempotent. */
  private static final class StaleConnectionException extends IOException {
    StaleConnectionException(String message) {
      super(message);
    }
  }

  private static final class Connection {
    final Socket socket;
    final InputStream in;

    Connection(String host, int port) throws IOException {
      socket = new Socket();
      try {
        socket.connect(new InetSocketAddress(host, port), 5000);
        socket.setSoTimeout(30_000);
        socket.setTcpNoDelay(true);
        in = new BufferedInputStream(socket.getInputStream());
      } catch (IOException e) {
        socket.close();
        throw e;
      }
    }

    void close() {
      try {
        socket.close();
      } catch (IOException ignored) {
        // already broken
      }
    }
  }

  /** Reads one response after its first byte; true if the connection may be reused. */
  private boolean readResponse(char first, InputStream in) throws IOException {
    String rest = line(in);
    String status = rest == null ? String.valueOf(first) : first + rest;
    if (status == null) {
      throw new IOException("connection closed before the status line");
    }
    if (!status.startsWith("HTTP/1.1 200") && !status.startsWith("HTTP/1.0 200")) {
      throw new IOException("status " + status);
    }
    long length = -1;
    boolean close = status.startsWith("HTTP/1.0");
    String header;
    while ((header = line(in)) != null && !header.isEmpty()) {
      String lower = header.toLowerCase(Locale.ROOT);
      if (lower.startsWith("content-length:")) {
        length = Long.parseLong(lower.substring(15).strip());
      } else if (lower.startsWith("connection:")) {
        close = lower.contains("close");
      }
    }
    if (header == null) {
      throw new IOException("connection closed in the headers");
    }
    if (length < 0) {
      throw new IOException("response without Content-Length");
    }
    byte[] body = in.readNBytes((int) length);
    if (body.length != length) {
      throw new IOException("connection closed in the body");
    }
    String text = new String(body, StandardCharsets.UTF_8);
    int nl = text.indexOf('\n');
    answeredBy.computeIfAbsent(nl < 0 ? text : text.substring(0, nl), k -> new AtomicLong())
        .incrementAndGet();
    ok.incrementAndGet();
    return !close;
  }

  private static String line(InputStream in) throws IOException {
    StringBuilder out = new StringBuilder();
    int c;
    while ((c = in.read()) >= 0) {
      if (c == '\n') {
        int n = out.length();
        return n > 0 && out.charAt(n - 1) == '\r' ? out.substring(0, n - 1) : out.toString();
      }
      out.append((char) c);
    }
    return out.length() == 0 ? null : out.toString();
  }
}
