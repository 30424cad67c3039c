package dev.muster.haproxy;

import dev.muster.discovery.ApplyException;
import dev.muster.discovery.ApplyResult;
import dev.muster.discovery.Reloader;
import dev.muster.discovery.Snapshot;
import dev.muster.discovery.TemplateRenderer;
import dev.muster.haproxy.internal.DynamicPlan;
import dev.muster.haproxy.internal.NoSuchBackendException;
import dev.muster.haproxy.internal.RuntimeApi;
import dev.muster.haproxy.internal.RuntimeApi.ServerStat;
import dev.muster.haproxy.internal.RuntimeApi.ServerState;
import dev.muster.haproxy.internal.ServerSpec;
import dev.muster.haproxy.internal.StatsSocketApi;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What {@link HaproxyRuntime} runs: per backend, HAProxy's servers read back, a {@link DynamicPlan}
 * made and carried out with {@link ServerStates}, and the file kept for restarts ({@link
 * KeptFile}). See {@link HaproxyRuntime} for the contract.
 */
final class RuntimeCore {
  private static final Logger log = LoggerFactory.getLogger("dev.muster.haproxy");

  private final RuntimeApi api;
  private final RuntimeFile rules;
  private final KeptFile file;
  private final Reloader reloader;
  private final ServerStates servers;

  /** The wanted servers of the last apply, by discovery backend name. */
  private Map<String, List<ServerSpec>> wanted = Map.of();

  private int reloads;
  private int repairs;

  /**
   * Backends whose algorithm and options runtime mode accepted: the settings never change, so each
   * backend is checked once, at its first apply.
   */
  private final Set<String> accepted = new java.util.HashSet<>();

  /**
   * Each backend as the last apply that settled it left it: every server as specified and ready,
   * which the read-back confirmed. The next apply plans from this instead of reading HAProxy first
   * ({@code show servers state} and {@code show stat} cost about 100 ms and 3.3 MB at 10,000
   * servers, before the first command), and its read-back catches any drift since. Dropped at any
   * failure, so the apply after it reads everything afresh.
   */
  private final Map<String, View> settled = new TreeMap<>();

  /** What HAProxy holds of one backend. */
  private record View(Map<String, ServerState> state, Map<String, ServerStat> stats) {}

  RuntimeCore(HaproxyRuntime.Builder b) {
    this.api = b.api != null ? b.api : new StatsSocketApi(b.statsSocket);
    this.rules = b.config.buildRuntimeFile();
    List<HaproxyRuntime.Refusal> refusals = rules.refusals(List.of());
    if (!refusals.isEmpty()) {
      throw new IllegalStateException(
          "runtime mode: "
              + String.join(
                  "; ", refusals.stream().map(HaproxyRuntime.Refusal::toString).toList()));
    }
    this.file = new KeptFile(b.configFile, b.validator, rules);
    this.reloader = b.reloader;
    this.servers =
        new ServerStates(api, b.drainTimeout, b.warmupTimeout, b.clock, b.sleeper, b.pollInterval);
  }

  /** One backend's view and plan in this apply. */
  private record Backend(
      String safe,
      String raw,
      List<ServerSpec> specs,
      Map<String, ServerState> state,
      Map<String, ServerStat> stats,
      DynamicPlan plan) {}

  /** See {@link HaproxyRuntime#apply}. */
  synchronized ApplyResult apply(Map<String, Snapshot> memberships) {
    try {
      return applyOnce(memberships);
    } catch (RuntimeException e) {
      settled.clear(); // read everything afresh next time
      throw e;
    }
  }

  private ApplyResult applyOnce(Map<String, Snapshot> memberships) {
    Map<String, List<ServerSpec>> specs = specs(memberships);
    if (!Files.exists(file.path())) {
      file.write(specs);
    }
    List<Backend> backends = read(specs);
    if (backends == null) {
      backends = read(specs); // after the reload that brought the new backends
      if (backends == null) {
        throw new ApplyException("HAProxy still lacks a backend after a reload with it");
      }
    }
    if (backends.stream().anyMatch(b -> !b.plan().isEmpty())) {
      // HAProxy's checker sees the new server lines before any server changes, so a member it
      // would refuse fails here (rejected: the pipeline can leave it out), not half way.
      Map<String, List<ServerSpec>> changed = new TreeMap<>();
      backends.forEach(b -> changed.put(b.raw(), b.plan().changedSpecs()));
      file.check(changed);
    }
    wanted = specs;
    List<String> late = new ArrayList<>();
    int changes = 0;
    Map<String, List<String>> warming = new TreeMap<>();
    for (Backend b : backends) {
      List<String> warm = new ArrayList<>();
      changes +=
          servers.carryOut(
              b.safe(), b.plan(), b.state(), b.stats(), rules.serverOptions(b.raw()), warm, late);
      warming.put(b.safe(), warm);
    }
    boolean written = file.writeChecked(specs);
    for (Backend b : backends) {
      int before = late.size();
      changes += settle(b, warming.get(b.safe()), late);
      if (late.size() != before) {
        settled.remove(b.safe());
      }
    }
    if (!late.isEmpty()) {
      throw new ApplyException(
          "runtime apply pending: "
              + late.size()
              + " server(s) not done yet (a new one that has not passed its health check stays"
              + " drained; the next apply continues): "
              + String.join(", ", late));
    }
    return changes > 0 || written
        ? new ApplyResult(
            ApplyResult.Outcome.APPLIED,
            changes + " runtime change(s)" + (written ? ", " + file.path() + " rewritten" : ""))
        : ApplyResult.UNCHANGED;
  }

  /** See {@link HaproxyRuntime#plan}. */
  synchronized List<String> plan(Map<String, Snapshot> memberships) {
    List<String> lines = new ArrayList<>();
    for (Map.Entry<String, List<ServerSpec>> e : specs(memberships).entrySet()) {
      String safe = TemplateRenderer.safeName(e.getKey());
      List<ServerSpec> specs = e.getValue();
      Backend b;
      try {
        b = backend(safe, e.getKey(), specs, true); // what HAProxy reports now
      } catch (NoSuchBackendException absent) {
        lines.add(
            safe
                + ": new to HAProxy: the file is written with its "
                + specs.size()
                + " server(s) and HAProxy reloaded once");
        continue;
      }
      PlanText.describe(safe, b.plan(), b.state(), b.stats(), specs.size(), lines);
    }
    return lines;
  }

  /** See {@link HaproxyRuntime#check}. */
  synchronized void check(Map<String, Snapshot> memberships) {
    file.check(specs(memberships));
  }

  /** See {@link HaproxyRuntime#bootstrap}. */
  synchronized void bootstrap(Map<String, Snapshot> memberships) {
    file.write(specs(memberships));
  }

  /** See {@link HaproxyRuntime#verify}. */
  synchronized int verify(String backend) {
    List<ServerSpec> specs = wanted.get(backend);
    if (specs == null) {
      throw new IllegalArgumentException("backend " + backend + " has not been applied yet");
    }
    int before = repairs;
    // Read afresh: drift may be in what the read-back does not compare (maxconn).
    settle(
        backend(TemplateRenderer.safeName(backend), backend, specs, true),
        List.of(),
        new ArrayList<>());
    return repairs - before;
  }

  /** See {@link HaproxyRuntime#reloadCount}. */
  synchronized int reloadCount() {
    return reloads;
  }

  /** See {@link HaproxyRuntime#repairCount}. */
  synchronized int repairCount() {
    return repairs;
  }

  /** The wanted servers per backend; fails naming a backend runtime mode cannot serve. */
  private Map<String, List<ServerSpec>> specs(Map<String, Snapshot> memberships) {
    Map<String, List<ServerSpec>> specs = new TreeMap<>();
    Map<String, String> safeNames = new TreeMap<>();
    for (Map.Entry<String, Snapshot> e : new TreeMap<>(memberships).entrySet()) {
      String raw = e.getKey();
      String earlier = safeNames.putIfAbsent(TemplateRenderer.safeName(raw), raw);
      if (earlier != null) {
        throw new ApplyException(
            "backends "
                + earlier
                + " and "
                + raw
                + " have the same HAProxy name "
                + TemplateRenderer.safeName(raw));
      }
      if (!accepted.contains(raw)) {
        List<HaproxyRuntime.Refusal> refused = rules.backendRefusals(raw);
        if (!refused.isEmpty()) {
          throw new ApplyException("runtime mode: " + refused.get(0));
        }
        accepted.add(raw);
      }
      specs.put(raw, rules.specs(raw, e.getValue()));
    }
    return specs;
  }

  /**
   * Every backend's view and plan; {@code null} after writing the file and reloading HAProxy once
   * when it lacks a backend (new to the configuration: only a new file can bring it).
   */
  private List<Backend> read(Map<String, List<ServerSpec>> specs) {
    List<Backend> backends = new ArrayList<>();
    List<String> missing = new ArrayList<>();
    for (Map.Entry<String, List<ServerSpec>> e : specs.entrySet()) {
      try {
        backends.add(backend(TemplateRenderer.safeName(e.getKey()), e.getKey(), e.getValue()));
      } catch (NoSuchBackendException absent) {
        missing.add(e.getKey());
      }
    }
    if (missing.isEmpty()) {
      return backends;
    }
    file.write(specs);
    settled.clear();
    reloader.reload();
    reloads++;
    log.info(
        "{}: new to HAProxy: written with their members, HAProxy reloaded once",
        String.join(", ", missing));
    return null;
  }

  /**
   * {@code backend}'s servers as the last settled apply left them, or as HAProxy reports them, and
   * the plan; see {@link #settled}.
   */
  private Backend backend(String safe, String raw, List<ServerSpec> specs) {
    return backend(safe, raw, specs, false);
  }

  /** As {@link #backend(String, String, List)}; {@code fresh} reads HAProxy whatever is known. */
  private Backend backend(String safe, String raw, List<ServerSpec> specs, boolean fresh) {
    View known = fresh ? null : settled.get(safe);
    Map<String, ServerState> state = known != null ? known.state() : api.serversState(safe);
    Map<String, ServerStat> stats = known != null ? known.stats() : api.stats(safe);
    DynamicPlan plan = DynamicPlan.of(state, stats, specs, rules.foreign(raw));
    return new Backend(safe, raw, specs, state, stats, plan);
  }

  /**
   * Reads {@code b}'s servers back once the plan ran: waits for new servers and those found in
   * maintenance (warmed up again, never forced UP) to pass their check, repairs what differs from
   * the specs (a server changed or deleted by hand) and hands over: a server no member wants whose
   * address a ready server now serves is drained and deleted.
   *
   * @return how many servers it repaired or handed over
   */
  private int settle(Backend b, List<String> warming, List<String> late) {
    Map<String, ServerState> state = api.serversState(b.safe());
    Set<String> waiting = new HashSet<>(warming);
    boolean check = ServerStates.hasCheck(rules.serverOptions(b.raw()));
    for (ServerSpec spec : b.specs()) {
      ServerState s = state.get(spec.name());
      if (s == null || waiting.contains(spec.name())) {
        continue;
      }
      if (s.maint()) {
        log.warn("{}: drift: {} was in maint; warmed up again", b.safe(), spec.name());
        servers.warm(b.safe(), spec.name(), check);
        repairs++;
        waiting.add(spec.name());
      } else if (!s.ready()) {
        waiting.add(spec.name()); // warming up since a warm-up timed out, or drained by hand
      }
    }
    servers.awaitReady(b.safe(), new ArrayList<>(waiting), late, state);
    if (b.plan().handover().isEmpty() && asSpecified(state, b)) {
      settled.put(b.safe(), settledView(state, b));
      return 0;
    }
    settled.remove(b.safe());
    Backend after = backend(b.safe(), b.raw(), b.specs(), true);
    DynamicPlan plan = after.plan();
    if (plan.isEmpty()) {
      return 0;
    }
    Set<String> notReady = new HashSet<>();
    after.state().values().stream()
        .filter(s -> !s.ready())
        .forEach(s -> notReady.add(s.address() + " " + s.port()));
    Set<String> wantedNames = new HashSet<>();
    b.specs().forEach(s -> wantedNames.add(s.name()));
    List<String> leaving = new ArrayList<>();
    int handedOver = 0;
    for (String name : plan.leaving()) {
      ServerState s = after.state().get(name);
      boolean successorWarming =
          !wantedNames.contains(name)
              && !s.maint()
              && notReady.contains(s.address() + " " + s.port());
      if (successorWarming) {
        late.add(b.safe() + "/" + name + " (kept until its successor is ready)");
      } else {
        leaving.add(name);
        if (b.plan().handover().contains(name)) {
          handedOver++;
        }
      }
    }
    DynamicPlan repair =
        new DynamicPlan(plan.updates(), leaving, plan.replaced(), plan.arriving(), List.of());
    if (repair.changedSpecs().size() + leaving.size() > handedOver) {
      log.warn("{}: drift: HAProxy's servers differ from the members; repairing", b.safe());
    }
    List<String> more = new ArrayList<>();
    int done =
        servers.carryOut(
            b.safe(),
            repair,
            after.state(),
            after.stats(),
            rules.serverOptions(b.raw()),
            more,
            late);
    servers.awaitReady(b.safe(), more, late, null);
    repairs += done - handedOver;
    return done;
  }

  /**
   * {@code b} once its servers are ready: as read, with the specified servers ready and their
   * backup flags and limits as specified (the plan read or knew them; HAProxy cannot change a
   * backup flag by hand).
   */
  private static View settledView(Map<String, ServerState> read, Backend b) {
    Map<String, ServerState> state = new java.util.HashMap<>(read);
    Map<String, ServerStat> stats = new java.util.HashMap<>(b.stats());
    for (ServerSpec spec : b.specs()) {
      ServerState s = read.get(spec.name());
      state.put(
          spec.name(),
          new ServerState(
              s.name(),
              s.id(),
              s.address(),
              s.port(),
              RuntimeApi.RUNNING,
              0,
              s.weight(),
              s.checkState(),
              RuntimeApi.CHECK_PASSED));
      stats.put(spec.name(), new ServerStat(0, spec.backup(), spec.maxconn()));
    }
    stats.keySet().retainAll(state.keySet());
    return new View(Map.copyOf(state), Map.copyOf(stats));
  }

  /**
   * Whether HAProxy holds exactly the specified servers (and the foreign ones) with their
   * addresses, ids and weights: then the read-back needs no second read. Backup flags and limits
   * are not in {@code show servers state}; the plan read them (or {@link #settled} knew them).
   */
  private boolean asSpecified(Map<String, ServerState> state, Backend b) {
    Set<String> foreign = rules.foreign(b.raw());
    int ours = 0;
    for (String name : state.keySet()) {
      if (!foreign.contains(name)) {
        ours++;
      }
    }
    if (ours != b.specs().size()) {
      return false;
    }
    for (ServerSpec spec : b.specs()) {
      ServerState s = state.get(spec.name());
      if (s == null
          || !s.address().equals(spec.member().address())
          || s.port() != spec.member().port()
          || s.id() != spec.id()
          || s.weight() != spec.weight()) {
        return false;
      }
    }
    return true;
  }

  @Override
  public String toString() {
    return "HAProxy runtime API, " + file.path();
  }
}
