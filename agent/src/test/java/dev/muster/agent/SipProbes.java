package dev.muster.agent;

import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What {@link VoipClusterIT} asks the cluster's parts: an edge's own calls over its JSON-RPC, a
 * media node's calls over rtpengine's control protocol, and the answer of an edge to one request.
 */
final class SipProbes {
  private SipProbes() {}

  /** The calls this edge's Kamailio carries itself ({@code dlg.stats_active 1}). */
  static int ownCalls(VoipCluster.Edge edge) throws Exception {
    Matcher m =
        Pattern.compile("\"all\":\\s*(\\d+)").matcher(edge.node.call("dlg.stats_active", "[1]"));
    if (!m.find()) {
      throw new AssertionError("dlg.stats_active answered no count");
    }
    return Integer.parseInt(m.group(1));
  }

  /** The call ids an rtpengine daemon carries now ({@code list} over its control protocol). */
  static Set<String> callIds(String address) throws java.io.IOException {
    String answer = ng(address, "d7:command4:list5:limiti1000ee");
    Set<String> ids = new TreeSet<>();
    int at = answer.indexOf("5:callsl");
    if (at < 0) {
      throw new java.io.IOException("rtpengine list answered " + answer);
    }
    at += "5:callsl".length();
    Matcher m = Pattern.compile("(\\d+):").matcher(answer);
    while (at < answer.length() && answer.charAt(at) != 'e' && m.find(at) && m.start() == at) {
      int length = Integer.parseInt(m.group(1));
      ids.add(answer.substring(m.end(), m.end() + length));
      at = m.end() + length;
    }
    return ids;
  }

  private static String ng(String address, String command) throws java.io.IOException {
    try (DatagramSocket socket = new DatagramSocket()) {
      socket.setSoTimeout(1000);
      String cookie = "c" + System.nanoTime();
      byte[] bytes = (cookie + " " + command).getBytes(StandardCharsets.ISO_8859_1);
      socket.send(new DatagramPacket(bytes, bytes.length, InetAddress.getByName(address), 2223));
      byte[] buffer = new byte[65_535];
      DatagramPacket answer = new DatagramPacket(buffer, buffer.length);
      socket.receive(answer);
      String text = new String(buffer, 0, answer.getLength(), StandardCharsets.ISO_8859_1);
      return text.substring(text.indexOf(' ') + 1);
    }
  }

  /**
   * The status line's code Kamailio answers a request {@code method} from {@code source} to {@code
   * address:port} with (a new call: no To tag).
   */
  static int request(String method, String source, String address, int port) throws Exception {
    try (DatagramSocket socket = new DatagramSocket(new InetSocketAddress(source, 0))) {
      socket.setSoTimeout(3000);
      String text =
          method
              + " sip:probe@"
              + address
              + ":"
              + port
              + " SIP/2.0\r\nVia: SIP/2.0/UDP "
              + source
              + ":"
              + socket.getLocalPort()
              + ";branch=z9hG4bK"
              + System.nanoTime()
              + "\r\nFrom: <sip:probe@"
              + source
              + ">;tag=1\r\nTo: <sip:probe@"
              + address
              + ">\r\nCall-ID: "
              + System.nanoTime()
              + "@"
              + source
              + "\r\nCSeq: 1 "
              + method
              + "\r\nContact: <sip:probe@"
              + source
              + ":"
              + socket.getLocalPort()
              + ">\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n";
      byte[] bytes = text.getBytes(StandardCharsets.US_ASCII);
      socket.send(new DatagramPacket(bytes, bytes.length, InetAddress.getByName(address), port));
      byte[] buffer = new byte[4096];
      while (true) {
        DatagramPacket answer = new DatagramPacket(buffer, buffer.length);
        socket.receive(answer);
        String reply = new String(buffer, 0, answer.getLength(), StandardCharsets.US_ASCII);
        int code = Integer.parseInt(reply.substring(8, 11));
        if (code >= 200) {
          return code;
        }
      }
    }
  }
}
