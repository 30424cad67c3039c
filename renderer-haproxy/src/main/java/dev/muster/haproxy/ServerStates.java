package dev.muster.haproxy;

import dev.muster.discovery.ApplyException;
import dev.muster.discovery.Drain.Sleeper;
import dev.muster.haproxy.internal.DynamicPlan;
import dev.muster.haproxy.internal.RuntimeApi;
import dev.muster.haproxy.internal.RuntimeApi.ServerStat;
import dev.muster.haproxy.internal.RuntimeApi.ServerState;
import dev.muster.haproxy.internal.ServerSpec;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What runtime mode does to HAProxy's servers through its runtime API: carries out a plan, server
 * by server: adds a new one and warms it up until its check passes, drains a leaving one until its
 * sessions end and deletes it, swaps one whose id or backup flag must change. Polls on the given
 * clock and sleeper.
 */
final class ServerStates {
  private static final Logger log = LoggerFactory.getLogger("dev.muster.haproxy");

  /**
   * What {@code add server} adds to the options unless they set it: a static server's defaults,
   * which a server added at runtime does not get (no connection reuse, 6 times less throughput).
   */
  static final String POOL_DEFAULTS = "pool-max-conn -1 pool-purge-delay 5s";

  private final RuntimeApi api;
  private final Duration drainTimeout;
  private final Duration warmupTimeout;
  private final Clock clock;
  private final Sleeper sleeper;
  private final Duration pollInterval;

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

  /**
   * Carries out {@code plan} but its hand-overs (see {@code DynamicPlan}); adds the servers to warm
   * up to {@code warming}, and those not done to {@code late}.
   *
   * @return how many servers it changed
   */
  int carryOut(
      String backend,
      DynamicPlan plan,
      Map<String, ServerState> state,
      Map<String, ServerStat> stats,
      String options,
      List<String> warming,
      List<String> late) {
    plan.updates()
        .forEach(
            (name, spec) ->
                update(backend, spec, state.get(name), stats.getOrDefault(name, ServerStat.NONE)));
    Set<String> deleted = remove(backend, plan.leaving(), state, late);
    for (ServerSpec spec : plan.replaced()) {
      if (swap(backend, spec, options, state.get(spec.name()), late)) {
        warming.add(spec.name());
      }
    }
    for (ServerSpec spec : plan.arriving()) {
      if (state.containsKey(spec.name()) && !deleted.contains(spec.name())) {
        continue; // its old server is not deleted yet: a later apply adds it
      }
      add(backend, spec, options);
      warming.add(spec.name());
    }
    return plan.updates().size()
        + plan.leaving().size()
        + plan.replaced().size()
        + plan.arriving().size();
  }

  /** Changes a server that stays in place: its weight and its {@code maxconn}. */
  void update(String backend, ServerSpec spec, ServerState held, ServerStat stat) {
    if (held.weight() != spec.weight()) {
      api.setServer(backend, spec.name(), "weight " + spec.weight());
      log.info("{}: {} weight {} -> {}", backend, spec.name(), held.weight(), spec.weight());
    }
    if (stat.maxconn() != spec.maxconn()) {
      api.setMaxconn(backend, spec.name(), spec.maxconn());
      log.info("{}: {} maxconn {} -> {}", backend, spec.name(), stat.maxconn(), spec.maxconn());
    }
  }

  /**
   * Drains {@code names} together until their sessions end (or the drain timeout), then sets each
   * to {@code maint} and deletes it. A server HAProxy will not delete yet (it still holds
   * connections) stays in maintenance, without traffic, and is added to {@code late}.
   *
   * @return the names deleted
   */
  Set<String> remove(
      String backend, List<String> names, Map<String, ServerState> state, List<String> late) {
    Set<String> deleted = new HashSet<>();
    if (names.isEmpty()) {
      return deleted;
    }
    Set<String> busy = new HashSet<>();
    for (String name : names) {
      ServerState s = state.get(name);
      if (s == null || !s.maint()) {
        api.setServer(backend, name, "state drain");
        busy.add(name);
      }
    }
    Instant deadline = clock.instant().plus(drainTimeout);
    Set<String> draining = new HashSet<>(busy);
    while (!busy.isEmpty() && clock.instant().isBefore(deadline)) {
      Map<String, ServerStat> stats = api.stats(backend);
      busy.removeIf(n -> stats.getOrDefault(n, ServerStat.NONE).sessions() == 0);
      if (!busy.isEmpty()) {
        pause();
      }
    }
    for (String name : names) {
      if (draining.contains(name)) {
        api.setServer(backend, name, "state maint");
      }
      if (busy.contains(name)) {
        log.warn(
            "{}: - {} drain timed out after {} ms with sessions open; set to maint",
            backend,
            name,
            drainTimeout.toMillis());
      }
      if (delete(backend, name)) {
        log.info("{}: - {} drained and deleted", backend, name);
        deleted.add(name);
      } else {
        log.warn(
            "{}: {} still has connections; it stays in maint and is deleted later", backend, name);
        late.add(backend + "/" + name + " (not deleted yet)");
      }
    }
    return deleted;
  }

  /** Deletes a server in maintenance, trying for a few polls while it still has connections. */
  private boolean delete(String backend, String name) {
    for (int attempt = 0; attempt < 10; attempt++) {
      if (api.delServer(backend, name)) {
        return true;
      }
      pause();
    }
    return false;
  }

  /**
   * Adds a server and puts it in {@code drain} so that health checks run while no traffic flows:
   * {@link #awaitReady} sets it ready once its check passes. A server with a check is forced down
   * first, as leaving maintenance shows a never-checked server as UP at once.
   */
  void add(String backend, ServerSpec spec, String options) {
    api.addServer(backend, spec.name(), spec.arguments(withPool(options)));
    warm(backend, spec.name(), hasCheck(options));
  }

  /**
   * Swaps a server whose id or backup flag must change: drains it, deletes it and adds it again.
   * One that was healthy is ready again at once (its address did not change); others warm up.
   *
   * @return whether it must still pass its check
   */
  boolean swap(
      String backend, ServerSpec spec, String options, ServerState held, List<String> late) {
    if (remove(backend, List.of(spec.name()), Map.of(spec.name(), held), late).isEmpty()) {
      return false; // not deleted yet: a later apply adds it again
    }
    api.addServer(backend, spec.name(), spec.arguments(withPool(options)));
    boolean check = hasCheck(options);
    if (held.healthy() && !held.maint()) {
      if (check) {
        api.enableHealth(backend, spec.name());
      }
      api.setServer(backend, spec.name(), "state ready");
      log.info(
          "{}: {} swapped for id {}{}",
          backend,
          spec.name(),
          spec.id(),
          spec.backup() ? ", backup" : "");
      return false;
    }
    warm(backend, spec.name(), check);
    return true;
  }

  /** Out of maintenance into {@code drain}, checks enabled and the server forced down. */
  void warm(String backend, String name, boolean check) {
    if (check) {
      api.enableHealth(backend, name);
    }
    api.setServer(backend, name, "state drain");
    if (check) {
      api.setServer(backend, name, "health down");
    }
  }

  /**
   * Waits up to the warm-up timeout for the drained servers {@code warming} to pass their check,
   * and sets each {@code ready} when it does; those still failing stay drained and are added to
   * {@code late}.
   *
   * @param read what HAProxy reported just now, used for the first look, or {@code null}
   * @return the names that became ready
   */
  Set<String> awaitReady(
      String backend, List<String> warming, List<String> late, Map<String, ServerState> read) {
    Set<String> ready = new HashSet<>();
    List<String> waiting = new ArrayList<>(warming);
    Instant deadline = clock.instant().plus(warmupTimeout);
    Map<String, ServerState> first = read;
    while (!waiting.isEmpty()) {
      Map<String, ServerState> state = first != null ? first : api.serversState(backend);
      first = null;
      for (var it = waiting.iterator(); it.hasNext(); ) {
        String name = it.next();
        ServerState s = state.get(name);
        if (s != null && s.healthy()) {
          api.setServer(backend, name, "state ready");
          log.info("{}: + {} {}:{} ready", backend, name, s.address(), s.port());
          ready.add(name);
          it.remove();
        }
      }
      if (waiting.isEmpty() || !clock.instant().isBefore(deadline)) {
        break;
      }
      pause();
    }
    for (String name : waiting) {
      log.warn(
          "{}: {} has not passed its health check after {} ms; it stays drained "
              + "and is checked again",
          backend,
          name,
          warmupTimeout.toMillis());
      late.add(backend + "/" + name);
    }
    return ready;
  }

  /** Whether {@code options} configure a health check. */
  static boolean hasCheck(String options) {
    return Arrays.asList(options.strip().split("\\s+")).contains("check");
  }

  private static String withPool(String options) {
    if (options.contains("pool-max-conn") || options.contains("pool-purge-delay")) {
      return options;
    }
    return options.isEmpty() ? POOL_DEFAULTS : options + " " + POOL_DEFAULTS;
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
