package dev.muster.haproxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.muster.discovery.Changes;
import dev.muster.discovery.ConfigPipeline;
import dev.muster.discovery.Ec2MembershipSource;
import dev.muster.discovery.FileTarget;
import dev.muster.discovery.MemberMapping;
import dev.muster.discovery.MembershipListener;
import dev.muster.discovery.Query;
import dev.muster.discovery.Renderer;
import dev.muster.fixtures.Await;
import dev.muster.fixtures.HttpBackend;
import dev.muster.fixtures.HttpFleet;
import dev.muster.testkit.FakeEc2;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A failed or interrupted apply is never lost: with the real HAProxy in master-worker mode, the
 * pipeline keeps trying until HAProxy serves what EC2 says.
 */
class HaproxyRecoveryIT {
  @TempDir Path dir;

  private HttpFleet fleet;
  private List<HttpBackend> servers;
  private FakeEc2 ec2;
  private HaproxyProcess haproxy;
  private ConfigPipeline pipeline;
  private int port;
  private Path config;
  private Path master;
  private Renderer renderer;
  private Ec2MembershipSource source;

  @BeforeEach
  void start() {
    ec2 = FakeEc2.start();
    fleet = HttpFleet.start(ec2, "web", 3, 40);
    servers = fleet.servers();
    launch(servers.get(0));
    launch(servers.get(1));
    port = HaproxyProcess.freePort();
    config = dir.resolve("haproxy.cfg");
    master = dir.resolve("master.sock");
    renderer =
        HaproxyConfig.newBuilder()
            .headerText(HaproxyReloadIT.header(port))
            .serverOptions("check inter 300ms fall 2 rise 1")
            .build();
    source =
        Ec2MembershipSource.newBuilder()
            .client(ec2.client())
            .query(Query.newBuilder().tag("role", "web").build())
            .mapping(MemberMapping.newBuilder().port(80).build())
            .build();
  }

  @AfterEach
  void stop() {
    if (pipeline != null) {
      pipeline.close();
    }
    if (haproxy != null) {
      haproxy.close();
    }
    ec2.close();
    if (fleet != null) {
      fleet.close();
    }
  }

  private void launch(HttpBackend server) {
    fleet.launch(server);
  }

  private FileTarget target() {
    return FileTarget.newBuilder(config)
        .validator(Haproxy.validator())
        .reloader(Haproxy.reloader(master, Duration.ofSeconds(3)))
        .build();
  }

  private ConfigPipeline pipeline() {
    return ConfigPipeline.newBuilder()
        .name("haproxy")
        .renderer(renderer)
        .retryBackoff(Duration.ofMillis(200), Duration.ofSeconds(1))
        .target(target())
        .build();
  }

  /** Sends requests through HAProxy until {@code server} answered one, or fails. */
  private void awaitServed(HttpBackend server) throws InterruptedException {
    long before = server.requests();
    Await.until(
        () -> {
          get();
          return server.requests() > before;
        },
        Duration.ofSeconds(20),
        server.name() + " to get traffic through HAProxy");
  }

  private void get() {
    try (Socket socket = new Socket("127.0.0.1", port)) {
      socket.setSoTimeout(2000);
      OutputStream out = socket.getOutputStream();
      out.write(
          "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
              .getBytes(StandardCharsets.US_ASCII));
      out.flush();
      InputStream in = socket.getInputStream();
      in.readAllBytes();
    } catch (IOException e) {
      // a refused or failed request: the caller counts answers, not attempts
    }
  }

  @Test
  void theFirstFileIsKeptWhenHaproxyIsNotUpYetAndReloadedOnceItIs() throws Exception {
    pipeline = pipeline();

    pipeline.backend("web").onChange(source.fetch(), Changes.NONE);

    assertNotNull(pipeline.pendingSince(), "no master socket yet");
    assertTrue(Files.exists(config), "the validated file stays for HAProxy to start with");
    haproxy = HaproxyProcess.start(config, master, port);
    Await.until(
        () -> pipeline.pendingSince() == null,
        Duration.ofSeconds(30),
        "the retried reload to succeed");
    awaitServed(servers.get(1));
  }

  @Test
  void aChangeWhileHaproxyIsDownIsAppliedOnceItIsBack() throws Exception {
    pipeline = pipeline();
    MembershipListener web = pipeline.backend("web");
    web.onChange(source.fetch(), Changes.NONE);
    haproxy = HaproxyProcess.start(config, master, port);
    Await.until(() -> pipeline.pendingSince() == null, Duration.ofSeconds(30), "first apply");
    haproxy.close();
    haproxy = null;

    launch(servers.get(2));
    web.onChange(source.fetch(), Changes.NONE);
    assertNotNull(pipeline.pendingSince(), "HAProxy is down");
    haproxy = HaproxyProcess.start(config, master, port); // with the restored previous file

    Await.until(
        () -> pipeline.pendingSince() == null,
        Duration.ofSeconds(30),
        "the retried apply to succeed");
    awaitServed(servers.get(2));
  }

  @Test
  void aCrashBetweenTheWriteAndTheReloadIsReloadedByTheNextRun() throws Exception {
    FileTarget.newBuilder(config)
        .validator(Haproxy.validator())
        .build()
        .apply(renderer.render(Map.of("web", source.fetch())));
    haproxy = HaproxyProcess.start(config, master, port);
    launch(servers.get(2));
    String next = renderer.render(Map.of("web", source.fetch()));
    // What a kill -9 after the rename and before the reload leaves: the new file, the marker.
    Files.writeString(config, next);
    Files.createFile(dir.resolve(".haproxy.cfg.muster-pending"));
    for (int i = 0; i < 20; i++) {
      get();
    }
    assertEquals(0, servers.get(2).requests(), "HAProxy still runs the old configuration");

    pipeline = pipeline(); // the next run
    pipeline.backend("web").onChange(source.fetch(), Changes.NONE);

    Await.until(
        () -> pipeline.pendingSince() == null,
        Duration.ofSeconds(30),
        "the reload of the unchanged file");
    assertTrue(Files.notExists(dir.resolve(".haproxy.cfg.muster-pending")));
    awaitServed(servers.get(2));
  }
}
