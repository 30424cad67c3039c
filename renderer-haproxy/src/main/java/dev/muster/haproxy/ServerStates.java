package dev.muster.haproxy;

import dev.muster.discovery.ApplyException;
import dev.muster.discovery.Drain.Sleeper;
import dev.muster.discovery.Member;
import dev.muster.discovery.Snapshot;
import dev.muster.haproxy.internal.RuntimeApi;
import dev.muster.haproxy.internal.RuntimeApi.ServerState;
import dev.muster.haproxy.internal.Slots;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What runtime mode does to HAProxy's servers through its runtime API, slot by slot: drains a
 * leaving member until its sessions end, warms up a new one until its check passes, reads HAProxy's
 * view back and repairs drift, and learns the slots of a running HAProxy. Polls on the given clock
 * and sleeper.
 */
final class ServerStates {
  private static final Logger log = LoggerFactory.getLogger("dev.muster.haproxy");

  private final RuntimeApi api;
  private final Duration drainTimeout;
  private final Duration warmupTimeout;
  private final Clock clock;
  private final Sleeper sleeper;
  private final Duration pollInterval;
  private int repairs;

  ServerStates(
      RuntimeApi api,
      Duration drainTimeout,
      Duration warmupTimeout,
      Clock clock,
      Sleeper sleeper,
      Duration pollInterval) {
    this.api = api;
    this.drainTimeout = drainTimeout;
    this.warmupTimeout = warmupTimeout;
    this.clock = clock;
    this.sleeper = sleeper;
    this.pollInterval = pollInterval;
  }

  /** How many drifted servers the read-back repaired. */
  int repairs() {
    return repairs;
  }

  void drain(String backend, Slots slots, List<Integer> leaving) {
    if (leaving.isEmpty()) {
      return;
    }
    for (int i : leaving) {
      api.setServer(backend, Slots.name(i), "state drain");
    }
    Instant deadline = clock.instant().plus(drainTimeout);
    Set<Integer> busy = new HashSet<>(leaving);
    while (!busy.isEmpty() && clock.instant().isBefore(deadline)) {
      Map<String, Long> sessions = api.sessions(backend);
      busy.removeIf(i -> sessions.getOrDefault(Slots.name(i), 0L) == 0);
      if (!busy.isEmpty()) {
        pause();
      }
    }
    for (int i : leaving) {
      Member m = slots.member(i);
      api.setServer(backend, Slots.name(i), "state maint");
      if (busy.contains(i)) {
        log.warn(
            "{}: - {} {} drain timed out after {} ms with sessions open; set to maint",
            backend,
            m.instanceId(),
            m.hostPort(),
            drainTimeout.toMillis());
      } else {
        log.info("{}: - {} {} drained ({})", backend, m.instanceId(), m.hostPort(), Slots.name(i));
      }
      slots.release(i);
    }
  }

  /**
   * Puts a slot in {@code drain} so that health checks run while no traffic flows. Leaving
   * maintenance shows a never-checked slot as UP at once; forcing its health down (only where a
   * check exists, or it would stay down) makes "running" mean that a check against the new address
   * passed.
   */
  void warm(String backend, String server) {
    api.setServer(backend, server, "state drain");
    ServerState state = api.serversState(backend).get(server);
    if (state != null && state.hasCheck()) {
      api.setServer(backend, server, "health down");
    }
  }

  /**
   * Waits up to the warm-up timeout for the drained members in {@code warming} to pass their health
   * check, and sets each {@code ready} when it does. Those still failing stay drained and are added
   * to {@code late}.
   */
  private void awaitReady(String backend, Slots slots, List<Integer> warming, List<String> late) {
    Instant deadline = clock.instant().plus(warmupTimeout);
    while (!warming.isEmpty()) {
      Map<String, ServerState> state = api.serversState(backend);
      for (var it = warming.iterator(); it.hasNext(); ) {
        int i = it.next();
        ServerState s = state.get(Slots.name(i));
        if (s != null && s.healthy()) {
          api.setServer(backend, Slots.name(i), "state ready");
          Member m = slots.member(i);
          log.info("{}: + {} {} ready ({})", backend, m.instanceId(), m.hostPort(), Slots.name(i));
          it.remove();
        }
      }
      if (warming.isEmpty() || !clock.instant().isBefore(deadline)) {
        break;
      }
      pause();
    }
    for (int i : warming) {
      Member m = slots.member(i);
      log.warn(
          "{}: {} {} has not passed its health check after {} ms; it stays drained "
              + "and is checked again",
          backend,
          m.instanceId(),
          m.hostPort(),
          warmupTimeout.toMillis());
      late.add(backend + "/" + m.instanceId());
    }
  }

  /**
   * Reads HAProxy's view back, repairs what differs from the slots, and waits for members that are
   * not ready yet (new, or repaired out of maintenance) to pass their check; those that do not are
   * added to {@code late}.
   */
  int verify(String backend, Slots slots, List<String> late) {
    Map<String, ServerState> state = api.serversState(backend);
    int repaired = 0;
    List<Integer> warming = new ArrayList<>();
    for (int i = 0; i < slots.size(); i++) {
      String server = Slots.name(i);
      ServerState s = state.get(server);
      if (s == null) {
        throw new ApplyException(
            "HAProxy has no server "
                + backend
                + "/"
                + server
                + "; is the running configuration the one Muster wrote?");
      }
      Member m = slots.member(i);
      if (m == null) {
        if (!s.maint()) {
          api.setServer(backend, server, "state maint");
          log.warn(
              "{}: drift: free slot {} was enabled ({}:{}); set back to maint",
              backend,
              server,
              s.address(),
              s.port());
          repaired++;
        }
        continue;
      }
      List<String> drift = new ArrayList<>();
      if (!s.address().equals(m.address()) || s.port() != m.port()) {
        api.setServer(backend, server, "addr " + m.address() + " port " + m.port());
        drift.add("address " + s.address() + ":" + s.port());
      }
      if (s.weight() != m.weight()) {
        api.setServer(backend, server, "weight " + m.weight());
        drift.add("weight " + s.weight());
      }
      if (s.maint()) {
        // In maintenance (by hand, or a warm-up cut short): warm it up again, never force UP.
        warm(backend, server);
        drift.add("maint");
        warming.add(i);
      } else if (!s.ready()) {
        // Warming up (now, or since a warm-up timed out), or drained by hand.
        warming.add(i);
      }
      if (!drift.isEmpty()) {
        log.warn(
            "{}: drift: {} ({}) had {}; repaired to {} weight {}",
            backend,
            server,
            m.instanceId(),
            String.join(", ", drift),
            m.hostPort(),
            m.weight());
        repaired++;
      }
    }
    repairs += repaired;
    awaitReady(backend, slots, warming, late);
    return repaired;
  }

  /** Maps what HAProxy serves to members, when Muster starts against a running HAProxy. */
  void learn(String backend, Slots slots, Snapshot snapshot) {
    Map<String, ServerState> state = api.serversState(backend);
    Map<String, Member> byEndpoint = new HashMap<>();
    snapshot.members().forEach(m -> byEndpoint.put(m.address() + ":" + m.port(), m));
    int size = 0;
    for (String name : state.keySet()) {
      if (name.matches("srv\\d+")) {
        size = Math.max(size, Integer.parseInt(name.substring(3)));
      }
    }
    if (size > slots.size()) {
      slots.grow(size);
    }
    for (int i = 0; i < slots.size(); i++) {
      slots.release(i);
    }
    for (ServerState s : state.values()) {
      if (!s.name().matches("srv\\d+") || s.maint()) {
        continue;
      }
      Member m = byEndpoint.get(s.address() + ":" + s.port());
      int i = Integer.parseInt(s.name().substring(3)) - 1;
      if (m != null && slots.indexOf(m.instanceId()) < 0 && i < slots.size()) {
        slots.assign(i, m.toBuilder().weight(s.weight()).build());
      }
    }
    slots.learned(true);
  }

  private void pause() {
    try {
      sleeper.sleep(pollInterval);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ApplyException("interrupted", e);
    }
  }
}
