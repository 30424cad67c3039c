package dev.muster.agent;

import java.net.URI;
import java.util.LinkedHashMap;
import java.util.Map;
import org.snakeyaml.engine.v2.nodes.MappingNode;
import org.snakeyaml.engine.v2.nodes.NodeTuple;

/**
 * Reads the outputs of Kamailio's other tables: {@code type: rtpengine} ({@link RtpengineOutput}),
 * {@code type: permissions} ({@link PermissionsOutput}) and {@code type: dmq} ({@link DmqOutput}).
 */
final class KamailioTablesReader {
  private KamailioTablesReader() {}

  static Output rtpengine(Nodes n, OutputReader.Common c) {
    c.refuseAllBut(n, "rpc", "sets");
    noTemplate(n, c);
    return new RtpengineOutput(
        c.name(),
        c.file(),
        c.backends(),
        c.reload(),
        rpc(n, c, "rtpengine"),
        ids(n, c, "sets", 0, 65_535));
  }

  static Output permissions(Nodes n, OutputReader.Common c) {
    c.refuseAllBut(n, "rpc", "groups", "match_port");
    noTemplate(n, c);
    return new PermissionsOutput(
        c.name(),
        c.file(),
        c.backends(),
        c.reload(),
        rpc(n, c, "permissions"),
        ids(n, c, "groups", 1, 65_535),
        n.bool(c.keys().get("match_port"), c.path() + ".match_port", false));
  }

  static Output dmq(Nodes n, OutputReader.Common c) {
    c.refuseAllBut(n, "rpc");
    noTemplate(n, c);
    return new DmqOutput(c.name(), c.file(), c.backends(), c.reload(), rpc(n, c, "dmq"));
  }

  private static void noTemplate(Nodes n, OutputReader.Common c) {
    if (c.template() != null) {
      n.problem(
          c.keys().get("template"),
          c.path() + ".template",
          "a table has one format: there is no template for it");
    }
  }

  private static URI rpc(Nodes n, OutputReader.Common c, String type) {
    URI rpc = n.url(c.keys().get("rpc"), c.path() + ".rpc");
    if (rpc == null && c.keys().get("rpc") == null) {
      n.problem(
          c.at(), c.path() + ".rpc", "is required for " + type + " (Kamailio's JSON-RPC URL)");
    }
    return rpc;
  }

  /** Per backend an id from {@code key}; backends not named there count up from {@code first}. */
  private static Map<String, Integer> ids(
      Nodes n, OutputReader.Common c, String key, int first, int max) {
    Map<String, Integer> ids = new LinkedHashMap<>();
    String path = c.path() + "." + key;
    MappingNode map = c.keys().get(key) == null ? null : n.mapping(c.keys().get(key), path);
    if (map != null) {
      for (NodeTuple t : n.entries(map, path)) {
        String backend = Nodes.key(t);
        if (!c.backends().contains(backend)) {
          n.problem(t.getKeyNode(), path + "." + backend, "is not one of this output's backends");
        }
        ids.put(backend, n.integer(t.getValueNode(), path + "." + backend, first, first, max));
      }
    }
    for (int i = 0; i < c.backends().size(); i++) {
      ids.putIfAbsent(c.backends().get(i), first + i);
    }
    return ids;
  }
}
