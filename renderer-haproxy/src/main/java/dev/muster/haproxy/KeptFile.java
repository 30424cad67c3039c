package dev.muster.haproxy;

import dev.muster.discovery.ApplyResult;
import dev.muster.discovery.FileTarget;
import dev.muster.discovery.Member;
import dev.muster.discovery.Validator;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * The configuration file runtime mode keeps for HAProxy's restarts and reloads: every backend's
 * slots, each a server line, validated by HAProxy's checker. A slot's line depends only on its
 * member, the server options and the header, so after runtime commands whose changed lines were
 * checked ({@link #check}) the file is written without checking the whole of it again.
 */
final class KeptFile {
  private final FileTarget checked;
  private final FileTarget unchecked;
  private final SlotFileRenderer renderer;

  KeptFile(Path path, Validator validator, SlotFileRenderer renderer) {
    this.checked = FileTarget.newBuilder(path).validator(validator).build();
    this.unchecked = FileTarget.newBuilder(path).build();
    this.renderer = renderer;
  }

  Path path() {
    return checked.path();
  }

  /**
   * Validates the file these slots (backend name to its servers, in order) would give; given only
   * some server lines, the header and every backend with just those.
   */
  void check(Map<String, List<Member>> slots) {
    checked.check(renderer.renderSlots(slots));
  }

  /** Writes these slots, validated (not reloaded); true if the file changed. */
  boolean write(Map<String, List<Member>> slots) {
    return checked.apply(renderer.renderSlots(slots)).outcome() == ApplyResult.Outcome.APPLIED;
  }

  /** Writes these slots without the checker (every line was checked); true if it changed. */
  boolean writeChecked(Map<String, List<Member>> slots) {
    return unchecked.apply(renderer.renderSlots(slots)).outcome() == ApplyResult.Outcome.APPLIED;
  }
}
