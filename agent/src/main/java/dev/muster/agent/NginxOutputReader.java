package dev.muster.agent;

import java.nio.file.Path;
import java.util.Map;
import org.snakeyaml.engine.v2.nodes.Node;

/** Reads an output of {@code type: nginx} ({@link NginxOutput}). */
final class NginxOutputReader {
  private NginxOutputReader() {}

  static Output read(Nodes n, OutputReader.Common c) {
    Map<String, Node> keys = c.keys();
    c.refuseAllBut(n, "main_config", "backend_options");
    Path mainConfig = n.existing(keys.get("main_config"), c.path() + ".main_config");
    if (mainConfig == null) {
      n.problem(
          c.at(), c.path() + ".main_config", "is required for nginx (for nginx -t and the reload)");
    }
    return new NginxOutput(
        c.name(),
        c.file(),
        c.backends(),
        c.reload(),
        mainConfig,
        c.template(),
        OutputReader.textMap(
            n, keys.get("backend_options"), c.path() + ".backend_options", c.backends()));
  }
}
