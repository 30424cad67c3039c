package dev.muster.haproxy;

import dev.muster.fixtures.Await;
import dev.muster.fixtures.ExternalProcess;
import dev.muster.fixtures.Proxies;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * The real HAProxy from the machine's package, in master-worker mode ({@code haproxy -W -S MASTER
 * -f CFG}) on 127.0.0.1 with its own temporary configuration. A missing binary fails the test: CI
 * installs it.
 */
final class HaproxyProcess implements AutoCloseable {
  private final ExternalProcess process;
  final Path masterSocket;

  private HaproxyProcess(ExternalProcess process, Path masterSocket) {
    this.process = process;
    this.masterSocket = masterSocket;
  }

  static HaproxyProcess start(Path config, Path masterSocket, int frontendPort)
      throws IOException, InterruptedException {
    ExternalProcess process = Proxies.haproxy(config, masterSocket, frontendPort);
    Await.until(() -> Files.exists(masterSocket), Duration.ofSeconds(10), "the master socket");
    return new HaproxyProcess(process, masterSocket);
  }

  static int freePort() {
    return ExternalProcess.freeTcpPort();
  }

  @Override
  public void close() {
    process.close();
  }
}
