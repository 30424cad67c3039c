package dev.muster.nginx;

import dev.muster.fixtures.ExternalProcess;
import dev.muster.fixtures.Proxies;
import java.io.IOException;
import java.nio.file.Path;

/**
 * The real nginx from the machine's package, in the foreground with its own temporary configuration
 * on 127.0.0.1. A missing binary fails the test: CI installs it.
 */
final class NginxProcess implements AutoCloseable {
  private final ExternalProcess process;

  private NginxProcess(ExternalProcess process) {
    this.process = process;
  }

  static NginxProcess start(Path mainConfig, int port) throws IOException, InterruptedException {
    return new NginxProcess(Proxies.nginx(mainConfig, port));
  }

  static int freePort() {
    return ExternalProcess.freeTcpPort();
  }

  @Override
  public void close() {
    process.close();
  }
}
