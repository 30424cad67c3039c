package dev.muster.discovery.internal;

import dev.muster.discovery.Changes;
import dev.muster.discovery.Member;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.StringJoiner;

/**
 * Formats changes as lines that read like a change log: {@code + i-0abc 10.0.1.5:8080 us-west-2a},
 * {@code - i-0def 10.0.1.6:8080 (terminated)}, {@code ~ i-0123 10.0.1.7:8080 weight 100->50}. Long
 * lists are cut after a limit with a count of the rest. Every value passes {@link
 * Validation#printable} first.
 */
public final class Changelog {
  private Changelog() {}

  /** The lines for {@code changes}, at most {@code limit} member lines plus a summary line. */
  public static List<String> lines(
      Changes changes, Map<String, String> departureReasons, int limit) {
    List<String> lines = new ArrayList<>();
    int total = changes.added().size() + changes.removed().size() + changes.changed().size();
    for (Member m : changes.added()) {
      if (lines.size() < limit) {
        lines.add("+ " + describe(m));
      }
    }
    for (Member m : changes.removed()) {
      if (lines.size() < limit) {
        String reason = departureReasons.get(m.instanceId());
        lines.add("- " + describe(m) + (reason == null ? "" : " (" + reason + ")"));
      }
    }
    for (Changes.Change c : changes.changed()) {
      if (lines.size() < limit) {
        lines.add("~ " + describe(c.after()) + " " + what(c));
      }
    }
    if (total > lines.size()) {
      lines.add("... and " + (total - lines.size()) + " more");
    }
    return lines;
  }

  private static String describe(Member m) {
    return Validation.printable(m.instanceId())
        + " "
        + m.hostPort()
        + (m.availabilityZone() == null ? "" : " " + m.availabilityZone());
  }

  private static String what(Changes.Change c) {
    StringJoiner j = new StringJoiner(", ");
    Member a = c.before();
    Member b = c.after();
    for (Changes.Aspect aspect : c.aspects()) {
      switch (aspect) {
        case ADDRESS -> j.add("address " + a.address() + "->" + b.address());
        case PORT -> j.add("port " + a.port() + "->" + b.port());
        case WEIGHT -> j.add("weight " + a.weight() + "->" + b.weight());
        case STATE -> j.add("state " + a.state() + "->" + b.state());
        case TAGS -> j.add("tags");
        case OTHER -> j.add("placement/addresses");
        default -> j.add(aspect.name().toLowerCase(java.util.Locale.ROOT));
      }
    }
    return j.toString();
  }
}
