package dev.muster.haproxy;

import dev.muster.discovery.ApplyResult;
import dev.muster.discovery.FileTarget;
import dev.muster.discovery.Validator;
import dev.muster.haproxy.internal.ServerSpec;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * The configuration file runtime mode keeps for HAProxy's restarts and reloads: every backend's
 * servers, validated by HAProxy's checker. A server's line depends only on its spec, the server
 * options and the header, so after runtime commands whose changed lines were checked ({@link
 * #check}) the file is written without checking the whole of it again.
 */
final class KeptFile {
  private final FileTarget checked;
  private final FileTarget unchecked;
  private final RuntimeFile renderer;

  KeptFile(Path path, Validator validator, RuntimeFile renderer) {
    this.checked = FileTarget.newBuilder(path).validator(validator).build();
    this.unchecked = FileTarget.newBuilder(path).build();
    this.renderer = renderer;
  }

  Path path() {
    return checked.path();
  }

  /**
   * Validates the file these servers (backend name to its servers, in order) would give; given only
   * some server lines, the header and every backend with just those.
   */
  void check(Map<String, List<ServerSpec>> servers) {
    checked.check(renderer.render(servers));
  }

  /** Writes these servers, validated (not reloaded); true if the file changed. */
  boolean write(Map<String, List<ServerSpec>> servers) {
    return checked.apply(renderer.render(servers)).outcome() == ApplyResult.Outcome.APPLIED;
  }

  /** Writes these servers without the checker (every line was checked); true if it changed. */
  boolean writeChecked(Map<String, List<ServerSpec>> servers) {
    return unchecked.apply(renderer.render(servers)).outcome() == ApplyResult.Outcome.APPLIED;
  }
}
