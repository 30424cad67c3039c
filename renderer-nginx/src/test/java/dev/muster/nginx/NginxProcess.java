package dev.muster.nginx;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * The real nginx from the machine's package, started in the foreground with its own
 * temporary configuration on 127.0.0.1, and stopped with its workers. A missing binary fails
 * the test: CI installs it.
 */
final class NginxProcess implements AutoCloseable {
  private final Process process;

  private NginxProcess(Process process) {
    this.process = process;
  }

  static NginxProcess start(Path mainConfig, int port) throws IOException, InterruptedException {
    Path log = mainConfig.resolveSibling("nginx.out");
    Process process = new ProcessBuilder("nginx", "-c", mainConfig.toString(), "-g",
        "daemon off;")
        .redirectErrorStream(true).redirectOutput(log.toFile()).start();
    NginxProcess nginx = new NginxProcess(process);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new IllegalStateException("nginx exited: " + Files.readString(log));
      }
      try (Socket s = new Socket()) {
        s.connect(new InetSocketAddress("127.0.0.1", port), 200);
        return nginx;
      } catch (IOException e) {
        Thread.sleep(20);
      }
    }
    nginx.close();
    throw new IllegalStateException("nginx did not listen on " + port);
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
