package dev.muster.discovery.internal;

import dev.muster.discovery.Changes;
import dev.muster.discovery.MembershipListener;
import dev.muster.discovery.MembershipSource;
import dev.muster.discovery.Snapshot;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where a discovery loop's publications go: the change log ({@code + i-0abc 10.0.1.5:8080
 * us-east-1a}, with the reasons the fetch found), every listener in order, each isolated from the
 * others' failures, and the state file, which it also reads back at start. Called under the loop's
 * lock.
 */
final class Delivery {
  private static final Logger log = LoggerFactory.getLogger("dev.muster.discovery");
  private static final int CHANGELOG_LINES = 50;

  private final String name;
  private final MembershipSource source;
  private final List<MembershipListener> listeners;
  private final Path stateFile;

  Delivery(
      String name, MembershipSource source, List<MembershipListener> listeners, Path stateFile) {
    this.name = name;
    this.source = source;
    this.listeners = List.copyOf(listeners);
    this.stateFile = stateFile;
  }

  /** The saved membership, or {@code null} if there is none or it is damaged (logged). */
  Snapshot load() {
    if (stateFile == null || !Files.exists(stateFile)) {
      return null;
    }
    try {
      return SnapshotFile.load(stateFile);
    } catch (IOException e) {
      log.error(
          "{}: IGNORING the state file, the first view is guarded by minMembers only: " + "{}",
          name,
          e.getMessage());
      return null;
    }
  }

  private void logChanges(Snapshot snapshot, Changes changes) {
    Map<String, String> reasons = Map.of();
    if (!changes.removed().isEmpty() && !snapshot.isStale()) {
      Set<String> ids = new HashSet<>();
      changes.removed().forEach(m -> ids.add(m.instanceId()));
      reasons = source.departureReasons(ids); // what the fetch learned; no request
    }
    log.info(
        "{}: {} members{} (+{} -{} ~{})",
        name,
        snapshot.size(),
        snapshot.isStale() ? " (stale)" : "",
        changes.added().size(),
        changes.removed().size(),
        changes.changed().size());
    for (String line : Changelog.lines(changes, reasons, CHANGELOG_LINES)) {
      log.info("{}: {}", name, line);
    }
  }

  /** Logs the change (unless {@code logChanges} is off), calls every listener, saves the state. */
  void deliver(Snapshot snapshot, Changes changes, boolean logChanges) {
    if (logChanges) {
      logChanges(snapshot, changes);
    }
    for (MembershipListener listener : listeners) {
      try {
        listener.onChange(snapshot, changes);
      } catch (RuntimeException e) {
        log.error("{}: listener {} failed; the others still run", name, listener, e);
      }
    }
    if (stateFile != null && !snapshot.isStale()) {
      try {
        SnapshotFile.save(stateFile, snapshot);
      } catch (IOException e) {
        log.warn("{}: could not save the membership to {}: {}", name, stateFile, e.toString());
      }
    }
  }
}
