package dev.muster.haproxy;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.muster.discovery.RenderException;
import dev.muster.discovery.Snapshot;
import dev.muster.discovery.testing.RandomMemberships;
import dev.muster.haproxy.internal.ServerSpec;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.RepetitionInfo;

/**
 * The default lines written in Java (config-file mode without a template, and runtime mode's file)
 * are the default template's, byte for byte, for the same memberships and settings (zone-aware
 * backups, hostile tags and colliding names included); or both refuse. So the template stays the
 * starting point for one of your own, a host may switch modes, and a reload in runtime mode starts
 * from the servers the runtime API holds.
 */
class DefaultRenderingTest {

  @RepeatedTest(300)
  void isTheDefaultTemplatesText(RepetitionInfo info) {
    Random random = new Random(info.getCurrentRepetition());
    HaproxyConfig.Builder b =
        HaproxyConfig.newBuilder()
            .headerText(random.nextBoolean() ? "" : "global\n    maxconn 100\n")
            .serverOptions(random.nextBoolean() ? "" : "check inter 2s")
            .backendOptions("web", "    balance roundrobin")
            .serverOptions("api", "check");
    if (random.nextBoolean()) {
      b.zone("us-east-1a").zoneAware("web", random.nextInt(3));
    }
    Map<String, Snapshot> memberships = RandomMemberships.of(random);

    String template = null;
    String runtime = null;
    RenderException templateError = null;
    RenderException runtimeError = null;
    try {
      template = b.defaultTemplate().render(memberships);
    } catch (RenderException e) {
      templateError = e;
    }
    try {
      String built = b.build().render(memberships);
      RuntimeFile file = b.buildRuntimeFile();
      Map<String, List<ServerSpec>> servers = new TreeMap<>();
      memberships.forEach((backend, s) -> servers.put(backend, file.specs(backend, s)));
      runtime = file.render(servers);
      assertEquals(built, runtime);
    } catch (RenderException e) {
      runtimeError = e;
    }
    assertEquals(
        templateError == null,
        runtimeError == null,
        "both render or both refuse: " + templateError + " / " + runtimeError);
    assertEquals(template, runtime);
  }
}
