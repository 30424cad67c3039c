package dev.muster.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The status listener's server against hostile and careless clients: one that sends one byte and
 * stops, more idle connections than the cap, one that trickles its request, one that never reads
 * its answer. None of them keeps {@code /healthz} from answering. Every client here gives up after
 * 5 s, so a frozen server fails the test rather than hanging it.
 */
class StatusHttpTest {
  private static final int CLIENT_TIMEOUT_MS = 5_000;
  private final List<Socket> clients = new ArrayList<>();
  private StatusHttp http;

  @BeforeEach
  void start() {
    String big = "x".repeat(4 << 20); // more than socket buffers hold
    http =
        StatusHttp.start(
            new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
            Map.of(
                "/healthz", query -> new StatusHttp.Response(200, "text/plain", "ok\n"),
                "/metrics", query -> new StatusHttp.Response(200, "text/plain", big),
                "/echo", query -> new StatusHttp.Response(200, "text/plain", query)),
            Duration.ofMillis(500));
  }

  @AfterEach
  void stop() throws IOException {
    for (Socket s : clients) {
      s.close();
    }
    http.close();
  }

  private Socket connect() throws IOException {
    Socket s = new Socket(InetAddress.getLoopbackAddress(), http.port());
    s.setSoTimeout(CLIENT_TIMEOUT_MS);
    clients.add(s);
    return s;
  }

  /** The whole answer to {@code request}, as the server wrote it before closing. */
  private String exchange(String request) throws IOException {
    try (Socket s = connect()) {
      OutputStream out = s.getOutputStream();
      out.write(request.getBytes(StandardCharsets.ISO_8859_1));
      out.flush();
      return new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  private String get(String path) throws IOException {
    return exchange("GET " + path + " HTTP/1.1\r\nHost: x\r\n\r\n");
  }

  @Test
  void answersGetWithTheBodyAndCloses() throws IOException {
    String answer = get("/healthz");

    assertTrue(answer.startsWith("HTTP/1.1 200 OK\r\n"), answer);
    assertTrue(answer.contains("Content-Length: 3\r\n"), answer);
    assertTrue(answer.contains("Connection: close\r\n"), answer);
    assertTrue(answer.endsWith("\r\n\r\nok\n"), answer);
  }

  @Test
  void aRouteGetsTheQueryString() throws IOException {
    assertTrue(get("/echo?backend=web&x=1").endsWith("\r\n\r\nbackend=web&x=1"));
    assertTrue(get("/echo").endsWith("\r\n\r\n"));
  }

  @Test
  void headHasNoBody() throws IOException {
    String answer = exchange("HEAD /healthz HTTP/1.1\r\n\r\n");

    assertTrue(answer.startsWith("HTTP/1.1 200 OK\r\n"), answer);
    assertTrue(answer.endsWith("\r\n\r\n"), answer);
  }

  @Test
  void otherMethodsAre405AndOtherPaths404() throws IOException {
    String post = exchange("POST /healthz HTTP/1.1\r\nContent-Length: 0\r\n\r\n");
    assertTrue(post.startsWith("HTTP/1.1 405 "), post);
    assertTrue(post.contains("Allow: GET, HEAD\r\n"), post);
    for (String path : List.of("/healthz/", "/healthzX", "/", "/status/../healthz", "//healthz")) {
      String answer = get(path);
      assertTrue(answer.startsWith("HTTP/1.1 404 "), path + ": " + answer);
    }
    assertTrue(get("/healthz?verbose=1").startsWith("HTTP/1.1 200 "), "a query is ignored");
    assertTrue(exchange("garbage\r\n\r\n").startsWith("HTTP/1.1 400 "));
    assertTrue(exchange("GET /" + "a".repeat(9000)).startsWith("HTTP/1.1 431 "));
  }

  @Test
  void aClientThatSendsOneByteAndStopsDoesNotBlockOthers() throws IOException {
    Socket stalled = connect();
    stalled.getOutputStream().write('G');
    stalled.getOutputStream().flush();

    assertTrue(get("/healthz").startsWith("HTTP/1.1 200 "));

    // And it is cut off once the head timeout passes: the server closes it.
    assertEquals(-1, stalled.getInputStream().read(), "closed without an answer");
  }

  @Test
  void moreIdleConnectionsThanTheCapDoNotBlockANewRequest() throws IOException {
    for (int i = 0; i < StatusHttp.MAX_CONNECTIONS * 2; i++) {
      connect(); // idle: never sends a byte
    }

    assertTrue(get("/healthz").startsWith("HTTP/1.1 200 "));
  }

  @Test
  void aClientThatTricklesItsRequestIsCutOffAtTheHeadTimeout() throws Exception {
    Socket slow = connect();
    OutputStream out = slow.getOutputStream();
    boolean cutOff = false;
    String request = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
    for (int i = 0; i < request.length() && !cutOff; i++) {
      try {
        out.write(request.charAt(i));
        out.flush();
        Thread.sleep(100);
      } catch (IOException e) {
        cutOff = true;
      }
    }
    InputStream in = slow.getInputStream();
    String answer = cutOff ? "" : new String(in.readAllBytes(), StandardCharsets.UTF_8);
    assertEquals("", answer, "a 3.5 s request against a 0.5 s head timeout gets no answer");
  }

  @Test
  void aClientThatNeverReadsItsAnswerDoesNotBlockOthers() throws IOException {
    Socket greedy = connect();
    greedy.setReceiveBufferSize(4096);
    greedy
        .getOutputStream()
        .write("GET /metrics HTTP/1.1\r\n\r\n".getBytes(StandardCharsets.UTF_8));
    greedy.getOutputStream().flush();

    for (int i = 0; i < 3; i++) {
      assertTrue(get("/healthz").startsWith("HTTP/1.1 200 "));
    }
  }
}
