package dev.muster.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real program (HAProxy, nginx, Kamailio, sipp...) started for a test with its output in a
 * log file, and stopped with its whole process tree on {@link #close()}. A missing binary
 * fails at {@link #start}, as it should in CI.
 */
public final class ExternalProcess implements AutoCloseable {
  private final Process process;
  private final Path log;

  private ExternalProcess(Process process, Path log) {
    this.process = process;
    this.log = log;
  }

  /** Starts {@code argv} (no shell), sending standard output and error to {@code log}. */
  public static ExternalProcess start(List<String> argv, Path log) throws IOException {
    return new ExternalProcess(new ProcessBuilder(argv).redirectErrorStream(true)
        .redirectOutput(log.toFile()).start(), log);
  }

  /**
   * Waits until something accepts TCP connections on {@code host:port} (a loopback address).
   *
   * @throws IllegalStateException with the log if the process exits or the time runs out
   */
  public ExternalProcess awaitTcpPort(String host, int port, Duration timeout)
      throws IOException, InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new IllegalStateException(process.info().command().orElse("process")
            + " exited with " + process.exitValue() + ": " + Files.readString(log));
      }
      try (Socket s = new Socket()) {
        s.connect(new InetSocketAddress(host, port), 200);
        return this;
      } catch (IOException e) {
        Thread.sleep(20);
      }
    }
    close();
    throw new IllegalStateException("nothing listened on " + host + ":" + port + " within "
        + timeout.toMillis() + " ms: " + Files.readString(log));
  }

  /** The running process. */
  public Process process() {
    return process;
  }

  /** The log file. */
  public Path log() {
    return log;
  }

  /** A TCP port free on 127.0.0.1 right now. */
  public static int freeTcpPort() {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A UDP port free on {@code address} right now. */
  public static int freeUdpPort(String address) {
    try (DatagramSocket s = new DatagramSocket(new InetSocketAddress(
        InetAddress.getByName(address), 0))) {
      return s.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Stops the process and its children: SIGTERM, then SIGKILL after 10 s. */
  @Override
  public void close() {
    process.descendants().forEach(ProcessHandle::destroy);
    process.destroy();
    try {
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
