package dev.muster.kamailio;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.muster.discovery.ApplyException;
import dev.muster.discovery.Member;
import dev.muster.discovery.Snapshot;
import dev.muster.fixtures.JsonRpcStub;
import dev.muster.kamailio.internal.Tables;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The DMQ notification file and the reloader that makes Kamailio forget the peers that left: what
 * the file holds, and, against a model of the module's node list (peers joining by their own
 * notify, before or after the agent's view shows them, and {@code dmq.remove} failing now and
 * then), that a peer which left is gone after every successful apply and that no node is ever
 * removed while it is a member or before this agent saw it as one.
 */
class DmqPeersTest {
  private static final Instant T = Instant.parse("2026-12-06T00:00:00Z");

  @TempDir Path dir;

  private static Member node(int i) {
    return Member.newBuilder("i-" + i).address("127.0.0." + i).port(5090).build();
  }

  private static Map<String, Snapshot> edges(Member... members) {
    return Map.of("edges", Snapshot.of(List.of(members), T));
  }

  @Test
  void everyMemberButTheNodeItselfIsANotificationAddress() {
    String file =
        Kamailio.dmqPeers()
            .self("i-2")
            .build()
            .render(
                Map.of(
                    "edges",
                    Snapshot.of(List.of(node(3), node(2), node(1)), T),
                    "more",
                    Snapshot.of(
                        List.of(
                            node(1),
                            Member.newBuilder("i-6").address("2600:1f18::6").port(5090).build()),
                        T)));

    assertEquals(
        DmqPeers.HEADER
            + "modparam(\"dmq\", \"notification_address\", \"sip:127.0.0.1:5090\")\n"
            + "modparam(\"dmq\", \"notification_address\", \"sip:127.0.0.3:5090\")\n"
            + "modparam(\"dmq\", \"notification_address\", \"sip:[2600:1f18::6]:5090\")\n",
        file);
    assertEquals(
        Set.of("sip:127.0.0.1:5090", "sip:127.0.0.3:5090", "sip:[2600:1f18::6]:5090"),
        Tables.dmqFile(file));
    assertEquals(DmqPeers.HEADER, Kamailio.dmqPeers().self("i-1").build().render(edges(node(1))));
  }

  @Test
  void theNodeListLeavesTheLocalNodeOut() {
    List<Object> result =
        List.of(
            Map.of("host", "127.0.0.1", "port", "5090", "local", 1L, "status", "active"),
            Map.of("host", "127.0.0.2", "port", "5090", "local", 0L, "status", "active"),
            Map.of("host", "[2600:1f18::6]", "port", "5090", "local", 0L, "status", "pending"));
    assertEquals(Set.of("sip:127.0.0.2:5090", "sip:[2600:1f18::6]:5090"), Tables.dmqLive(result));
  }

  /** The module's node list, as a JSON-RPC stub keeps it. */
  private static final class FakeDmq implements AutoCloseable {
    final Set<String> nodes = new LinkedHashSet<>();
    final List<String> removedLog = new ArrayList<>();
    final JsonRpcStub server = JsonRpcStub.start(this::answer);
    boolean failNextRemove;

    private synchronized String answer(String body) {
      if (body.contains("dmq.list_nodes")) {
        StringBuilder list =
            new StringBuilder("[{\"host\":\"127.0.0.100\",\"port\":\"5090\",\"local\":1}");
        for (String n : nodes) {
          Matcher m = Pattern.compile("sip:(.*):(\\d+)").matcher(n);
          assertTrue(m.matches());
          list.append(",{\"host\":\"")
              .append(m.group(1))
              .append("\",\"port\":\"")
              .append(m.group(2))
              .append("\",\"local\":0}");
        }
        return "{\"jsonrpc\":\"2.0\",\"result\":" + list + "],\"id\":1}";
      }
      Matcher m = Pattern.compile("\"params\":\\[\"([^\"]+)\"]").matcher(body);
      assertTrue(m.find(), body);
      if (failNextRemove || !nodes.remove(m.group(1))) {
        failNextRemove = false;
        return "{\"jsonrpc\":\"2.0\",\"error\":{\"code\":500,\"message\":\"Failure\"},\"id\":1}";
      }
      removedLog.add(m.group(1));
      return "{\"jsonrpc\":\"2.0\",\"result\":\"Ok. DMQ node removed.\",\"id\":1}";
    }

    URI rpc() {
      return server.uri();
    }

    @Override
    public void close() {
      server.close();
    }
  }

  @Test
  void peersThatLeftAreForgottenAndNoOtherNodeIsTouched() throws Exception {
    DmqPeers renderer = Kamailio.dmqPeers().self("i-100").build();
    int removals = 0;
    for (int run = 0; run < 60; run++) {
      Random random = new Random(run);
      Path file = dir.resolve("peers-" + run + ".cfg");
      try (FakeDmq dmq = new FakeDmq()) {
        Set<Integer> members = new TreeSet<>();
        Set<Integer> everMembers = new TreeSet<>();
        DmqReloader reloader = null;
        for (int step = 0; step < 25; step++) {
          // The fleet changes: a node launches or is terminated.
          int n = 1 + random.nextInt(8);
          boolean launched = members.add(n);
          if (!launched) {
            members.remove(n);
          }
          synchronized (dmq) {
            if (launched && random.nextBoolean()) {
              dmq.nodes.add("sip:127.0.0." + n + ":5090"); // it notified before the poll
            }
            if (random.nextInt(6) == 0) {
              dmq.nodes.add("sip:127.0.0." + (20 + random.nextInt(3)) + ":5090"); // never ours
            }
            dmq.failNextRemove = random.nextInt(5) == 0;
          }
          Files.writeString(
              file,
              renderer.render(
                  edges(members.stream().map(DmqPeersTest::node).toArray(Member[]::new))));
          if (reloader == null) {
            reloader = Kamailio.dmqReloader(dmq.rpc(), file);
          }
          boolean applied = false;
          for (int attempt = 0; attempt < 3 && !applied; attempt++) {
            try {
              reloader.reload();
              applied = true;
            } catch (ApplyException e) {
              assertTrue(e.getMessage().contains("dmq.remove"), e.getMessage());
            }
          }
          assertTrue(applied, "a retry applies");
          everMembers.addAll(members);
          synchronized (dmq) {
            for (String removed : dmq.removedLog) {
              int i = Integer.parseInt(removed.replaceAll("sip:127\\.0\\.0\\.(\\d+):5090", "$1"));
              assertFalse(members.contains(i), "removed a member: " + removed);
              assertTrue(everMembers.contains(i), "removed a node never a member: " + removed);
            }
            dmq.removedLog.clear();
            for (int i : everMembers) {
              if (!members.contains(i)) {
                assertFalse(
                    dmq.nodes.contains("sip:127.0.0." + i + ":5090"),
                    "run " + run + " step " + step + ": a peer that left is still listed");
              }
            }
            // The peers that left notify no more; the members and the others stay.
            everMembers.retainAll(members);
          }
        }
        removals += reloader.removed();
      }
    }
    assertTrue(removals > 100, "the runs removed peers: " + removals);
  }

  @Test
  void withNoPeerLeavingKamailioIsNotAsked() throws Exception {
    Path file = dir.resolve("peers.cfg");
    Files.writeString(file, Kamailio.dmqPeers().build().render(edges(node(1))));
    DmqReloader reloader = Kamailio.dmqReloader(URI.create("http://127.0.0.1:9/RPC"), file);
    Files.writeString(file, Kamailio.dmqPeers().build().render(edges(node(1), node(2))));
    reloader.reload(); // nothing listens on port 9: no call was made
    Files.writeString(file, Kamailio.dmqPeers().build().render(edges(node(2))));
    ApplyException e = assertThrows(ApplyException.class, reloader::reload);
    assertTrue(e.getMessage().contains("JSON-RPC"), e.getMessage());
  }
}
