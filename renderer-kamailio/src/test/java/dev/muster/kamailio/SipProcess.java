package dev.muster.kamailio;

import dev.muster.fixtures.ExternalProcess;
import dev.muster.fixtures.Proxies;
import java.io.IOException;
import java.nio.file.Path;

/**
 * The real Kamailio and sipp from the machine's packages, on 127.0.0.x with their own files,
 * stopped at the end. A missing binary fails the test: CI installs them. Port 5060 is never used
 * (Debian's package may run a system Kamailio there).
 */
final class SipProcess implements AutoCloseable {
  private final ExternalProcess external;
  final Process process;

  private SipProcess(ExternalProcess external) {
    this.external = external;
    this.process = external.process();
  }

  static SipProcess kamailio(Path config, Path dir, int rpcPort) throws Exception {
    return new SipProcess(Proxies.kamailio(config, dir, rpcPort));
  }

  /** A sipp UAS answering calls on {@code address:port}, writing statistics every second. */
  static SipProcess uas(Path scenario, String address, int port, Path stats) throws IOException {
    return new SipProcess(Proxies.sippUas(scenario, address, port, stats));
  }

  /** A sipp UAC placing {@code calls} calls at {@code rate} per second; runs to the end. */
  static SipProcess uac(
      Path scenario, String proxy, int localPort, int calls, int rate, int holdMillis, Path stats)
      throws IOException {
    return new SipProcess(
        Proxies.sippUac(scenario, proxy, localPort, calls, rate, holdMillis, stats));
  }

  /** A counter from the last line of a sipp statistics file, e.g. {@code SuccessfulCall(C)}. */
  static long stat(Path csv, String column) throws IOException {
    return Proxies.sippStat(csv, column);
  }

  static int freeUdpPort(String address) {
    return ExternalProcess.freeUdpPort(address);
  }

  static int freeTcpPort() {
    return ExternalProcess.freeTcpPort();
  }

  @Override
  public void close() {
    external.close();
  }
}
