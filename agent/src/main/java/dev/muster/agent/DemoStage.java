package dev.muster.agent;

import com.sun.net.httpserver.HttpServer;
import dev.muster.testkit.FakeAutoScaling;
import dev.muster.testkit.FakeEc2;
import dev.muster.testkit.FakeInstance;
import dev.muster.testkit.FakeSqs;
import dev.muster.testkit.SimulatedFleet;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.HttpURLConnection;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What {@code muster demo} plays on, all on this machine's loopback: the test kit's EC2, Auto
 * Scaling (a group with a terminate lifecycle hook) and SQS stand-ins, one small HTTP server per
 * web instance (on 127.0.0.N, answering with its instance id), and the real proxies that are
 * installed, started with their own files in the demo's folder and stopped at the end.
 */
final class DemoStage implements AutoCloseable {
  static final String GROUP = "web-asg";
  static final String HOOK = "muster-demo";

  final Path dir;
  final FakeEc2 ec2 = FakeEc2.start();
  final FakeSqs sqs = FakeSqs.start();
  final FakeAutoScaling autoscaling = FakeAutoScaling.start(ec2.fleet());
  final String queue = sqs.createQueue(HOOK, Duration.ofSeconds(30));
  private final Map<String, HttpServer> web = new LinkedHashMap<>();
  private final List<Process> proxies = new ArrayList<>();
  private int nextHost = 11;

  DemoStage(Path dir) {
    this.dir = dir;
    autoscaling.terminateHook(
        GROUP,
        HOOK,
        sqs,
        queue,
        Duration.ofSeconds(60),
        "CONTINUE",
        FakeAutoScaling.Format.EVENTBRIDGE);
  }

  /** Whether {@code command} is on the PATH. */
  static boolean installed(String command) {
    String path = System.getenv().getOrDefault("PATH", "/usr/sbin:/usr/bin:/sbin:/bin");
    for (String folder : (path + ":/usr/sbin:/sbin").split(":")) {
      if (!folder.isEmpty() && Files.isExecutable(Path.of(folder, command))) {
        return true;
      }
    }
    return false;
  }

  /** A free TCP port on 127.0.0.1. */
  static int freePort() {
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getByName("127.0.0.1"))) {
      return s.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Launches a web instance into the group: an HTTP server on the next 127.0.0.N:8080 answering
   * {@code INSTANCE-ID\n}, then the instance (tagged role=web and the group) in EC2.
   */
  synchronized FakeInstance launchWeb() throws IOException {
    String address = "127.0.0." + nextHost++;
    HttpServer server = HttpServer.create(new InetSocketAddress(address, 8080), 50);
    FakeInstance instance =
        ec2.fleet()
            .launch(
                1,
                spec ->
                    spec.privateIps(address)
                        .tag("role", "web")
                        .tag(SimulatedFleet.AUTO_SCALING_GROUP_TAG, GROUP))
            .get(0);
    byte[] body = (instance.instanceId() + "\n").getBytes(StandardCharsets.US_ASCII);
    server.createContext(
        "/",
        exchange -> {
          try (exchange) {
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
          }
        });
    server.start();
    web.put(instance.instanceId(), server);
    return instance;
  }

  /** Launches SIP destinations on 127.0.0.N:5060 (nothing answers there; Kamailio marks them). */
  List<FakeInstance> launchSip(int count) {
    String[] addresses = new String[count];
    for (int i = 0; i < count; i++) {
      addresses[i] = "127.0.0." + (nextHost++);
    }
    return ec2.fleet().launch(count, spec -> spec.privateIps(addresses).tag("role", "sip"));
  }

  /** Stops the HTTP server of a web instance that Auto Scaling terminated. */
  synchronized void stopWeb(String instanceId) {
    HttpServer server = web.remove(instanceId);
    if (server != null) {
      server.stop(0);
    }
  }

  /** Starts {@code argv} with its output in {@code log}; stopped by {@link #close}. */
  Process start(List<String> argv, String log) throws IOException {
    Process p =
        new ProcessBuilder(argv)
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve(log).toFile())
            .start();
    proxies.add(p);
    return p;
  }

  /** The body of {@code GET url} (2 s timeouts), or the error in brackets. */
  static String get(String url) {
    try {
      HttpURLConnection c = (HttpURLConnection) URI.create(url).toURL().openConnection();
      c.setConnectTimeout(2000);
      c.setReadTimeout(2000);
      int code = c.getResponseCode();
      try (InputStream in = code < 400 ? c.getInputStream() : c.getErrorStream()) {
        String body = in == null ? "" : new String(in.readAllBytes(), StandardCharsets.UTF_8);
        return code < 400 ? body : "[HTTP " + code + "] " + body;
      }
    } catch (IOException e) {
      return "[" + e.getMessage() + "]";
    }
  }

  /** Waits up to {@code timeout} for {@code condition}; false if it never held. */
  static boolean await(Duration timeout, java.util.function.BooleanSupplier condition)
      throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        return false;
      }
      Thread.sleep(50);
    }
    return true;
  }

  /** Stops the proxies (TERM, then KILL after 10 s), the backends and the stand-ins. */
  @Override
  public void close() {
    for (Process p : proxies) {
      p.destroy();
    }
    for (Process p : proxies) {
      try {
        if (!p.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)) {
          p.destroyForcibly();
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        p.destroyForcibly();
      }
    }
    web.values().forEach(s -> s.stop(0));
    autoscaling.close();
    sqs.close();
    ec2.close();
  }
}
