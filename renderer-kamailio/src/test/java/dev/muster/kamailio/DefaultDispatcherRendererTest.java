package dev.muster.kamailio;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.muster.discovery.Member;
import dev.muster.discovery.RenderException;
import dev.muster.discovery.Snapshot;
import dev.muster.discovery.testing.RandomMemberships;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.RepetitionInfo;

/** The fast default renderer writes exactly what the default template writes, or refuses. */
class DefaultDispatcherRendererTest {

  @RepeatedTest(300)
  void writesTheSameBytesAsTheDefaultTemplate(RepetitionInfo info) {
    Random random = new Random(info.getCurrentRepetition());
    DispatcherList.Builder b =
        DispatcherList.newBuilder()
            .set("web", DispatcherSet.of(1).withFlags(random.nextInt(4)).withPriority(3))
            .set(
                "api",
                DispatcherSet.of(2)
                    .withTransport(random.nextBoolean() ? "" : "tcp")
                    .withAttrs(random.nextBoolean() ? "" : "socket=udp:10.0.0.9:5060"))
            .set("b 2", DispatcherSet.of(7));

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

  @org.junit.jupiter.api.Test
  void aPriorityTagTheListCheckerWouldRefuseFallsBackToTheDefault() throws Exception {
    Member leadingZero =
        Member.newBuilder("i-0a")
            .address("10.0.0.1")
            .port(5060)
            .tag("muster:priority", "080")
            .build();
    Member good =
        Member.newBuilder("i-0b")
            .address("10.0.0.2")
            .port(5060)
            .tag("muster:priority", "80")
            .build();
    DispatcherList list =
        DispatcherList.newBuilder().set("web", DispatcherSet.of(1).withPriority(3)).build();

    String text =
        list.render(Map.of("web", Snapshot.of(List.of(leadingZero, good), Instant.EPOCH)));

    assertEquals(
        List.of(
            "1 sip:10.0.0.1:5060 0 3 duid=i-0a;weight=100",
            "1 sip:10.0.0.2:5060 0 80 duid=i-0b;weight=100"),
        text.lines().filter(l -> !l.startsWith("#")).toList());
    java.nio.file.Path file = java.nio.file.Files.createTempFile("dispatcher", ".list");
    try {
      java.nio.file.Files.writeString(file, text);
      Kamailio.validator(10, false).validate(file);
    } finally {
      java.nio.file.Files.delete(file);
    }
  }
}
