package dev.muster.agent;

import dev.muster.agent.AgentConfig.Reload;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.snakeyaml.engine.v2.nodes.MappingNode;
import org.snakeyaml.engine.v2.nodes.Node;
import org.snakeyaml.engine.v2.nodes.NodeTuple;

/**
 * Reads {@code outputs}: what every output has (type, file, backends, reload, template), then hands
 * it to the reader of its kind. The one place that dispatches on the YAML {@code type:}.
 */
final class OutputReader {
  /** Every key an output may have; a kind's reader refuses those that are not its own. */
  private static final String[] KEYS = {
    "type",
    "mode",
    "file",
    "header",
    "template",
    "backends",
    "reload",
    "main_config",
    "stats_socket",
    "rpc",
    "sets",
    "server_options",
    "backend_options",
    "backend_server_options",
    "escape",
    "validate",
    "max_entries",
    "slots",
    "drain_timeout",
    "warmup_timeout",
    "admin_socket",
    "health",
    "groups",
    "match_port"
  };

  /**
   * What every output has, as read.
   *
   * @param path the setting's path, {@code outputs.NAME}
   * @param at the output's node, for problems about a missing key
   * @param keys its keys
   */
  record Common(
      String name,
      String path,
      Node at,
      Map<String, Node> keys,
      Path file,
      List<String> backends,
      Reload reload,
      Path template) {

    /** Reports every kind-specific key given here but {@code own}, naming the kind that has it. */
    void refuseAllBut(Nodes n, String... own) {
      Set<String> mine = Set.of(own);
      OWNERS.forEach(
          (key, owner) -> {
            if (keys.get(key) != null && !mine.contains(key)) {
              n.problem(keys.get(key), path + "." + key, owner);
            }
          });
    }
  }

  /** The keys only some kinds have, and what is said when another kind is given one. */
  private static final Map<String, String> OWNERS = owners();

  private static Map<String, String> owners() {
    Map<String, String> owners = new LinkedHashMap<>();
    owners.put("mode", "only haproxy and nginx have modes");
    owners.put("admin_socket", "only nginx in dynamic mode has it");
    owners.put("health", "only nginx in dynamic mode has it");
    owners.put("header", "only haproxy has it");
    owners.put("server_options", "only haproxy has it");
    owners.put("backend_server_options", "only haproxy has it");
    owners.put("backend_options", "only haproxy and nginx have it");
    owners.put("stats_socket", "only haproxy in runtime mode has it");
    owners.put("slots", "only haproxy in runtime mode has it");
    owners.put("drain_timeout", "only haproxy in runtime mode has it");
    owners.put("warmup_timeout", "only haproxy in runtime mode has it");
    owners.put("main_config", "only nginx has it");
    owners.put("rpc", "only kamailio, rtpengine, permissions and dmq have it");
    owners.put("sets", "only kamailio and rtpengine have it");
    owners.put("groups", "only permissions has it");
    owners.put("match_port", "only permissions has it");
    owners.put("max_entries", "only kamailio has it");
    owners.put("escape", "only a template output has it");
    owners.put(
        "validate", "only a template output has it (the others use their proxy's own checker)");
    return owners;
  }

  private final Nodes n;

  OutputReader(Nodes n) {
    this.n = n;
  }

  /**
   * The outputs of {@code node}, by name; {@code fileNodes} gets each one's {@code file} node, for
   * problems found later.
   */
  Map<String, Output> read(Node node, Set<String> backendNames, Map<String, Node> fileNodes) {
    Map<String, Output> outputs = new LinkedHashMap<>();
    if (node == null) {
      n.problem(null, "outputs", "at least one output is required");
      return outputs;
    }
    MappingNode map = n.mapping(node, "outputs");
    if (map == null) {
      return outputs;
    }
    for (NodeTuple tuple : n.entries(map, "outputs")) {
      String name = Nodes.key(tuple);
      String path = "outputs." + name;
      if (!Nodes.NAME.matcher(name).matches()) {
        n.problem(
            tuple.getKeyNode(), "outputs", "an output name is 1 to 63 letters, digits, _ . -");
        continue;
      }
      Map<String, Node> keys = n.keys(n.mapping(tuple.getValueNode(), path), path, KEYS);
      int before = n.count();
      Output output = output(name, path, keys, tuple.getValueNode(), backendNames);
      if (output != null && n.count() == before) {
        outputs.put(name, output);
        fileNodes.put(name, keys.get("file"));
      }
    }
    if (map.getValue().isEmpty()) {
      n.problem(node, "outputs", "at least one output is required");
    }
    return outputs;
  }

  private Output output(
      String name, String path, Map<String, Node> keys, Node at, Set<String> backendNames) {
    String type = n.string(keys.get("type"), path + ".type");
    if (type == null) {
      n.problem(
          at,
          path + ".type",
          "is required: haproxy, nginx, kamailio, rtpengine, permissions, dmq or template");
      return null;
    }
    Path file = n.path(keys.get("file"), path + ".file");
    if (file == null) {
      n.problem(at, path + ".file", "is required: the file this output writes");
    }
    List<String> wanted =
        keys.get("backends") == null
            ? List.of()
            : n.strings(keys.get("backends"), path + ".backends");
    if (keys.get("backends") == null) {
      n.problem(at, path + ".backends", "is required: which backends feed this output");
    }
    for (String b : wanted) {
      if (!backendNames.contains(b)) {
        n.problem(
            keys.get("backends"),
            path + ".backends",
            "no backend named " + b + " (backends: " + String.join(", ", backendNames) + ")");
      }
    }
    Common common =
        new Common(
            name,
            path,
            at,
            keys,
            file,
            wanted,
            reload(keys.get("reload"), path + ".reload"),
            n.existing(keys.get("template"), path + ".template"));
    return switch (type) {
      case "haproxy" -> HaproxyOutputReader.read(n, common);
      case "nginx" -> NginxOutputReader.read(n, common);
      case "kamailio" -> KamailioOutputReader.read(n, common);
      case "rtpengine" -> KamailioTablesReader.rtpengine(n, common);
      case "permissions" -> KamailioTablesReader.permissions(n, common);
      case "dmq" -> KamailioTablesReader.dmq(n, common);
      case "template" -> TemplateOutputReader.read(n, common);
      default -> {
        n.problem(
            keys.get("type"),
            path + ".type",
            "must be haproxy, nginx, kamailio, rtpengine, permissions, dmq or template: " + type);
        yield null;
      }
    };
  }

  private Reload reload(Node node, String path) {
    if (node == null) {
      return null;
    }
    Map<String, Node> keys = n.keys(n.mapping(node, path), path, "master_socket", "command");
    Path socket = n.path(keys.get("master_socket"), path + ".master_socket");
    List<String> command =
        keys.get("command") == null ? null : n.strings(keys.get("command"), path + ".command");
    if ((socket == null) == (command == null)) {
      n.problem(node, path, "needs exactly one of master_socket and command");
    }
    return new Reload(socket, command);
  }

  /** A mapping of backend name to text; every name must be one of {@code backends}. */
  static Map<String, String> textMap(Nodes n, Node node, String path, List<String> backends) {
    Map<String, String> texts = new LinkedHashMap<>();
    MappingNode map = node == null ? null : n.mapping(node, path);
    if (map != null) {
      for (NodeTuple t : n.entries(map, path)) {
        String backend = Nodes.key(t);
        if (!backends.contains(backend)) {
          n.problem(t.getKeyNode(), path + "." + backend, "is not one of this output's backends");
        }
        String text = n.string(t.getValueNode(), path + "." + backend);
        if (text != null) {
          texts.put(backend, text.stripTrailing());
        }
      }
    }
    return texts;
  }
}
