package dev.muster.haproxy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * The real HAProxy from the machine's package, started in master-worker mode
 * ({@code haproxy -W -S MASTER -f CFG}) on 127.0.0.1 with its own temporary configuration, and
 * stopped with its whole process tree. A missing binary fails the test: CI installs it.
 */
final class HaproxyProcess implements AutoCloseable {
  private final Process process;
  final Path masterSocket;
  final Path log;

  private HaproxyProcess(Process process, Path masterSocket, Path log) {
    this.process = process;
    this.masterSocket = masterSocket;
    this.log = log;
  }

  static HaproxyProcess start(Path config, Path masterSocket, int frontendPort)
      throws IOException, InterruptedException {
    Path log = config.resolveSibling("haproxy.log");
    Process process = new ProcessBuilder("haproxy", "-W", "-S", masterSocket.toString(), "-f",
        config.toString())
        .redirectErrorStream(true)
        .redirectOutput(log.toFile())
        .start();
    HaproxyProcess haproxy = new HaproxyProcess(process, masterSocket, log);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new IllegalStateException("haproxy exited: " + Files.readString(log));
      }
      try (Socket s = new Socket()) {
        s.connect(new InetSocketAddress("127.0.0.1", frontendPort), 200);
        if (Files.exists(masterSocket)) {
          return haproxy;
        }
      } catch (IOException e) {
        // not listening yet
      }
      Thread.sleep(20);
    }
    haproxy.close();
    throw new IllegalStateException("haproxy did not listen on " + frontendPort);
  }

  static int freePort() {
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

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
