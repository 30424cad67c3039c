package dev.muster.examples.docs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.muster.discovery.Ec2MembershipSource;
import dev.muster.discovery.InstanceIdentity;
import dev.muster.discovery.MemberMapping;
import dev.muster.discovery.MembershipSource;
import dev.muster.discovery.Query;
import dev.muster.fixtures.Await;
import dev.muster.fixtures.Closeables;
import dev.muster.fixtures.ExternalProcess;
import dev.muster.fixtures.HttpBackend;
import dev.muster.fixtures.Proxies;
import dev.muster.fixtures.ProxyConfigs;
import dev.muster.testkit.FakeEc2;
import dev.muster.testkit.FakeImds;
import dev.muster.testkit.FakeInstance;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.net.HttpURLConnection;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs every Java sample of docs/ (the marked regions of this package's sources, which DocsTest
 * matches to the pages) against the test kit's EC2 and the real proxies: each sample's proxy ends
 * up serving the simulated fleet, and follows a scale-out.
 */
class DocsExamplesIT {
  @TempDir Path dir;
  private FakeEc2 ec2;
  private final List<AutoCloseable> open = new ArrayList<>();
  private final List<HttpBackend> web = new ArrayList<>();
  private int next = 30;

  @BeforeEach
  void start() {
    ec2 = FakeEc2.start();
  }

  @AfterEach
  void stop() {
    List<AutoCloseable> all = new ArrayList<>(open);
    Collections.reverse(all);
    all.addAll(web);
    all.add(ec2);
    Closeables.closeAll(all.toArray(AutoCloseable[]::new));
  }

  /** A web instance: an HTTP backend on the next 127.0.0.N, its port in muster:port. */
  private FakeInstance launchWeb() {
    HttpBackend backend = HttpBackend.start("web-" + next, "127.0.0." + next++);
    web.add(backend);
    return ec2.fleet()
        .launch(
            1,
            spec ->
                spec.privateIps(backend.address())
                    .tag("role", "web")
                    .tag("muster:port", Integer.toString(backend.port())))
        .get(0);
  }

  private MembershipSource webSource() {
    return Ec2MembershipSource.newBuilder()
        .client(ec2.client())
        .query(Query.newBuilder().tag("role", "web").build())
        .mapping(MemberMapping.newBuilder().port(8080).build())
        .build();
  }

  @Test
  void quickStartPrintsTheThreeInstancesOfItsOwnTestKitFleet() throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    PrintStream stdout = System.out;
    System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
    try {
      QuickStart.main(new String[0]);
    } finally {
      System.setOut(stdout);
    }
    // The examples' logger writes to stdout too: only the sample's own lines.
    List<String> lines =
        out.toString(StandardCharsets.UTF_8).lines().filter(l -> l.startsWith("i-")).toList();
    assertTrue(!out.toString(StandardCharsets.UTF_8).contains("could not save"), out.toString());
    assertEquals(3, lines.size(), lines.toString());
    assertTrue(
        lines.stream()
            .allMatch(l -> l.matches("i-[0-9a-f]{17} 127\\.0\\.\\d+\\.\\d+:8080 weight 100")),
        lines.toString());
  }

  @Test
  void ownLayerLooksForTheLayerItsOwnTagNamesAndLeavesItselfOut() throws Exception {
    FakeInstance self = ec2.fleet().launch(1, spec -> spec.tag("muster:upstream", "api")).get(0);
    try (FakeImds imds = FakeImds.start(ec2.fleet(), self.instanceId()).tagsEnabled(true);
        Ec2MembershipSource source = OwnLayer.ownLayer(InstanceIdentity.fetch(imds.endpoint()))) {
      String said = source.describe();
      assertTrue(said.contains("layer") && said.contains("api"), said);
    }
  }

  @Test
  void haproxyFileModeServesTheFleetAndFollowsAScaleOut() throws Exception {
    int port = ExternalProcess.freeTcpPort();
    Path header =
        Files.writeString(dir.resolve("header.cfg"), ProxyConfigs.haproxyHeader(port, null));
    Path cfg = dir.resolve("haproxy.cfg");
    Path master = dir.resolve("master.sock");
    Set<String> ids = launch(2);
    open.add(ProxyExamples.haproxyFileMode(webSource(), header, cfg, master));
    Await.until(() -> Files.exists(cfg), Duration.ofSeconds(30), "the first haproxy.cfg");
    open.add(Proxies.haproxy(cfg, master, port));
    awaitServing(port, ids);
    ids.add(launchWeb().instanceId());
    awaitServing(port, ids);
  }

  @Test
  void haproxyRuntimeModeServesTheFleetAndFollowsAScaleOut() throws Exception {
    int port = ExternalProcess.freeTcpPort();
    Path admin = dir.resolve("admin.sock");
    Path header =
        Files.writeString(dir.resolve("header.cfg"), ProxyConfigs.haproxyHeader(port, admin));
    Path cfg = dir.resolve("haproxy.cfg");
    Path master = dir.resolve("master.sock");
    Set<String> ids = launch(2);
    open.add(ProxyExamples.haproxyRuntimeMode(webSource(), header, cfg, admin, master));
    Await.until(() -> Files.exists(cfg), Duration.ofSeconds(30), "the first haproxy.cfg");
    open.add(Proxies.haproxy(cfg, master, port));
    awaitServing(port, ids);
    ids.add(launchWeb().instanceId());
    awaitServing(port, ids);
  }

  @Test
  void nginxServesTheFleetAndFollowsAScaleOut() throws Exception {
    int port = ExternalProcess.freeTcpPort();
    Path upstreams = dir.resolve("upstreams.conf");
    Path main =
        Files.writeString(
            dir.resolve("nginx.conf"), ProxyConfigs.nginxMain(dir, port, upstreams.toString()));
    Set<String> ids = launch(2);
    open.add(ProxyExamples.nginx(webSource(), main, upstreams));
    Await.until(() -> Files.exists(upstreams), Duration.ofSeconds(30), "the first upstreams.conf");
    open.add(Proxies.nginx(main, port));
    awaitServing(port, ids);
    ids.add(launchWeb().instanceId());
    awaitServing(port, ids);
  }

  @Test
  void kamailioReloadsTheDispatcherListAndReadsItBack() throws Exception {
    int rpcPort = ExternalProcess.freeTcpPort();
    int sipPort = ExternalProcess.freeUdpPort("127.0.0.1");
    Path list = dir.resolve("dispatcher.list");
    Path cfg = dir.resolve("kamailio.cfg");
    String sample = dev.muster.kamailio.Kamailio.sampleConfig();
    Files.writeString(
        cfg,
        sample
            .replace(
                "!MUSTER_SIP_ADDR!127.0.0.1:5070!", "!MUSTER_SIP_ADDR!127.0.0.1:" + sipPort + "!")
            .replace(
                "!MUSTER_RPC_ADDR!127.0.0.1:5071!", "!MUSTER_RPC_ADDR!127.0.0.1:" + rpcPort + "!")
            .replace("!MUSTER_LIST!/etc/kamailio/dispatcher.list!", "!MUSTER_LIST!" + list + "!")
            .replace("!MUSTER_RELOAD_DELTA!5!", "!MUSTER_RELOAD_DELTA!1!")
            .replace("children=4", "children=1"));
    ec2.fleet().launch(2, spec -> spec.privateIps("127.0.0.80", "127.0.0.81").tag("role", "acd"));
    MembershipSource acd =
        Ec2MembershipSource.newBuilder()
            .client(ec2.client())
            .query(Query.newBuilder().tag("role", "acd").build())
            .mapping(MemberMapping.newBuilder().port(5060).build())
            .build();
    ProxyExamples.Running running =
        ProxyExamples.kamailio(acd, list, URI.create("http://127.0.0.1:" + rpcPort + "/RPC"));
    open.add(running);
    Await.until(() -> Files.exists(list), Duration.ofSeconds(30), "the first dispatcher.list");
    open.add(Proxies.kamailio(cfg, dir, rpcPort));
    Await.until(
        () -> running.pipeline().pendingSince() == null && running.pipeline().lastResult() != null,
        Duration.ofSeconds(60),
        "Kamailio to take the list");
    assertTrue(Files.readString(list).contains("sip:127.0.0.81:5060"), Files.readString(list));
  }

  private Set<String> launch(int count) {
    Set<String> ids = new HashSet<>();
    for (int i = 0; i < count; i++) {
      ids.add(launchWeb().instanceId());
    }
    return ids;
  }

  /** Waits until GETs through the proxy are answered by exactly the backends of {@code ids}. */
  private void awaitServing(int port, Set<String> ids) throws Exception {
    Set<String> names = new HashSet<>();
    for (HttpBackend b : web) {
      if (ids.contains(instanceOf(b))) {
        names.add(b.name());
      }
    }
    Await.until(
        () -> {
          Set<String> answered = new HashSet<>();
          for (int i = 0; i < names.size() * 6; i++) {
            answered.add(get(port));
          }
          return answered.equals(names);
        },
        Duration.ofSeconds(60),
        "the proxy on " + port + " to be answered by " + names);
  }

  private String instanceOf(HttpBackend backend) {
    return ec2.fleet().instances().stream()
        .filter(i -> backend.address().equals(i.privateIp()))
        .map(FakeInstance::instanceId)
        .findFirst()
        .orElse("");
  }

  private static String get(int port) {
    try {
      HttpURLConnection c =
          (HttpURLConnection) URI.create("http://127.0.0.1:" + port + "/").toURL().openConnection();
      c.setConnectTimeout(1000);
      c.setReadTimeout(2000);
      try (InputStream in = c.getInputStream()) {
        return new String(in.readAllBytes(), StandardCharsets.UTF_8).trim();
      }
    } catch (java.io.IOException e) {
      return "failed: " + e;
    }
  }
}
