package dev.muster.agent;

import java.util.List;
import java.util.Map;
import org.snakeyaml.engine.v2.nodes.Node;

/** Reads an output of {@code type: template} ({@link TemplateOutput}). */
final class TemplateOutputReader {
  private TemplateOutputReader() {}

  static Output read(Nodes n, OutputReader.Common c) {
    Map<String, Node> keys = c.keys();
    String path = c.path();
    if (keys.get("header") != null) {
      n.problem(keys.get("header"), path + ".header", "a template output writes the whole file");
    }
    c.refuseAllBut(n, "header", "escape", "validate");
    if (c.template() == null && keys.get("template") == null) {
      n.problem(c.at(), path + ".template", "is required for a template output");
    }
    String word = n.string(keys.get("escape"), path + ".escape");
    TemplateOutput.Escape escape = TemplateOutput.Escape.TOKEN;
    if (word != null) {
      escape = null;
      for (TemplateOutput.Escape e : TemplateOutput.Escape.values()) {
        if (e.word().equals(word)) {
          escape = e;
        }
      }
      if (escape == null) {
        n.problem(
            keys.get("escape"),
            path + ".escape",
            "must be token, haproxy, nginx or kamailio: " + word);
        escape = TemplateOutput.Escape.TOKEN;
      }
    }
    List<String> validate =
        keys.get("validate") == null ? null : n.strings(keys.get("validate"), path + ".validate");
    if (validate != null && validate.isEmpty()) {
      n.problem(
          keys.get("validate"),
          path + ".validate",
          "needs a command, e.g. [keepalived, -t, -f, \"{file}\"]");
    }
    return new TemplateOutput(
        c.name(), c.file(), c.backends(), c.reload(), c.template(), escape, validate);
  }
}
