package dev.muster.haproxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.muster.discovery.ApplyException;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The master CLI reloader against a socket that misbehaves, without HAProxy. */
class MasterCliReloaderTest {
  @TempDir Path dir;

  @Test
  @SuppressWarnings("try") // the server is closed early to end the accepting thread
  void aMasterSocketThatAcceptsAndNeverAnswersFailsTheReloadInsteadOfHanging() throws Exception {
    Path socket = dir.resolve("master.sock");
    List<SocketChannel> held = new ArrayList<>();
    try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
      server.bind(UnixDomainSocketAddress.of(socket));
      CompletableFuture<Void> accepting =
          CompletableFuture.runAsync(
              () -> {
                try {
                  while (true) {
                    held.add(server.accept()); // and never answer
                  }
                } catch (IOException e) {
                  // closed at the end of the test
                }
              });
      MasterCliReloader reloader = new MasterCliReloader(socket, Duration.ofMillis(300));

      ApplyException e =
          CompletableFuture.supplyAsync(() -> assertThrows(ApplyException.class, reloader::reload))
              .get(10, TimeUnit.SECONDS);

      assertTrue(e.getMessage().contains("did not answer within 300 ms"), e.getMessage());
      server.close();
      accepting.get(5, TimeUnit.SECONDS);
    } finally {
      for (SocketChannel channel : held) {
        channel.close();
      }
    }
  }

  @Test
  void aMissingSocketFailsTheReloadNamingIt() {
    Path socket = dir.resolve("absent.sock");

    ApplyException e =
        assertThrows(
            ApplyException.class,
            () -> new MasterCliReloader(socket, Duration.ofMillis(200)).reload());

    assertTrue(e.getMessage().contains(socket.toString()), e.getMessage());
  }

  @Test
  void readsTheAnswerOfASocketThatAnswers() throws Exception {
    Path socket = dir.resolve("stats.sock");
    try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
      server.bind(UnixDomainSocketAddress.of(socket));
      CompletableFuture<String> answered =
          CompletableFuture.supplyAsync(
              () -> {
                try (SocketChannel client = server.accept()) {
                  ByteBuffer in = ByteBuffer.allocate(256);
                  while (client.read(in) >= 0) {
                    // until the half-close
                  }
                  client.write(
                      ByteBuffer.wrap(
                          "#<PID> <type> <reloads>\n1 master 0 [failed: 0]\n"
                              .getBytes(StandardCharsets.UTF_8)));
                  return new String(in.array(), 0, in.position(), StandardCharsets.UTF_8);
                } catch (IOException e) {
                  throw new java.io.UncheckedIOException(e);
                }
              });

      String answer =
          new dev.muster.discovery.internal.UnixSocketCli(socket, Duration.ofSeconds(5))
              .send("show proc");

      assertEquals("show proc\n", answered.get(5, TimeUnit.SECONDS));
      assertEquals(0, MasterCliReloader.counters(answer)[0]);
    }
  }

  @Test
  void oldWorkersAreCountedFromShowProc() {
    String showProc =
        """
        #<PID>          <type>          <reloads>       <uptime>        <version>
        24016           master          2 [failed: 0]   0d00h00m12s     2.6.12-1+deb12u4
        # workers
        24101           worker          0               0d00h00m01s     2.6.12-1+deb12u4
        # old workers
        24019           worker          2               0d00h00m12s     2.6.12-1+deb12u4
        24060           worker          1               0d00h00m05s     2.6.12-1+deb12u4
        # programs

        """;
    assertEquals(2, MasterCliReloader.oldWorkers(showProc));
    assertEquals(0, MasterCliReloader.oldWorkers(showProc.replace("# old workers", "# workers")));
  }
}
