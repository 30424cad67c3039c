package dev.muster.haproxy;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.muster.discovery.RenderException;
import dev.muster.discovery.Snapshot;
import dev.muster.discovery.testing.RandomMemberships;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.RepetitionInfo;

/** The fast default renderer writes exactly what the default template writes, or refuses. */
class DefaultHaproxyRendererTest {

  @RepeatedTest(300)
  void writesTheSameBytesAsTheDefaultTemplate(RepetitionInfo info) {
    Random random = new Random(info.getCurrentRepetition());
    HaproxyConfig.Builder b =
        HaproxyConfig.newBuilder()
            .headerText(random.nextBoolean() ? "" : "global\n    maxconn 100\n")
            .serverOptions(random.nextBoolean() ? "" : "check inter 2s")
            .backendOptions("web", "    balance roundrobin")
            .serverOptions("api", "check");

    Map<String, Snapshot> memberships = RandomMemberships.of(random);

    String fast = null;
    String reference = null;
    RenderException fastError = null;
    RenderException referenceError = null;
    try {
      fast = b.build().render(memberships);
    } catch (RenderException e) {
      fastError = e;
    }
    try {
      reference = b.defaultTemplate().render(memberships);
    } catch (RenderException e) {
      referenceError = e;
    }
    assertEquals(
        referenceError == null,
        fastError == null,
        "both render or both refuse: " + fastError + " / " + referenceError);
    assertEquals(reference, fast);
  }
}
