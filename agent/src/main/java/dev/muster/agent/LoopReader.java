package dev.muster.agent;

import dev.muster.agent.AgentConfig.Loop;
import java.time.Duration;
import java.util.Map;
import org.snakeyaml.engine.v2.nodes.Node;

/**
 * Reads the loop settings ({@code interval}, {@code wait}, {@code guard}) of {@code discovery} and
 * of each backend, each over the settings it overrides.
 */
final class LoopReader {
  private final Nodes n;

  LoopReader(Nodes n) {
    this.n = n;
  }

  /** The loop settings a file without any gets. */
  static Loop defaults() {
    return new Loop(
        Duration.ofSeconds(15), Duration.ZERO, null, 3, 0.5, false, 1, Duration.ofSeconds(60));
  }

  /** The loop settings under {@code keys} (interval, wait, guard) over {@code base}. */
  Loop read(Map<String, Node> keys, String path, Loop base) {
    Duration interval = n.duration(keys.get("interval"), path + ".interval", base.interval());
    if (keys.get("interval") != null && interval.compareTo(Duration.ofSeconds(1)) < 0) {
      n.problem(keys.get("interval"), path + ".interval", "must be at least 1s");
    }
    Duration waitMin = base.waitMin();
    Duration waitMax = base.waitMax();
    if (keys.get("wait") != null) {
      Map<String, Node> wait =
          n.keys(n.mapping(keys.get("wait"), path + ".wait"), path + ".wait", "min", "max");
      waitMin = n.duration(wait.get("min"), path + ".wait.min", waitMin);
      waitMax = n.duration(wait.get("max"), path + ".wait.max", waitMax);
      if (waitMax != null && waitMax.compareTo(waitMin) < 0) {
        n.problem(wait.get("max"), path + ".wait.max", "must not be shorter than wait.min");
      }
    }
    int confirmations = base.confirmations();
    double maxRemoval = base.maxRemoval();
    boolean allowEmpty = base.allowEmpty();
    int minMembers = base.minMembers();
    Duration holdMin = base.holdMin();
    if (keys.get("guard") != null) {
      String g = path + ".guard";
      Map<String, Node> guard =
          n.keys(
              n.mapping(keys.get("guard"), g),
              g,
              "confirmations",
              "max_removal",
              "allow_empty",
              "min_members",
              "hold_min");
      confirmations =
          n.integer(guard.get("confirmations"), g + ".confirmations", confirmations, 1, 1000);
      maxRemoval = n.fraction(guard.get("max_removal"), g + ".max_removal", maxRemoval);
      allowEmpty = n.bool(guard.get("allow_empty"), g + ".allow_empty", allowEmpty);
      minMembers =
          n.integer(guard.get("min_members"), g + ".min_members", minMembers, 1, 1_000_000);
      holdMin = n.duration(guard.get("hold_min"), g + ".hold_min", holdMin);
    }
    return new Loop(
        interval, waitMin, waitMax, confirmations, maxRemoval, allowEmpty, minMembers, holdMin);
  }
}
