package dev.muster.agent;

import java.net.URI;
import java.util.LinkedHashMap;
import java.util.Map;
import org.snakeyaml.engine.v2.nodes.MappingNode;
import org.snakeyaml.engine.v2.nodes.Node;
import org.snakeyaml.engine.v2.nodes.NodeTuple;

/** Reads an output of {@code type: kamailio} ({@link KamailioOutput}). */
final class KamailioOutputReader {
  private KamailioOutputReader() {}

  static Output read(Nodes n, OutputReader.Common c) {
    Map<String, Node> keys = c.keys();
    String path = c.path();
    c.refuseAllBut(n, "rpc", "sets", "max_entries");
    URI rpc = n.url(keys.get("rpc"), path + ".rpc");
    if (rpc == null && keys.get("rpc") == null) {
      n.problem(c.at(), path + ".rpc", "is required for kamailio (its JSON-RPC URL)");
    }
    Map<String, Integer> sets = new LinkedHashMap<>();
    MappingNode setMap =
        keys.get("sets") == null ? null : n.mapping(keys.get("sets"), path + ".sets");
    if (setMap != null) {
      for (NodeTuple t : n.entries(setMap, path + ".sets")) {
        String backend = Nodes.key(t);
        sets.put(backend, n.integer(t.getValueNode(), path + ".sets." + backend, 1, 1, 99_999));
      }
    }
    for (int i = 0; i < c.backends().size(); i++) {
      sets.putIfAbsent(c.backends().get(i), i + 1);
    }
    return new KamailioOutput(
        c.name(),
        c.file(),
        c.backends(),
        c.reload(),
        rpc,
        sets,
        c.template(),
        n.integer(keys.get("max_entries"), path + ".max_entries", 5000, 1, 100_000));
  }
}
