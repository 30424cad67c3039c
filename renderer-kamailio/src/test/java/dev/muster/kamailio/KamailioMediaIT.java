package dev.muster.kamailio;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.muster.discovery.FileTarget;
import dev.muster.discovery.Member;
import dev.muster.discovery.Snapshot;
import dev.muster.fixtures.Closeables;
import dev.muster.fixtures.ExternalProcess;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The rtpengine nodes and the trusted sources of a real Kamailio 5.6, kept by Muster: the {@code
 * db_text} table of the rtpengine module (read back with {@code rtpengine.show all}, next to two
 * real rtpengine daemons in userspace mode) and the permissions module's address file ({@code
 * allow_source_address} answering real SIP requests from the trusted and the untrusted). Only
 * 127.0.0.x addresses.
 */
class KamailioMediaIT {
  private static final Instant T = Instant.parse("2026-12-06T00:00:00Z");

  /** The modules' settings; docs/kamailio.md shows the same lines. */
  static final String MODPARAMS =
      """
      modparam("db_text", "db_mode", 1)
      modparam("rtpengine", "db_url", "text://DB")
      modparam("rtpengine", "rtpengine_allow_op", 1)
      modparam("rtpengine", "hash_algo", 2)
      modparam("permissions", "address_file", "ADDRESSES")
      modparam("permissions", "reload_delta", 1)
      """;

  @TempDir Path dir;
  private final List<AutoCloseable> open = new ArrayList<>();
  private int sipPort;
  private int rpcPort;

  @AfterEach
  void stop() {
    Closeables.closeAll(open.toArray(AutoCloseable[]::new));
  }

  private static Member node(String id, String address, int weight) {
    return Member.newBuilder(id).address(address).port(2223).weight(weight).build();
  }

  private void rtpengine(String address) throws Exception {
    open.add(dev.muster.fixtures.Proxies.rtpengine(address, dir, 31_000));
  }

  private Path startKamailio(Path db, Path addresses) throws Exception {
    sipPort = ExternalProcess.freeUdpPort("127.0.0.1");
    rpcPort = ExternalProcess.freeTcpPort();
    String cfg =
        """
        #!KAMAILIO
        debug=2
        log_stderror=yes
        children=2
        tcp_children=2
        auto_aliases=no
        listen=udp:127.0.0.1:@SIP@
        listen=tcp:127.0.0.1:@RPC@
        tcp_accept_no_cl=yes
        loadmodule "tm.so"
        loadmodule "sl.so"
        loadmodule "pv.so"
        loadmodule "xhttp.so"
        loadmodule "jsonrpcs.so"
        loadmodule "db_text.so"
        loadmodule "rtpengine.so"
        loadmodule "permissions.so"
        modparam("jsonrpcs", "transport", 1)
        MODPARAMS
        request_route {
            if (allow_source_address("1")) {
                sl_send_reply("200", "Trusted");
                exit;
            }
            sl_send_reply("403", "Not trusted");
        }
        event_route[xhttp:request] {
            if ($hu =~ "^/RPC") {
                jsonrpc_dispatch();
                exit;
            }
            xhttp_reply("404", "Not Found", "text/plain", "");
        }
        """
            .replace("MODPARAMS", MODPARAMS)
            .replace("text://DB", "text://" + db)
            .replace("ADDRESSES", addresses.toString())
            .replace("@SIP@", Integer.toString(sipPort))
            .replace("@RPC@", Integer.toString(rpcPort));
    Path config = Files.writeString(dir.resolve("kamailio.cfg"), cfg);
    open.add(SipProcess.kamailio(config, dir, rpcPort));
    return config;
  }

  private URI rpc() {
    return URI.create("http://127.0.0.1:" + rpcPort + "/RPC");
  }

  @Test
  void rtpengineNodesFollowTheMembersAndABurstWaitsForTheReloadInterval() throws Exception {
    rtpengine("127.0.0.81");
    rtpengine("127.0.0.82");
    Path db = Files.createDirectories(dir.resolve("db"));
    Files.writeString(db.resolve("version"), RtpengineTable.VERSION_TABLE);
    Path table = db.resolve("rtpengine");
    RtpengineTable renderer = Kamailio.rtpengine().set("media", 0).build();
    Files.writeString(
        table, renderer.render(Map.of("media", snapshot(node("i-81", "127.0.0.81", 100)))));
    Path addresses = Files.writeString(dir.resolve("address.list"), "1 127.0.0.250 32 0 x\n");
    startKamailio(db, addresses);
    RpcReloader reloader = Kamailio.rtpengineReloader(rpc(), table).build();
    FileTarget target = FileTarget.newBuilder(table).reloader(reloader).build();

    assertEquals(Set.of("0 udp:127.0.0.81:2223 100"), reloader.live());
    target.apply(
        renderer.render(
            Map.of(
                "media",
                snapshot(node("i-81", "127.0.0.81", 100), node("i-82", "127.0.0.82", 50)))));
    int firstWaits = reloader.waits(); // Kamailio's start counts as a reload too
    long started = System.nanoTime();
    target.apply(renderer.render(Map.of("media", snapshot(node("i-82", "127.0.0.82", 50)))));
    long secondMillis = (System.nanoTime() - started) / 1_000_000;

    assertEquals(Set.of("0 udp:127.0.0.82:2223 50"), reloader.live());
    System.out.printf(
        "rtpengine nodes: two changes in a row; the second waited %d ms for the module's reload"
            + " interval (%d refusals; the first, right after Kamailio started, %d), then"
            + " Kamailio held exactly the table%n",
        secondMillis, reloader.waits() - firstWaits, firstWaits);
    assertTrue(reloader.waits() > firstWaits, "the second reload came too soon and waited");
  }

  @Test
  void aMediaDrainEndsWhenTheNodesLastCallEnds() throws Exception {
    rtpengine("127.0.0.83");
    Member node = node("i-83", "127.0.0.83", 100);
    String sdp =
        "v=0\r\no=- 1 1 IN IP4 127.0.0.90\r\ns=-\r\nc=IN IP4 127.0.0.90\r\nt=0 0\r\n"
            + "m=audio 40000 RTP/AVP 0\r\n";
    String call =
        "d7:command5:offer7:call-id6:call-18:from-tag2:f13:sdp" + sdp.length() + ":" + sdp + "e";
    dev.muster.kamailio.internal.NgControl.request("127.0.0.83", 2223, call);
    assertEquals(1, dev.muster.kamailio.internal.NgControl.calls("127.0.0.83", 2223));

    java.util.concurrent.CompletableFuture<Long> drained =
        java.util.concurrent.CompletableFuture.supplyAsync(
            () -> {
              long started = System.nanoTime();
              try {
                Kamailio.drainMedia(
                        java.time.Clock.systemUTC(), dev.muster.discovery.Drain.Sleeper.SYSTEM)
                    .apply(Set.of(node))
                    .await(Instant.now().plusSeconds(30));
              } catch (InterruptedException e) {
                throw new IllegalStateException(e);
              }
              return (System.nanoTime() - started) / 1_000_000;
            });
    Thread.sleep(2500);
    assertTrue(!drained.isDone(), "the drain waits while the node carries a call");
    dev.muster.kamailio.internal.NgControl.request(
        "127.0.0.83", 2223, "d7:command6:delete7:call-id6:call-18:from-tag2:f1e");
    long millis = drained.get(10, java.util.concurrent.TimeUnit.SECONDS);

    assertEquals(0, dev.muster.kamailio.internal.NgControl.calls("127.0.0.83", 2223));
    System.out.printf(
        "media drain: waited %d ms, ending within a poll (1 s) of the node's last call%n", millis);
    assertTrue(millis >= 2500 && millis < 5000, millis + " ms");
  }

  @Test
  void theDocsAndTheEdgeSampleShowTheseSettings() throws Exception {
    String docs = Files.readString(Path.of("../docs/kamailio.md"));
    for (String line : MODPARAMS.strip().split("\n")) {
      String setting = line.substring(0, line.lastIndexOf(", "));
      assertTrue(docs.contains(setting), "docs/kamailio.md shows " + setting);
      assertTrue(Kamailio.edgeSampleConfig().contains(setting), "kamailio-edge.cfg has " + setting);
    }
  }

  @Test
  void aTrustedSourceIsAcceptedAfterTheApplyAndRefusedOnceItLeaves() throws Exception {
    Path db = Files.createDirectories(dir.resolve("db"));
    Files.writeString(db.resolve("version"), RtpengineTable.VERSION_TABLE);
    Files.writeString(
        db.resolve("rtpengine"), Kamailio.rtpengine().set("m", 0).build().render(Map.of()));
    AddressList renderer = Kamailio.permissions().group("sbc", 1).build();
    Path addresses = dir.resolve("address.list");
    Files.writeString(
        addresses, renderer.render(Map.of("sbc", snapshot(node("i-91", "127.0.0.91", 100)))));
    startKamailio(db, addresses);
    RpcReloader reloader = Kamailio.permissionsReloader(rpc(), addresses).build();
    FileTarget target = FileTarget.newBuilder(addresses).reloader(reloader).build();
    assertEquals(200, options("127.0.0.91"));
    assertEquals(403, options("127.0.0.92"));

    target.apply(renderer.render(Map.of("sbc", snapshot(node("i-92", "127.0.0.92", 100)))));

    assertEquals(Set.of("1 127.0.0.92 0"), reloader.live());
    assertEquals(200, options("127.0.0.92"), "the launched source is trusted");
    assertEquals(403, options("127.0.0.91"), "the terminated one is not");
  }

  private static Snapshot snapshot(Member... members) {
    return Snapshot.of(List.of(members), T);
  }

  /** The status Kamailio answers an OPTIONS sent from {@code source}. */
  private int options(String source) throws Exception {
    try (DatagramSocket socket = new DatagramSocket(new InetSocketAddress(source, 0))) {
      socket.setSoTimeout(3000);
      String request =
          "OPTIONS sip:muster@127.0.0.1:"
              + sipPort
              + " SIP/2.0\r\n"
              + "Via: SIP/2.0/UDP "
              + source
              + ":"
              + socket.getLocalPort()
              + ";branch=z9hG4bK"
              + System.nanoTime()
              + "\r\nFrom: <sip:test@"
              + source
              + ">;tag=1\r\nTo: <sip:muster@127.0.0.1>\r\nCall-ID: "
              + System.nanoTime()
              + "@"
              + source
              + "\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n";
      byte[] bytes = request.getBytes(StandardCharsets.US_ASCII);
      socket.send(
          new DatagramPacket(bytes, bytes.length, InetAddress.getByName("127.0.0.1"), sipPort));
      byte[] buffer = new byte[4096];
      DatagramPacket answer = new DatagramPacket(buffer, buffer.length);
      try {
        socket.receive(answer);
      } catch (SocketTimeoutException e) {
        throw new AssertionError("no answer from Kamailio to an OPTIONS from " + source, e);
      }
      String text = new String(buffer, 0, answer.getLength(), StandardCharsets.US_ASCII);
      return Integer.parseInt(text.substring(8, 11));
    }
  }
}
