package dev.muster.kamailio.internal;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

/**
 * An rtpengine daemon's control protocol ({@code ng}: a cookie, a space and a bencoded dictionary,
 * over UDP): what a media drain asks, the calls a node still carries ({@code list}). Each request
 * has a fresh cookie (the daemon answers a repeated cookie from its cache) and waits 2 s for the
 * answer, twice at most.
 */
public final class NgControl {
  private NgControl() {}

  /**
   * How many calls the daemon at {@code address:port} carries now.
   *
   * @throws IOException if it does not answer, or answers with an error
   */
  public static int calls(String address, int port) throws IOException {
    Object answer = request(address, port, "d7:command4:liste");
    if (answer instanceof Map<?, ?> map && map.get("calls") instanceof List<?> calls) {
      return calls.size();
    }
    throw new IOException("rtpengine at " + address + ":" + port + " answered list with " + answer);
  }

  /** Sends one bencoded request and returns the decoded answer. */
  public static Object request(String address, int port, String bencoded) throws IOException {
    try (DatagramSocket socket = new DatagramSocket()) {
      socket.setSoTimeout(2000);
      InetAddress to = InetAddress.getByName(address);
      for (int attempt = 1; ; attempt++) {
        String cookie = "m" + Long.toHexString(ThreadLocalRandom.current().nextLong());
        byte[] bytes = (cookie + " " + bencoded).getBytes(StandardCharsets.ISO_8859_1);
        socket.send(new DatagramPacket(bytes, bytes.length, to, port));
        byte[] buffer = new byte[65_535];
        DatagramPacket packet = new DatagramPacket(buffer, buffer.length);
        try {
          while (true) {
            socket.receive(packet);
            String text =
                new String(packet.getData(), 0, packet.getLength(), StandardCharsets.ISO_8859_1);
            if (text.startsWith(cookie + " ")) {
              Object answer = new Decoder(text.substring(cookie.length() + 1)).next();
              if (answer instanceof Map<?, ?> map && "error".equals(map.get("result"))) {
                throw new IOException(
                    "rtpengine at " + address + ":" + port + ": " + map.get("error-reason"));
              }
              return answer;
            }
          }
        } catch (SocketTimeoutException e) {
          if (attempt == 2) {
            throw new IOException(
                "rtpengine at " + address + ":" + port + " did not answer within 2 s, twice", e);
          }
        }
      }
    }
  }

  /** Bencode: {@code d...e} dictionaries, {@code l...e} lists, {@code iNe} integers, strings. */
  static final class Decoder {
    private final String text;
    private int at;

    Decoder(String text) {
      this.text = text;
    }

    Object next() throws IOException {
      if (at >= text.length()) {
        throw new IOException("bencode: ends early");
      }
      char c = text.charAt(at);
      switch (c) {
        case 'd' -> {
          at++;
          Map<String, Object> map = new LinkedHashMap<>();
          while (peek() != 'e') {
            Object key = next();
            map.put(String.valueOf(key), next());
          }
          at++;
          return map;
        }
        case 'l' -> {
          at++;
          List<Object> list = new ArrayList<>();
          while (peek() != 'e') {
            list.add(next());
          }
          at++;
          return list;
        }
        case 'i' -> {
          int end = text.indexOf('e', at);
          if (end < 0) {
            throw new IOException("bencode: unterminated integer");
          }
          String digits = text.substring(at + 1, end);
          at = end + 1;
          try {
            return Long.parseLong(digits);
          } catch (NumberFormatException e) {
            throw new IOException("bencode: not an integer: " + digits, e);
          }
        }
        default -> {
          int colon = text.indexOf(':', at);
          if (colon < 0 || !Character.isDigit(c)) {
            throw new IOException("bencode: unexpected '" + c + "' at " + at);
          }
          int length;
          try {
            length = Integer.parseInt(text.substring(at, colon));
          } catch (NumberFormatException e) {
            throw new IOException("bencode: bad string length at " + at, e);
          }
          if (length < 0 || colon + 1 + length > text.length()) {
            throw new IOException("bencode: string past the end at " + at);
          }
          at = colon + 1 + length;
          return text.substring(colon + 1, at);
        }
      }
    }

    private char peek() throws IOException {
      if (at >= text.length()) {
        throw new IOException("bencode: ends early");
      }
      return text.charAt(at);
    }
  }
}
