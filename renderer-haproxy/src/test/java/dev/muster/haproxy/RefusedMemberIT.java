package dev.muster.haproxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.muster.discovery.Changes;
import dev.muster.discovery.ConfigPipeline;
import dev.muster.discovery.Ec2MembershipSource;
import dev.muster.discovery.FileTarget;
import dev.muster.discovery.MemberMapping;
import dev.muster.discovery.MembershipListener;
import dev.muster.discovery.Query;
import dev.muster.discovery.Renderer;
import dev.muster.testkit.FakeEc2;
import dev.muster.testkit.FakeInstance;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One instance's tag can never block the fleet's updates: through the real SDK against the test
 * kit's EC2 and the real {@code haproxy -c}.
 */
class RefusedMemberIT {
  @TempDir Path dir;

  private FakeEc2 ec2;
  private Path config;
  private Renderer renderer;

  @BeforeEach
  void start() {
    ec2 = FakeEc2.start();
    config = dir.resolve("haproxy.cfg");
    renderer = HaproxyConfig.newBuilder().headerText(HaproxyReloadIT.header(8080)).build();
    for (int i = 0; i < 4; i++) {
      ec2.fleet().launch(1, Map.of("role", "web", "addr", "127.0.0." + (10 + i)));
    }
  }

  @AfterEach
  void stop() {
    ec2.close();
  }

  private Ec2MembershipSource source(boolean hostNames) {
    return Ec2MembershipSource.newBuilder()
        .client(ec2.client())
        .query(Query.newBuilder().tag("role", "web").build())
        .mapping(
            MemberMapping.newBuilder()
                .port(80)
                .addressTag("addr")
                .addressTagHostNames(hostNames)
                .build())
        .build();
  }

  private ConfigPipeline pipeline() {
    return ConfigPipeline.newBuilder()
        .renderer(renderer)
        .target(FileTarget.newBuilder(config).validator(Haproxy.validator()).build())
        .build();
  }

  private long servers() throws Exception {
    return Files.readAllLines(config).stream().filter(l -> l.strip().startsWith("server ")).count();
  }

  @Test
  void aNameInTheAddressTagSkipsOnlyThatInstanceByDefault() throws Exception {
    for (String value : List.of("abc", "true", "1e3")) {
      ec2.fleet().launch(1, Map.of("role", "web", "addr", value));
    }

    try (ConfigPipeline pipeline = pipeline()) {
      pipeline.backend("web").onChange(source(false).fetch(), Changes.NONE);

      assertNull(pipeline.lastFailure());
      assertEquals(4, servers());
    }
  }

  @Test
  void aMemberHaproxyRefusesIsLeftOutAndTheRestIsApplied() throws Exception {
    Ec2MembershipSource source = source(true);
    try (ConfigPipeline pipeline = pipeline()) {
      MembershipListener web = pipeline.backend("web");
      web.onChange(source.fetch(), Changes.NONE);
      assertEquals(4, servers());
      FakeInstance unresolvable =
          ec2.fleet().launch(1, Map.of("role", "web", "addr", "no-such-host.invalid")).get(0);
      ec2.fleet().launch(1, Map.of("role", "web", "addr", "127.0.0.20"));

      web.onChange(source.fetch(), Changes.NONE);

      assertNull(pipeline.lastFailure(), "the good new member is applied");
      assertEquals(5, servers());
      assertTrue(Files.readString(config).contains("127.0.0.20:80"));
      assertEquals(Set.of("web/" + unresolvable.instanceId()), pipeline.rejectedMembers());
    }
  }
}
