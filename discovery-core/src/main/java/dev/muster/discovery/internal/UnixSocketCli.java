package dev.muster.discovery.internal;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.SocketException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;

/**
 * One exchange per connection on a unix socket: a command line to an HAProxy CLI socket (stats
 * socket or master socket: send the line, half-close, as the master CLI waits for it, read to the
 * end), or an HTTP/1.0 request to nginx's admin server for Muster's Lua balancer. Connections that
 * are refused, as right after start or during a reload, are retried until the timeout. The whole
 * exchange, connecting, writing and reading, is bounded by the timeout: a socket that accepts and
 * never answers fails the command instead of hanging the caller.
 */
public final class UnixSocketCli {
  private final Path socket;
  private final Duration timeout;

  public UnixSocketCli(Path socket, Duration timeout) {
    this.socket = socket;
    this.timeout = timeout;
  }

  public Path socket() {
    return socket;
  }

  /**
   * Sends {@code command} and returns the whole answer.
   *
   * @throws IOException if the socket cannot be reached, or the answer is not complete, within the
   *     timeout
   */
  public String send(String command) throws IOException {
    return send((command + "\n").getBytes(StandardCharsets.UTF_8), command, true);
  }

  /**
   * {@code METHOD PATH} over HTTP/1.0 with {@code body} (or none if {@code null}).
   *
   * @return the answer's body
   * @throws IOException if the socket cannot be reached or does not answer within the timeout, or
   *     the status is not 2xx (the message has the status line and the body)
   */
  public String http(String method, String path, String body) throws IOException {
    byte[] content = body == null ? new byte[0] : body.getBytes(StandardCharsets.UTF_8);
    String head =
        method
            + " "
            + path
            + " HTTP/1.0\r\nHost: muster\r\nContent-Length: "
            + content.length
            + "\r\n\r\n";
    byte[] request = new byte[head.length() + content.length];
    System.arraycopy(head.getBytes(StandardCharsets.US_ASCII), 0, request, 0, head.length());
    System.arraycopy(content, 0, request, head.length(), content.length);
    String answer = send(request, method + " " + path, false);
    int end = answer.indexOf("\r\n\r\n");
    String statusLine = answer.lines().findFirst().orElse("");
    if (end < 0 || !statusLine.matches("HTTP/1\\.[01] 2\\d\\d.*")) {
      throw new IOException(
          socket
              + ": "
              + method
              + " "
              + path
              + " answered "
              + statusLine
              + ": "
              + answer.substring(end < 0 ? 0 : end + 4).strip());
    }
    return answer.substring(end + 4);
  }

  private String send(byte[] request, String command, boolean halfClose) throws IOException {
    long deadline = System.nanoTime() + timeout.toNanos();
    IOException last = null;
    while (System.nanoTime() < deadline) {
      try (SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX)) {
        try {
          channel.connect(UnixDomainSocketAddress.of(socket));
        } catch (SocketException | NoSuchFileException e) {
          last = e;
          pause();
          continue;
        }
        return exchange(channel, request, command, halfClose, deadline);
      }
    }
    throw new IOException(
        "cannot connect to "
            + socket
            + " within "
            + timeout.toMillis()
            + " ms: "
            + (last == null ? "timeout" : last.getMessage()),
        last);
  }

  private String exchange(
      SocketChannel channel, byte[] bytes, String command, boolean halfClose, long deadline)
      throws IOException {
    channel.configureBlocking(false);
    try (Selector selector = Selector.open()) {
      ByteBuffer request = ByteBuffer.wrap(bytes);
      SelectionKey key = channel.register(selector, SelectionKey.OP_WRITE);
      while (request.hasRemaining()) {
        await(selector, deadline, command, "sending");
        channel.write(request);
      }
      if (halfClose) {
        channel.shutdownOutput();
      }
      key.interestOps(SelectionKey.OP_READ);
      ByteBuffer buffer = ByteBuffer.allocate(64 * 1024);
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      while (true) {
        int n = channel.read(buffer);
        if (n < 0) {
          return out.toString(StandardCharsets.UTF_8);
        }
        if (n == 0) {
          await(selector, deadline, command, "waiting for the answer to");
        }
        out.write(buffer.array(), 0, buffer.position());
        buffer.clear();
      }
    }
  }

  private void await(Selector selector, long deadline, String command, String doing)
      throws IOException {
    long left = (deadline - System.nanoTime()) / 1_000_000;
    if (left <= 0 || selector.select(left) == 0 && System.nanoTime() >= deadline) {
      throw new IOException(
          socket
              + " did not answer within "
              + timeout.toMillis()
              + " ms ("
              + doing
              + " '"
              + command
              + "')");
    }
    selector.selectedKeys().clear();
  }

  private void pause() throws IOException {
    try {
      Thread.sleep(20);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while connecting to " + socket, e);
    }
  }
}
