package dev.muster.kamailio.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The entries of the rtpengine {@code db_text} table, the permissions address file and the DMQ
 * notification file, from the file and from Kamailio's dump, as comparable strings: {@code SET URL
 * WEIGHT}, {@code GROUP ADDRESS PORT} and {@code sip:HOST:PORT}.
 */
public final class Tables {
  private Tables() {}

  /** {@code SET URL WEIGHT} per row of an rtpengine {@code db_text} table. */
  public static Set<String> rtpengineFile(String text) {
    Set<String> out = new TreeSet<>();
    List<String> lines = text.lines().toList();
    for (int i = 1; i < lines.size(); i++) { // the first line names the columns
      if (lines.get(i).isBlank()) {
        continue;
      }
      List<String> f = dbTextFields(lines.get(i));
      if (f.size() < 4) {
        throw new IllegalArgumentException("rtpengine table line " + (i + 1) + ": too few fields");
      }
      out.add(f.get(1) + " " + f.get(2) + " " + f.get(3));
    }
    return out;
  }

  /** {@code SET URL WEIGHT} per node of {@code rtpengine.show all}. */
  public static Set<String> rtpengineLive(Object result) {
    Set<String> out = new TreeSet<>();
    if (result instanceof List<?> nodes) {
      for (Object node : nodes) {
        Map<?, ?> n = (Map<?, ?>) node;
        out.add(number(n.get("set")) + " " + n.get("url") + " " + number(n.get("weight")));
      }
    }
    return out;
  }

  /** {@code GROUP ADDRESS PORT} per record of a permissions address file. */
  public static Set<String> addressFile(String text) {
    Set<String> out = new TreeSet<>();
    for (String line : text.lines().toList()) {
      int hash = line.indexOf('#');
      String record = (hash >= 0 ? line.substring(0, hash) : line).strip();
      if (record.isEmpty()) {
        continue;
      }
      String[] f = record.split("\\s+");
      out.add(f[0] + " " + f[1] + " " + (f.length > 3 ? f[3] : "0"));
    }
    return out;
  }

  /** {@code GROUP ADDRESS PORT} per record of {@code permissions.addressDump}. */
  public static Set<String> addressLive(Object result) {
    Set<String> out = new TreeSet<>();
    if (result instanceof List<?> records) {
      for (Object record : records) {
        Map<?, ?> r = (Map<?, ?>) record;
        Map<?, ?> item = (Map<?, ?>) r.get("item");
        out.add(number(r.get("group")) + " " + item.get("ip") + " " + number(item.get("port")));
      }
    }
    return out;
  }

  /** The peers ({@code sip:HOST:PORT}) of a DMQ notification file: its quoted addresses. */
  public static Set<String> dmqFile(String text) {
    Set<String> out = new TreeSet<>();
    for (String line : text.lines().toList()) {
      String record = line.strip();
      if (record.startsWith("modparam(\"dmq\", \"notification_address\", \"")) {
        int start = record.indexOf("\"sip:") + 1;
        out.add(record.substring(start, record.indexOf('"', start)));
      }
    }
    return out;
  }

  /** {@code sip:HOST:PORT} per node of {@code dmq.list_nodes} but the local one. */
  public static Set<String> dmqLive(Object result) {
    Set<String> out = new TreeSet<>();
    if (result instanceof List<?> nodes) {
      for (Object node : nodes) {
        Map<?, ?> n = (Map<?, ?>) node;
        if (!"1".equals(number(n.get("local")))) {
          String port = String.valueOf(n.get("port"));
          out.add("sip:" + n.get("host") + (port.isEmpty() ? "" : ":" + port));
        }
      }
    }
    return out;
  }

  /** A JSON number as Kamailio wrote it, without a fraction. */
  private static String number(Object value) {
    return value instanceof Number n ? Long.toString(n.longValue()) : String.valueOf(value);
  }

  /** The fields of a {@code db_text} row: split at {@code :}, with {@code \:} and {@code \\}. */
  static List<String> dbTextFields(String line) {
    List<String> fields = new ArrayList<>();
    StringBuilder field = new StringBuilder();
    for (int i = 0; i < line.length(); i++) {
      char c = line.charAt(i);
      if (c == '\\' && i + 1 < line.length()) {
        char next = line.charAt(++i);
        field.append(
            switch (next) {
              case 'n' -> '\n';
              case 'r' -> '\r';
              case 't' -> '\t';
              case '0' -> '\0';
              default -> next;
            });
      } else if (c == ':') {
        fields.add(field.toString());
        field.setLength(0);
      } else {
        field.append(c);
      }
    }
    fields.add(field.toString());
    return fields;
  }
}
