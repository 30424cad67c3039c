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
    CLOSE
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
    return (mode == Mode.KEEP_ALIVE ? "keep-alive" : "close") + ": " + ok() + " ok, "
        + failed() + " failed";
  }

  private void run() {
    Socket socket = null;
    InputStream in = null;
    long sent = 0;
    while (!stopped.get() && sent < maxRequests && System.nanoTime() < deadlineNanos) {
      sent++;
      try {
        if (socket == null) {
          socket = new Socket();
          socket.connect(new InetSocketAddress(host, port), 5000);
          socket.setSoTimeout(30_000);
          socket.setTcpNoDelay(true);
          in = new BufferedInputStream(socket.getInputStream());
        }
        OutputStream out = socket.getOutputStream();
        String request = "GET " + path + " HTTP/1.1\r\nHost: " + host + "\r\n"
            + (mode == Mode.CLOSE ? "Connection: close\r\n" : "") + "\r\n";
        out.write(request.getBytes(StandardCharsets.US_ASCII));
        out.flush();
        boolean keep = readResponse(in);
        if (mode == Mode.CLOSE || !keep) {
          socket.close();
          socket = null;
        }
      } catch (IOException | RuntimeException e) {
        failed.incrementAndGet();
        synchronized (failures) {
          if (failures.size() < 20) {
            failures.add(e.toString());
          }
        }
        if (socket != null) {
          try {
            socket.close();
          } catch (IOException ignored) {
            // already broken
          }
        }
        socket = null;
      }
    }
    if (socket != null) {
      try {
        socket.close();
      } catch (IOException ignored) {
        // done
      }
    }
  }

  /** Reads one response; true if the connection may be reused. */
  private boolean readResponse(InputStream in) throws IOException {
    String status = line(in);
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
