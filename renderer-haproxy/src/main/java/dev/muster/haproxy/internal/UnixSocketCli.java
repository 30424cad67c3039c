package dev.muster.haproxy.internal;

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
 * One command per connection on an HAProxy CLI socket (stats socket or master socket): send the
 * line, half-close (the master CLI waits for it), read to the end. Connections that are refused, as
 * right after start or during a reload, are retried until the timeout. The whole exchange,
 * connecting, writing and reading, is bounded by the timeout: a socket that accepts and never
 * answers fails the command instead of hanging the caller.
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
        return exchange(channel, command, deadline);
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

  private String exchange(SocketChannel channel, String command, long deadline) throws IOException {
    channel.configureBlocking(false);
    try (Selector selector = Selector.open()) {
      ByteBuffer request = ByteBuffer.wrap((command + "\n").getBytes(StandardCharsets.UTF_8));
      SelectionKey key = channel.register(selector, SelectionKey.OP_WRITE);
      while (request.hasRemaining()) {
        await(selector, deadline, command, "sending");
        channel.write(request);
      }
      channel.shutdownOutput();
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
