package dev.muster.haproxy.internal;

import java.io.IOException;
import java.net.SocketException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;

/**
 * One command per connection on an HAProxy CLI socket (stats socket or master socket): send
 * the line, half-close (the master CLI waits for it), read to the end. Connections that are
 * refused, as right after start or during a reload, are retried until the timeout.
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

  /** Sends {@code command} and returns the whole answer. */
  public String send(String command) throws IOException {
    long deadline = System.nanoTime() + timeout.toNanos();
    IOException last = null;
    while (System.nanoTime() < deadline) {
      try (SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX)) {
        channel.connect(UnixDomainSocketAddress.of(socket));
        channel.write(ByteBuffer.wrap((command + "\n").getBytes(StandardCharsets.UTF_8)));
        channel.shutdownOutput();
        ByteBuffer buffer = ByteBuffer.allocate(64 * 1024);
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        int n;
        while ((n = channel.read(buffer)) >= 0) {
          out.write(buffer.array(), 0, n);
          buffer.clear();
        }
        return out.toString(StandardCharsets.UTF_8);
      } catch (SocketException | java.nio.file.NoSuchFileException e) {
        last = e;
      } catch (IOException e) {
        if (e.getMessage() != null && (e.getMessage().contains("Connection refused")
            || e.getMessage().contains("No such file"))) {
          last = e;
        } else {
          throw e;
        }
      }
      try {
        Thread.sleep(20);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("interrupted while connecting to " + socket, e);
      }
    }
    throw new IOException("cannot connect to " + socket + " within " + timeout.toMillis()
        + " ms: " + (last == null ? "timeout" : last.getMessage()), last);
  }
}
