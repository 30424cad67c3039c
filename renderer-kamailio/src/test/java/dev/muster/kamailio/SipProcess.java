package dev.muster.kamailio;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The real Kamailio and sipp from the machine's packages, on 127.0.0.x with their own files,
 * stopped at the end. A missing binary fails the test: CI installs them. Port 5060 is never
 * used (Debian's package may run a system Kamailio there).
 */
final class SipProcess implements AutoCloseable {
  final Process process;
  final Path log;

  private SipProcess(Process process, Path log) {
    this.process = process;
    this.log = log;
  }

  static SipProcess kamailio(Path config, Path dir, int rpcPort) throws Exception {
    Path log = dir.resolve("kamailio.log");
    Process p = new ProcessBuilder("kamailio", "-f", config.toString(), "-DD", "-E",
        "-P", dir.resolve("kamailio.pid").toString(), "-Y", dir.toString(), "-m", "64",
        "-M", "32")
        .redirectErrorStream(true).redirectOutput(log.toFile()).start();
    SipProcess kamailio = new SipProcess(p, log);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
    while (System.nanoTime() < deadline) {
      if (!p.isAlive()) {
        throw new IllegalStateException("kamailio exited: " + Files.readString(log));
      }
      try (Socket s = new Socket()) {
        s.connect(new InetSocketAddress("127.0.0.1", rpcPort), 200);
        return kamailio;
      } catch (IOException e) {
        Thread.sleep(50);
      }
    }
    kamailio.close();
    throw new IllegalStateException("kamailio did not open its RPC port " + rpcPort);
  }

  /** A sipp UAS answering calls on {@code address:port}, writing statistics every second. */
  static SipProcess uas(Path scenario, String address, int port, Path stats) throws IOException {
    List<String> argv = List.of("sipp", "-sf", scenario.toString(), "-i", address,
        "-p", Integer.toString(port), "-aa", "-nostdin", "-trace_stat", "-stf",
        stats.toString(), "-fd", "1");
    Path log = stats.resolveSibling(stats.getFileName() + ".log");
    return new SipProcess(new ProcessBuilder(argv).redirectErrorStream(true)
        .redirectOutput(log.toFile()).start(), log);
  }

  /** A sipp UAC placing {@code calls} calls at {@code rate} per second; runs to the end. */
  static SipProcess uac(Path scenario, String proxy, int localPort, int calls, int rate,
      int holdMillis, Path stats) throws IOException {
    List<String> argv = new ArrayList<>(List.of("sipp", "-sf", scenario.toString(),
        "-s", "service", proxy, "-i", "127.0.0.1", "-p", Integer.toString(localPort),
        "-m", Integer.toString(calls), "-r", Integer.toString(rate),
        "-d", Integer.toString(holdMillis), "-nostdin", "-trace_stat", "-stf", stats.toString(),
        "-fd", "1", "-timeout", "120s", "-timeout_error"));
    Path log = stats.resolveSibling(stats.getFileName() + ".log");
    return new SipProcess(new ProcessBuilder(argv).redirectErrorStream(true)
        .redirectOutput(log.toFile()).start(), log);
  }

  /** A counter from the last line of a sipp statistics file, e.g. {@code SuccessfulCall(C)}. */
  static long stat(Path csv, String column) throws IOException {
    if (!Files.exists(csv)) {
      return 0;
    }
    List<String> lines = Files.readAllLines(csv);
    if (lines.size() < 2) {
      return 0;
    }
    List<String> header = List.of(lines.get(0).split(";"));
    String[] last = lines.get(lines.size() - 1).split(";");
    return Long.parseLong(last[header.indexOf(column)].strip());
  }

  static int freeUdpPort(String address) {
    try (DatagramSocket s = new DatagramSocket(new InetSocketAddress(
        InetAddress.getByName(address), 0))) {
      return s.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static int freeTcpPort() {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
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
