package dev.muster.examples;

import dev.muster.discovery.ConfigPipeline;
import dev.muster.discovery.Discovery;
import dev.muster.discovery.Ec2MembershipSource;
import dev.muster.discovery.FileTarget;
import dev.muster.discovery.MemberMapping;
import dev.muster.discovery.Query;
import dev.muster.discovery.Reloader;
import dev.muster.discovery.Validator;
import dev.muster.fixtures.Await;
import dev.muster.fixtures.HttpBackend;
import dev.muster.fixtures.LoadClient;
import dev.muster.fixtures.ProxyConfigs;
import dev.muster.haproxy.Haproxy;
import dev.muster.haproxy.HaproxyConfig;
import dev.muster.kamailio.DispatcherList;
import dev.muster.kamailio.DispatcherSet;
import dev.muster.kamailio.Kamailio;
import dev.muster.nginx.NginxConfig;
import dev.muster.testkit.FakeEc2;
import dev.muster.testkit.FakeInstance;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;

/**
 * The demo: a simulated Auto Scaling group on the test kit's fake EC2, real HTTP backends on
 * 127.0.0.100-105, and, where {@code haproxy} is installed, a real HAProxy in front. It plays a
 * scale-out, a throttling burst, a hostile tag and a scale-in, printing what Muster does and
 * writing haproxy.cfg, an nginx upstream file and a Kamailio dispatcher list into a folder.
 *
 * <p>Why this size: it is a script, one section per scene, written to be read.
 */
public final class Demo {
  private static final String GROUP = "web-asg";

  private final PrintStream out;
  private final Path dir;
  private final Duration extra;
  private final List<HttpBackend> backends = new ArrayList<>();
  private final Deque<HttpBackend> spare = new ArrayDeque<>();
  private final AtomicInteger publications = new AtomicInteger();
  private FakeEc2 ec2;
  private Discovery discovery;
  private Process haproxy;
  private int port;
  private int step;

  Demo(Path dir, Duration extra, PrintStream out) {
    this.out = out;
    this.dir = dir;
    this.extra = extra;
  }

  /**
   * {@code java -jar examples/target/muster-demo.jar [--dir DIR] [--duration SECONDS]}: plays the
   * script, writing into DIR ({@code ./muster-demo} unless given), and keeps the fleet and HAProxy
   * up SECONDS longer at the end to look around.
   */
  public static void main(String[] args) {
    System.exit(run(List.of(args), System.out, System.err));
  }

  /** The demo with {@code args}; 0 when it played to the end, 2 for bad arguments. */
  static int run(List<String> args, PrintStream out, PrintStream err) {
    Path dir = Path.of("muster-demo");
    Duration extra = Duration.ZERO;
    for (int i = 0; i < args.size(); i += 2) {
      String value = i + 1 < args.size() ? args.get(i + 1) : null;
      if (args.get(i).equals("--dir") && value != null) {
        dir = Path.of(value);
      } else if (args.get(i).equals("--duration") && value != null && value.matches("\\d{1,4}")) {
        extra = Duration.ofSeconds(Integer.parseInt(value));
      } else {
        err.println(
            "usage: java -jar muster-demo.jar [--dir DIR] [--duration SECONDS (0 to 9999)]");
        return 2;
      }
    }
    Demo demo = new Demo(dir, extra, out);
    try {
      demo.play();
      return 0;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return 0;
    } finally {
      demo.close();
    }
  }

  private void play() throws IOException, InterruptedException {
    Files.createDirectories(dir);
    out.println(
        "Muster demo: a simulated Auto Scaling group, discovered through the real AWS "
            + "SDK\nfrom a fake EC2 endpoint on 127.0.0.1. Files go to "
            + dir.toAbsolutePath()
            + "\n");
    for (int i = 0; i < 6; i++) {
      HttpBackend backend = HttpBackend.start("backend-" + i, "127.0.0." + (100 + i));
      backends.add(backend);
      spare.add(backend);
    }
    ec2 = FakeEc2.start();
    launch(2);

    boolean haveHaproxy = installed("haproxy");
    port = freePort();
    Path haproxyCfg = dir.resolve("haproxy.cfg");
    Path master = dir.toAbsolutePath().resolve("haproxy-master.sock");
    Files.deleteIfExists(master);
    var haproxyRenderer =
        HaproxyConfig.newBuilder()
            .headerText(ProxyConfigs.haproxyHeader(port, null))
            .backendOptions("web", "    balance roundrobin\n    option httpchk GET /health")
            .serverOptions("check inter 1s fall 2 rise 1")
            .build();
    Ec2MembershipSource source =
        Ec2MembershipSource.newBuilder()
            .region("us-east-1")
            .endpoint(ec2.endpoint())
            .credentials(
                StaticCredentialsProvider.create(
                    AwsBasicCredentials.create("AKIDMUSTERDEMO", "demo-secret")))
            .query(Query.newBuilder().autoScalingGroup(GROUP).build())
            .mapping(MemberMapping.newBuilder().port(8080).build())
            .build();
    Validator haproxyCheck = haveHaproxy ? Haproxy.validator() : Validator.NONE;
    FileTarget.newBuilder(haproxyCfg)
        .validator(haproxyCheck)
        .build()
        .apply(haproxyRenderer.render(Map.of("web", source.fetch())));
    if (haveHaproxy) {
      haproxy =
          new ProcessBuilder(
                  "haproxy",
                  "-W",
                  "-S",
                  master.toString(),
                  "-f",
                  haproxyCfg.toAbsolutePath().toString())
              .redirectErrorStream(true)
              .redirectOutput(dir.resolve("haproxy.log").toFile())
              .start();
      Await.until(() -> listening(port), Duration.ofSeconds(10), "HAProxy to listen");
      out.println(
          "HAProxy "
              + "listens on 127.0.0.1:"
              + port
              + " (master-worker mode, "
              + "reloaded through its master CLI).");
    } else {
      out.println(
          "haproxy is not installed: the demo writes haproxy.cfg but runs no HAProxy "
              + "(apt-get install haproxy to see requests flow).");
    }

    ConfigPipeline haproxyPipeline =
        ConfigPipeline.newBuilder()
            .name("haproxy")
            .renderer(haproxyRenderer)
            .target(
                FileTarget.newBuilder(haproxyCfg)
                    .validator(haproxyCheck)
                    .reloader(haveHaproxy ? Haproxy.reloader(master) : Reloader.NONE)
                    .build())
            .build();
    ConfigPipeline nginxPipeline =
        ConfigPipeline.newBuilder()
            .name("nginx")
            .renderer(NginxConfig.newBuilder().build())
            .target(FileTarget.newBuilder(dir.resolve("upstreams.conf")).build())
            .build();
    ConfigPipeline kamailioPipeline =
        ConfigPipeline.newBuilder()
            .name("kamailio")
            .renderer(DispatcherList.newBuilder().set("web", DispatcherSet.of(1)).build())
            .target(
                FileTarget.newBuilder(dir.resolve("dispatcher.list"))
                    .validator(Kamailio.validator())
                    .build())
            .build();
    discovery =
        Discovery.newBuilder()
            .name("web")
            .source(source)
            .listener(haproxyPipeline.backend("web"))
            .listener(nginxPipeline.backend("web"))
            .listener(kamailioPipeline.backend("web"))
            .listener((snapshot, changes) -> publications.incrementAndGet())
            .interval(Duration.ofSeconds(1))
            .jitter(0)
            .confirmations(2)
            .maxRemovalFraction(0.5)
            .holdMin(Duration.ofSeconds(3))
            .build();

    section("Start: two instances in " + GROUP);
    discovery.start();
    Await.until(() -> publications.get() > 0, Duration.ofSeconds(20), "the first publication");
    show(haproxyCfg, "backend web");
    show(dir.resolve("upstreams.conf"), "upstream web");
    show(dir.resolve("dispatcher.list"), "# setid");
    probe(6);

    section("Scale out: the group launches two more instances");
    change(() -> launch(2));
    show(haproxyCfg, "backend web");
    probe(8);

    section("Throttling burst: EC2 answers RequestLimitExceeded for a while");
    ec2.throttleNext(12);
    discovery.refresh();
    Await.until(
        () -> discovery.status().consecutiveFailures() > 0,
        Duration.ofSeconds(30),
        "a failed fetch");
    out.printf(
        "  status: %d failed fetch(es) in a row (%s); still serving %d members%n",
        discovery.status().consecutiveFailures(),
        shorten(discovery.status().lastError()),
        discovery.status().memberCount());
    probe(4);
    ec2.clearFaults();
    discovery.refresh();
    Await.until(
        () -> discovery.status().consecutiveFailures() == 0,
        Duration.ofSeconds(30),
        "a successful fetch");
    out.println("  EC2 answers again; nothing changed, so nothing was rewritten or reloaded.");

    section("Hostile tag: someone tags an instance with a line break and a fake server");
    FakeInstance target = ec2.fleet().running().get(0);
    change(
        () -> {
          ec2.fleet()
              .tag(target.instanceId(), "muster:port", "8080\nserver evil 6.6.6.6:80 backup");
          ec2.fleet().tag(target.instanceId(), "Name", "x\"; reload; #");
        });
    boolean clean = Files.readAllLines(haproxyCfg).stream().noneMatch(l -> l.contains("evil"));
    out.println(
        "  "
            + target.instanceId()
            + " is skipped (its port tag is not a port); "
            + "haproxy.cfg has "
            + (clean ? "no" : "AN")
            + " 'evil' line.");
    show(haproxyCfg, "backend web");

    section("Scale in: the group terminates all instances but one (a mass removal)");
    String keep = discovery.current().orElseThrow().members().get(0).instanceId();
    int before = publications.get();
    for (FakeInstance instance : ec2.fleet().running()) {
      if (!instance.instanceId().equals(keep)) {
        retire(instance);
      }
    }
    discovery.refresh();
    Await.until(
        () -> discovery.status().held() != null || publications.get() > before,
        Duration.ofSeconds(20),
        "the guard's decision");
    if (discovery.status().held() != null) {
      out.println(
          "  guard: "
              + discovery.status().held()
              + "; published once seen twice "
              + "over 3 s (60 s by default)");
    }
    Await.until(() -> publications.get() > before, Duration.ofSeconds(20), "the confirmation");
    show(haproxyCfg, "backend web");
    probe(4);

    if (!extra.isZero()) {
      section("Playing random scaling for " + extra.toSeconds() + " s (--duration)");
      Random random = new Random(1);
      long end = System.nanoTime() + extra.toNanos();
      while (System.nanoTime() < end) {
        if (ec2.fleet().running().size() < 2 || random.nextBoolean() && !spare.isEmpty()) {
          change(() -> launch(1));
        } else {
          FakeInstance leaving = ec2.fleet().running().get(0);
          change(() -> retire(leaving));
        }
        probe(2);
        Thread.sleep(2000);
      }
    }

    section("Done");
    out.printf(
        "  publications: %d; HAProxy reloads: %d; files in %s: haproxy.cfg, "
            + "upstreams.conf, dispatcher.list%n",
        publications.get(), haproxyPipeline.appliedCount(), dir.toAbsolutePath());
  }

  private void launch(int count) {
    for (int i = 0; i < count && !spare.isEmpty(); i++) {
      HttpBackend backend = spare.poll();
      ec2.fleet()
          .launch(
              1,
              spec ->
                  spec.privateIps(backend.address())
                      .tag(dev.muster.testkit.SimulatedFleet.AUTO_SCALING_GROUP_TAG, GROUP)
                      .tag("muster:port", Integer.toString(backend.port())));
    }
  }

  private void retire(FakeInstance instance) {
    ec2.fleet().terminate(instance.instanceId());
    backends.stream()
        .filter(b -> b.address().equals(instance.privateIp()))
        .findFirst()
        .ifPresent(spare::add);
  }

  private void change(Runnable change) throws InterruptedException {
    int before = publications.get();
    change.run();
    discovery.refresh();
    Await.until(() -> publications.get() > before, Duration.ofSeconds(20), "the change");
  }

  private void probe(int requests) throws InterruptedException {
    if (haproxy == null) {
      return;
    }
    LoadClient client =
        LoadClient.start(
                "127.0.0.1", port, LoadClient.Mode.CLOSE, "/", 1, requests, Duration.ofSeconds(10))
            .awaitCompletion();
    out.println(
        "  "
            + requests
            + " probe requests through HAProxy, answered by: "
            + client.answeredBy()
            + (client.failed() > 0 ? ", " + client.failed() + " failed" : ""));
  }

  private void section(String title) {
    out.println();
    out.println("== " + (++step) + ". " + title);
  }

  private void show(Path file, String from) throws IOException {
    List<String> lines = Files.readAllLines(file);
    int start = 0;
    for (int i = 0; i < lines.size(); i++) {
      if (lines.get(i).startsWith(from)) {
        start = i;
        break;
      }
    }
    out.println("  --- " + file.getFileName());
    lines.subList(start, lines.size()).forEach(l -> out.println("  | " + l));
  }

  private static String shorten(String text) {
    if (text == null) {
      return "";
    }
    int cut = text.indexOf(" (Service:");
    return cut > 0 ? text.substring(0, cut) : text.length() > 120 ? text.substring(0, 120) : text;
  }

  private static boolean installed(String program) {
    try {
      Process p =
          new ProcessBuilder(program, "-v")
              .redirectErrorStream(true)
              .redirectOutput(ProcessBuilder.Redirect.DISCARD)
              .start();
      return p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  private static boolean listening(int port) {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress("127.0.0.1", port), 200);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  private void close() {
    if (discovery != null) {
      discovery.close();
    }
    if (haproxy != null) {
      haproxy.descendants().forEach(ProcessHandle::destroy);
      haproxy.destroy();
      try {
        haproxy.waitFor(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    if (ec2 != null) {
      ec2.close();
    }
    backends.forEach(HttpBackend::close);
  }
}
