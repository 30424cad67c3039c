package dev.muster.kamailio;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.muster.discovery.Changes;
import dev.muster.discovery.ConfigPipeline;
import dev.muster.discovery.Ec2MembershipSource;
import dev.muster.discovery.FileTarget;
import dev.muster.discovery.MemberMapping;
import dev.muster.discovery.Query;
import dev.muster.fixtures.Await;
import dev.muster.fixtures.Closeables;
import dev.muster.testkit.FakeEc2;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Muster starts before Kamailio (as at boot, or on a fresh host): the first list is written while
 * nothing answers the reload. The file must stay, so that Kamailio can start with it, and the
 * pipeline must keep trying the reload until Kamailio answers. Real Kamailio 5.6.
 */
class KamailioFirstStartIT {
  @TempDir Path dir;

  private FakeEc2 ec2;
  private SipProcess kamailio;
  private ConfigPipeline pipeline;

  @AfterEach
  void stop() {
    Closeables.closeAll(pipeline, kamailio, ec2);
  }

  @Test
  void theFirstListIsKeptWhenKamailioIsNotUpYetAndReloadedOnceItIs() throws Exception {
    ec2 = FakeEc2.start();
    ec2.fleet().launch(2, spec -> spec.privateIps("127.0.0.80", "127.0.0.81").tag("role", "acd"));
    int sipPort = SipProcess.freeUdpPort("127.0.0.1");
    int rpcPort = SipProcess.freeTcpPort();
    Path list = dir.resolve("dispatcher.list");
    Path config = dir.resolve("kamailio.cfg");
    Files.writeString(
        config,
        sampleConfig()
            .replace(
                "!MUSTER_SIP_ADDR!127.0.0.1:5070!", "!MUSTER_SIP_ADDR!127.0.0.1:" + sipPort + "!")
            .replace(
                "!MUSTER_RPC_ADDR!127.0.0.1:5071!", "!MUSTER_RPC_ADDR!127.0.0.1:" + rpcPort + "!")
            .replace("!MUSTER_LIST!/etc/kamailio/dispatcher.list!", "!MUSTER_LIST!" + list + "!")
            .replace("children=4", "children=2"));
    Ec2MembershipSource source =
        Ec2MembershipSource.newBuilder()
            .client(ec2.client())
            .query(Query.newBuilder().tag("role", "acd").build())
            .mapping(MemberMapping.newBuilder().port(5060).build())
            .build();
    pipeline =
        ConfigPipeline.newBuilder()
            .name("kamailio")
            .renderer(DispatcherList.newBuilder().set("acd", DispatcherSet.of(1)).build())
            .retryBackoff(Duration.ofMillis(200), Duration.ofSeconds(1))
            .target(
                FileTarget.newBuilder(list)
                    .validator(Kamailio.validator())
                    .reloader(
                        Kamailio.reloader(URI.create("http://127.0.0.1:" + rpcPort + "/RPC"), list)
                            .build())
                    .build())
            .build();

    pipeline.backend("acd").onChange(source.fetch(), Changes.NONE);

    assertNotNull(pipeline.pendingSince(), "the reload failed: nothing listens yet");
    assertTrue(
        Files.readString(list).contains("sip:127.0.0.81:5060"),
        "the validated list stays for Kamailio to start with");
    kamailio = SipProcess.kamailio(config, dir, rpcPort); // fails to start without the list
    Await.until(
        () -> pipeline.pendingSince() == null,
        Duration.ofSeconds(30),
        "the retried reload to succeed");
    assertNull(pipeline.lastFailure());
  }

  private static String sampleConfig() throws IOException {
    try (InputStream in =
        DispatcherList.class.getResourceAsStream("/dev/muster/kamailio/kamailio.cfg")) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }
}
