package dev.muster.kamailio;

import dev.muster.discovery.ApplyException;
import dev.muster.discovery.Reloader;
import dev.muster.discovery.internal.IoErrors;
import dev.muster.kamailio.internal.JsonRpc;
import dev.muster.kamailio.internal.Tables;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes a running Kamailio forget the DMQ peers that left: each peer listed in the file ({@link
 * DmqPeers}) at the last apply and missing from it now is removed with {@code dmq.remove} if {@code
 * dmq.list_nodes} still shows it, and the list is read again to check that it is gone. Without
 * this, a terminated peer stays active until the module's pings fail (its {@code ping_interval}, 60
 * s at the least, and a second ping), and every replicated dialog or htable update meanwhile goes
 * to a dead address. Built by {@link Kamailio#dmqReloader}.
 *
 * <p>Only peers this reloader saw leave are removed: a node that joined by its own notify before
 * this agent's poll showed it is left alone. The first peers are the file's at build time, so a
 * peer that left while the agent was down is removed at its first apply. With no peer leaving, an
 * apply asks Kamailio nothing (the file is for its next start).
 *
 * <p>Thread-safe.
 */
public final class DmqReloader implements Reloader {
  private static final Logger log = LoggerFactory.getLogger("dev.muster.kamailio");

  private final JsonRpc rpc;
  private final Path file;
  private Set<String> previous;
  private volatile int removed;

  DmqReloader(URI endpoint, Path file) {
    this.rpc = new JsonRpc(Objects.requireNonNull(endpoint, "endpoint"));
    this.file = Objects.requireNonNull(file, "file");
    this.previous = peers(true);
  }

  /** How many peers {@code dmq.remove} took out so far. */
  public int removed() {
    return removed;
  }

  @Override
  public synchronized void reload() {
    Set<String> peers = peers(false);
    Set<String> leavers = new TreeSet<>(previous);
    leavers.removeAll(peers);
    if (!leavers.isEmpty()) {
      Set<String> live = live();
      for (String leaver : leavers) {
        if (live.contains(leaver)) {
          String error = JsonRpc.error(rpc.call("dmq.remove", "[\"" + leaver + "\"]"));
          if (error != null) {
            throw new ApplyException(
                "dmq.remove " + leaver + " answered \"" + error + "\"; it stays a DMQ peer");
          }
          removed++;
          log.info("DMQ peer {} removed (it left the backend)", leaver);
        }
      }
      Set<String> still = live();
      still.retainAll(leavers);
      if (!still.isEmpty()) {
        throw new ApplyException(
            "reload check failed: after dmq.remove, dmq.list_nodes still shows " + still);
      }
    }
    previous = peers;
  }

  /** The peers Kamailio's DMQ module lists now ({@code sip:HOST:PORT}), itself left out. */
  public Set<String> live() {
    return Tables.dmqLive(rpc.result("dmq.list_nodes", null));
  }

  private Set<String> peers(boolean mayBeMissing) {
    try {
      return Tables.dmqFile(Files.readString(file));
    } catch (NoSuchFileException e) {
      if (mayBeMissing) {
        return Set.of();
      }
      throw new ApplyException("DMQ peers: cannot read " + IoErrors.describe(e), e);
    } catch (IOException e) {
      throw new ApplyException("DMQ peers: cannot read " + IoErrors.describe(e), e);
    }
  }

  @Override
  public String toString() {
    return "Kamailio dmq.remove at " + rpc.endpoint();
  }
}
