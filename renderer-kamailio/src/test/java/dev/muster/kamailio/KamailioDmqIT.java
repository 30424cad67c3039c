package dev.muster.kamailio;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.muster.discovery.FileTarget;
import dev.muster.discovery.Member;
import dev.muster.discovery.Snapshot;
import dev.muster.fixtures.Closeables;
import dev.muster.fixtures.ExternalProcess;
import dev.muster.fixtures.KamailioEdge;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three edge nodes of the sample VoIP configuration ({@code kamailio-edge.cfg}, Kamailio 5.6.3) as
 * a DMQ cluster kept by Muster: a node joins through the peers file Muster wrote before its start,
 * and when a node vanishes (killed, as a terminated host) the survivors forget it with {@code
 * dmq.remove} as soon as Muster applies the change, where the module itself would keep it active
 * until its pings fail. Only 127.0.0.x addresses.
 */
class KamailioDmqIT {
  private static final Instant T = Instant.parse("2026-12-06T00:00:00Z");

  @TempDir Path dir;
  private final List<AutoCloseable> open = new ArrayList<>();
  private final Map<String, ExternalProcess> running = new LinkedHashMap<>();

  @AfterEach
  void stop() {
    Closeables.closeAll(open.toArray(AutoCloseable[]::new));
  }

  private static Member member(KamailioEdge edge) {
    return Member.newBuilder("i-" + edge.address().replace('.', '-'))
        .address(edge.address())
        .port(edge.dmqPort())
        .build();
  }

  private static Map<String, Snapshot> edges(List<KamailioEdge> edges) {
    return Map.of("edges", Snapshot.of(edges.stream().map(KamailioDmqIT::member).toList(), T));
  }

  /** Writes the node's four files for the cluster {@code members} and starts it. */
  private void start(KamailioEdge edge, List<KamailioEdge> members) throws Exception {
    edge.writeConfig(Kamailio.edgeSampleConfig());
    Files.writeString(edge.db().resolve("version"), RtpengineTable.VERSION_TABLE);
    Files.writeString(
        edge.rtpengineTable(), Kamailio.rtpengine().set("media", 0).build().render(Map.of()));
    Files.writeString(edge.list(), "1 sip:127.0.0.120:5060 0 0 weight=1\n");
    writeFiles(edge, members);
    ExternalProcess kamailio = edge.start();
    open.add(kamailio);
    running.put(edge.address(), kamailio);
  }

  private static void writeFiles(KamailioEdge edge, List<KamailioEdge> members) throws Exception {
    Files.writeString(
        edge.addresses(), Kamailio.permissions().group("edges", 1).build().render(edges(members)));
    Files.writeString(
        edge.peers(),
        Kamailio.dmqPeers().self(member(edge).instanceId()).build().render(edges(members)));
  }

  /** What the node's agent does when it learns {@code members}: trusts them, lists them. */
  private static void learn(KamailioEdge edge, List<KamailioEdge> members) throws Exception {
    writeFiles(edge, members);
    Kamailio.permissionsReloader(edge.rpc(), edge.addresses()).build().reload();
  }

  private static Set<String> peers(KamailioEdge edge) {
    return Kamailio.dmqReloader(edge.rpc(), edge.peers()).live();
  }

  private static long await(String what, BooleanSupplier condition) throws InterruptedException {
    long started = System.nanoTime();
    long deadline = started + TimeUnit.SECONDS.toNanos(30);
    while (!condition.getAsBoolean()) {
      assertTrue(System.nanoTime() < deadline, "waited 30 s for " + what);
      Thread.sleep(20);
    }
    return (System.nanoTime() - started) / 1_000_000;
  }

  @Test
  void aNodeJoinsThroughItsPeersFileAndTheSurvivorsForgetItOnceItIsGone() throws Exception {
    KamailioEdge a = KamailioEdge.on(dir, "127.0.0.101");
    KamailioEdge b = KamailioEdge.on(dir, "127.0.0.102");
    KamailioEdge c = KamailioEdge.on(dir, "127.0.0.103");
    List<KamailioEdge> all = List.of(a, b, c);

    start(a, List.of(a)); // the first node: no peer to notify
    // a learns b from EC2 before b's Kamailio starts (on AWS the boot takes longer than a poll).
    learn(a, List.of(a, b));
    start(b, List.of(a, b));
    await("a and b peers", () -> peers(a).contains(b.dmqUri()) && peers(b).contains(a.dmqUri()));
    // The survivors-to-be learn c from EC2 before c starts: they trust it and list it.
    learn(a, all);
    learn(b, all);
    DmqReloader onA = Kamailio.dmqReloader(a.rpc(), a.peers());
    DmqReloader onB = Kamailio.dmqReloader(b.rpc(), b.peers());

    long starting = System.nanoTime();
    start(c, all);
    long joined =
        await(
            "c joined",
            () ->
                peers(a).contains(c.dmqUri())
                    && peers(b).contains(c.dmqUri())
                    && peers(c).equals(Set.of(a.dmqUri(), b.dmqUri())));
    long joinMillis = (System.nanoTime() - starting) / 1_000_000;

    running.get(c.address()).kill();
    long killed = System.nanoTime();
    Thread.sleep(3_000);
    assertTrue(
        peers(a).contains(c.dmqUri()) && peers(b).contains(c.dmqUri()),
        "without Muster the module still lists the dead node after 3 s");
    long applying = System.nanoTime();
    for (KamailioEdge survivor : List.of(a, b)) {
      FileTarget.newBuilder(survivor.peers())
          .reloader(survivor == a ? onA : onB)
          .build()
          .apply(
              Kamailio.dmqPeers()
                  .self(member(survivor).instanceId())
                  .build()
                  .render(edges(List.of(a, b))));
    }
    long applyMillis = (System.nanoTime() - applying) / 1_000_000;

    assertEquals(Set.of(b.dmqUri()), peers(a));
    assertEquals(Set.of(a.dmqUri()), peers(b));
    assertEquals(1, onA.removed());
    assertEquals(1, onB.removed());
    System.out.printf(
        "DMQ: a node started from Muster's peers file was listed by both peers and listed them"
            + " %d ms after it started (%d ms after its RPC answered); killed, it was still active"
            + " on both 3 s later; Muster's apply on both survivors took %d ms, %d ms after the"
            + " kill, and neither lists it any more%n",
        joinMillis, joined, applyMillis, (System.nanoTime() - killed) / 1_000_000);
  }
}
