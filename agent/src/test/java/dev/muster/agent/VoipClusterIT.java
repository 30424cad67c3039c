package dev.muster.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.muster.agent.VoipCluster.Edge;
import dev.muster.fixtures.ExternalProcess;
import dev.muster.fixtures.Proxies;
import dev.muster.testkit.FakeAutoScaling;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The VoIP deployment of the README, whole, on loopback: three edge Kamailio 5.6.3 nodes from the
 * sample {@code kamailio-edge.cfg} with an agent each (dispatcher, rtpengine, permissions and DMQ
 * outputs, events from its own queue and hooks), two rtpengine daemons in userspace mode, two sipp
 * call servers and sipp callers, Auto Scaling and EC2 from the test kit. A media node and an edge
 * are scaled in while calls are up; then an edge and a media node are scaled out.
 */
class VoipClusterIT {
  private static final Path SIPP = Path.of("../renderer-kamailio/src/test/resources/sipp");

  @TempDir Path dir;
  private VoipCluster cluster;

  @AfterEach
  void stop() {
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void scaleInAndOutWithCallsUpDropsNoCall() throws Exception {
    cluster = new VoipCluster(dir);
    cluster.callServer("127.0.0.121", SIPP.resolve("uas.xml"));
    cluster.callServer("127.0.0.122", SIPP.resolve("uas.xml"));
    String m1 = cluster.mediaNode("127.0.0.111");
    cluster.mediaNode("127.0.0.112");
    Edge e1 = cluster.edge("127.0.0.101");
    Edge e2 = cluster.edge("127.0.0.102", e1);
    Edge e3 = cluster.edge("127.0.0.103", e1, e2);
    long e3Started = System.currentTimeMillis();
    List<Edge> edges = List.of(e1, e2, e3);
    for (Edge e : edges) {
      Set<String> others = new TreeSet<>();
      edges.stream().filter(o -> o != e).forEach(o -> others.add(o.node.dmqUri()));
      VoipCluster.await(() -> e.dmqPeers().equals(others), "DMQ peers of " + e.node.address(), e);
      VoipCluster.await(
          () -> e.rtpengines().size() == 2, "two media nodes on " + e.node.address(), e);
    }

    // Kamailio refuses an rtpengine reload within about 10 s of the last one. The last were the
    // node's start and its agent's first reload (pending until Kamailio answered, then waiting
    // out the interval): scale in once the interval has passed again, to measure the reaction.
    long quiet = e3Started + 21_000;
    Thread.sleep(Math.max(0, quiet - 9_000 - System.currentTimeMillis()));

    // Calls: 40 of 20 s through e1, 6 of 20 s through e3.
    ExternalProcess uac1 = caller(e1, 40, 2, 20_000, "uac1.csv");
    ExternalProcess uac3 = caller(e3, 6, 2, 20_000, "uac3.csv");
    VoipCluster.await(() -> SipProbes.ownCalls(e3) >= 6, "six calls on e3", e3);
    VoipCluster.await(
        () -> !SipProbes.callIds("127.0.0.111").isEmpty(), "a media session on m1", e1);

    // Watch e3's own calls and m1's media sessions every 100 ms.
    AtomicLong e3LastCall = new AtomicLong();
    AtomicLong m1LastCall = new AtomicLong();
    AtomicInteger e3Rise = new AtomicInteger(); // calls on e3 above the count at its mark
    Set<String> m1Sessions = java.util.Collections.synchronizedSet(new TreeSet<>());
    Set<String> m1AtDrain = java.util.Collections.synchronizedSet(new TreeSet<>());
    AtomicInteger e3AtMark = new AtomicInteger(-1);
    Thread watcher =
        new Thread(
            () -> {
              while (!Thread.currentThread().isInterrupted()) {
                try {
                  int calls = SipProbes.ownCalls(e3);
                  if (calls > 0) {
                    e3LastCall.set(System.currentTimeMillis());
                  }
                  if (e3AtMark.get() >= 0 && calls > e3AtMark.get()) {
                    e3Rise.incrementAndGet();
                  }
                  Set<String> ids = SipProbes.callIds("127.0.0.111");
                  if (!ids.isEmpty()) {
                    m1LastCall.set(System.currentTimeMillis());
                  }
                  m1Sessions.addAll(ids);
                  Thread.sleep(100);
                } catch (InterruptedException e) {
                  return;
                } catch (Exception e) {
                  // e3 gone at the end
                }
              }
            });
    watcher.setDaemon(true);
    watcher.start();

    Thread.sleep(Math.max(0, quiet - System.currentTimeMillis()));
    long scaleIn = System.currentTimeMillis();
    cluster.autoscaling.terminate(VoipCluster.MEDIA, m1);
    cluster.autoscaling.terminate(VoipCluster.EDGES, e3.instanceId);

    long marked =
        VoipCluster.await(
            () ->
                e3.node
                    .call("htable.get", "[\"muster\",\"draining\"]")
                    .matches("(?s).*\"value\":\\s*1\\b.*"),
            "e3 marked draining",
            e3);
    e3AtMark.set(SipProbes.ownCalls(e3));
    int probe = SipProbes.request("INVITE", "127.0.0.1", "127.0.0.103", e3.node.sipPort());
    boolean keptAsPeer =
        e1.dmqPeers().contains(e3.node.dmqUri()) && e2.dmqPeers().contains(e3.node.dmqUri());
    long m1Out =
        VoipCluster.await(
            () ->
                edges.stream()
                    .allMatch(
                        e -> e.rtpengines().stream().noneMatch(u -> u.contains("127.0.0.111"))),
            "m1 out of every rtpengine table",
            e1);
    m1AtDrain.addAll(SipProbes.callIds("127.0.0.111"));
    m1Out = System.currentTimeMillis() - scaleIn;

    // A burst: a media node launched right after m1's removal waits out the reload interval.
    long launched = System.currentTimeMillis();
    long m3In;
    String m3 = cluster.mediaNode("127.0.0.113");
    cluster.autoscaling.launch(VoipCluster.MEDIA, m3);
    m3In =
        VoipCluster.await(
            () ->
                edges.stream()
                    .allMatch(
                        e -> e.rtpengines().stream().anyMatch(u -> u.contains("127.0.0.113"))),
            "m3 in every rtpengine table",
            e1);
    m3In = System.currentTimeMillis() - launched;
    ExternalProcess uac2 = caller(e1, 10, 5, 3_000, "uac2.csv");
    long m3Used =
        VoipCluster.await(
            () -> !SipProbes.callIds("127.0.0.113").isEmpty(), "a new call's media on m3", e1);

    VoipCluster.await(
        () -> "Terminated".equals(cluster.autoscaling.lifecycleState(m1)), "m1 terminated", e1);
    VoipCluster.await(
        () -> "Terminated".equals(cluster.autoscaling.lifecycleState(e3.instanceId)),
        "e3 terminated",
        e3);
    long terminated = System.currentTimeMillis();
    e3.vanish();
    long left =
        VoipCluster.await(
            () ->
                !e1.dmqPeers().contains(e3.node.dmqUri())
                    && !e2.dmqPeers().contains(e3.node.dmqUri()),
            "e3 out of the survivors' DMQ peers",
            e1,
            e2);
    left = System.currentTimeMillis() - terminated;
    long refused =
        VoipCluster.await(
            () -> SipProbes.request("KDMQ", "127.0.0.103", "127.0.0.101", e1.node.dmqPort()) == 403,
            "e3's address refused by e1",
            e1);
    watcher.interrupt();

    List<FakeAutoScaling.Completion> completions = cluster.autoscaling.completions();
    long e3Completed = completedAt(completions, e3.instanceId, e3.hook);
    long m1FirstCompletion =
        edges.stream().mapToLong(e -> completedAt(completions, m1, e.hook)).min().orElseThrow();
    Set<String> newOnM1 = new TreeSet<>(m1Sessions);
    newOnM1.removeAll(m1AtDrain);

    // Scale out: an edge.
    Edge e4 = cluster.edge("127.0.0.104", e1, e2);
    long joined =
        VoipCluster.await(
            () ->
                e1.dmqPeers().contains(e4.node.dmqUri())
                    && e2.dmqPeers().contains(e4.node.dmqUri())
                    && e4.dmqPeers().equals(Set.of(e1.node.dmqUri(), e2.node.dmqUri())),
            "e4 joined",
            e4);
    for (ExternalProcess uac : List.of(uac1, uac3, uac2)) {
      assertTrue(uac.process().waitFor(120, TimeUnit.SECONDS), "the callers end");
    }
    Thread.sleep(1_500);
    long[] ok = {
      stat("uac1.csv", "SuccessfulCall(C)"),
      stat("uac3.csv", "SuccessfulCall(C)"),
      stat("uac2.csv", "SuccessfulCall(C)")
    };
    long failed =
        stat("uac1.csv", "FailedCall(C)")
            + stat("uac3.csv", "FailedCall(C)")
            + stat("uac2.csv", "FailedCall(C)");
    System.out.printf(
        "VoIP cluster: 56 calls (40 through e1, 6 through e3, 10 after the scale-out), %d + %d + %d"
            + " completed, %d failed. Scale-in of m1 and e3 with calls up: e3 marked draining %d ms"
            + " after the event, a new INVITE to it then got %d, its own calls never rose (%d"
            + " rises); m1 out of all three rtpengine tables %d ms after the event, %d sessions on"
            + " m1 in all, %d new after that; e3's own hook completed %d ms after its last call"
            + " ended, m1's first completion %d ms after its last session ended; e3 left both"
            + " survivors' DMQ peers %d ms after it was terminated and its address was refused"
            + " (403) %d ms after that. Scale-out: e4 trusted by e1 and e2 %d ms after its launch,"
            + " joined DMQ %d ms after its Kamailio started. Burst: m3 launched right after m1's"
            + " removal was in all three tables %d ms after its launch event (the module's reload"
            + " interval), a new call's media on it %d ms later%n",
        ok[0],
        ok[1],
        ok[2],
        failed,
        marked,
        probe,
        e3Rise.get(),
        m1Out,
        m1Sessions.size(),
        newOnM1.size(),
        e3Completed - e3LastCall.get(),
        m1FirstCompletion - m1LastCall.get(),
        left,
        refused,
        e4.trustedMillis,
        joined,
        m3In,
        m3Used);
    assertEquals(40, ok[0], "every call through e1 completes");
    assertEquals(6, ok[1], "every call through the drained e3 completes");
    assertEquals(10, ok[2], "every call after the scale-out completes");
    assertEquals(0, failed, "no call dropped");
    assertEquals(503, probe, "a draining edge takes no new call");
    assertTrue(keptAsPeer, "a draining edge stays a DMQ peer until it is gone");
    assertEquals(0, e3Rise.get(), "no new call on e3 after its mark");
    assertEquals(Set.of(), newOnM1, "no new media session on m1 after it left the tables");
    assertTrue(e3Completed >= e3LastCall.get(), "e3's action completed after its last call");
    assertTrue(
        m1FirstCompletion >= m1LastCall.get(), "m1's actions completed after its last session");
    assertFalse(
        completions.stream().anyMatch(FakeAutoScaling.Completion::timedOut), "no hook timed out");
  }

  private static long completedAt(
      List<FakeAutoScaling.Completion> completions, String instanceId, String hook) {
    return completions.stream()
        .filter(c -> c.instanceId().equals(instanceId) && c.hook().equals(hook))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no completion of " + hook + " for " + instanceId))
        .at()
        .toEpochMilli();
  }

  private ExternalProcess caller(Edge edge, int calls, int rate, int holdMillis, String stats)
      throws Exception {
    ExternalProcess uac =
        Proxies.sippUac(
            SIPP.resolve("uac.xml"),
            edge.node.address() + ":" + edge.node.sipPort(),
            ExternalProcess.freeUdpPort("127.0.0.1"),
            calls,
            rate,
            holdMillis,
            dir.resolve(stats));
    return uac;
  }

  private long stat(String stats, String column) throws Exception {
    return Proxies.sippStat(dir.resolve(stats), column);
  }
}
