package dev.muster.haproxy;

import dev.muster.discovery.ApplyException;
import dev.muster.discovery.ApplyResult;
import dev.muster.discovery.Member;
import dev.muster.discovery.Reloader;
import dev.muster.discovery.Snapshot;
import dev.muster.discovery.TemplateRenderer;
import dev.muster.haproxy.internal.NoSuchBackendException;
import dev.muster.haproxy.internal.RuntimeApi;
import dev.muster.haproxy.internal.SlotPlan;
import dev.muster.haproxy.internal.Slots;
import dev.muster.haproxy.internal.StatsSocketApi;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What {@link HaproxyRuntime} runs: the slots of every backend, the plan carried out against
 * HAProxy through its runtime API (with {@link ServerStates}), and the file kept for restarts
 * ({@link KeptFile}). See {@link HaproxyRuntime} for the contract.
 */
final class RuntimeCore {
  private static final Logger log = LoggerFactory.getLogger("dev.muster.haproxy");

  private final RuntimeApi api;
  private final KeptFile file;
  private final Reloader reloader;

  private final int initialSlots;
  private final Duration warmupTimeout;

  /** Slots per HAProxy backend name (safe name). */
  private final Map<String, Slots> backends = new TreeMap<>();

  /** Raw backend name per safe name, for the renderer. */
  private final Map<String, String> rawNames = new TreeMap<>();

  private int reloads;

  /** Drains, warm-ups, read-back and repair of HAProxy's servers. */
  private final ServerStates servers;

  RuntimeCore(HaproxyRuntime.Builder b) {
    this.api = b.api != null ? b.api : new StatsSocketApi(b.statsSocket);
    this.file = new KeptFile(b.configFile, b.validator, b.config.buildSlotFile());
    this.reloader = b.reloader;
    this.initialSlots = b.slots;
    this.warmupTimeout = b.warmupTimeout;
    this.servers =
        new ServerStates(api, b.drainTimeout, b.warmupTimeout, b.clock, b.sleeper, b.pollInterval);
  }

  /** See {@link HaproxyRuntime#apply}. */
  synchronized ApplyResult apply(Map<String, Snapshot> memberships) {
    if (!Files.exists(file.path())) {
      bootstrap(memberships);
    }
    Map<String, SlotPlan> plans = new TreeMap<>();
    Map<String, Snapshot> added = new TreeMap<>();
    for (Map.Entry<String, Snapshot> e : new TreeMap<>(memberships).entrySet()) {
      String backend = register(e.getKey());
      Slots slots = backends.get(backend);
      if (!slots.learned()) {
        try {
          servers.learn(backend, slots, e.getValue());
        } catch (NoSuchBackendException missing) {
          added.put(backend, e.getValue());
          continue;
        }
      }
      plans.put(backend, SlotPlan.of(slots, e.getValue()));
    }
    if (!added.isEmpty()) {
      addBackends(added);
      added.forEach(
          (backend, snapshot) -> plans.put(backend, SlotPlan.of(backends.get(backend), snapshot)));
    }
    if (plans.values().stream().anyMatch(p -> !p.isEmpty())) {
      // HAProxy's checker sees the new server lines before any server changes, so a member it
      // would refuse fails here (rejected: the pipeline can leave it out), not half way.
      checkChanges(plans, memberships);
    }
    int changes = 0;
    for (Map.Entry<String, SlotPlan> e : plans.entrySet()) {
      changes += execute(e.getKey(), backends.get(e.getKey()), e.getValue());
    }
    boolean written = writeSlots();
    List<String> warming = new ArrayList<>();
    for (Map.Entry<String, Slots> e : backends.entrySet()) {
      try {
        changes += servers.verify(e.getKey(), e.getValue(), warming);
      } catch (NoSuchBackendException missing) {
        // HAProxy was reloaded with an older file: learn it afresh, which adds it back.
        e.getValue().learned(false);
        throw missing;
      }
    }
    if (!warming.isEmpty()) {
      throw new ApplyException(
          "runtime apply pending: "
              + warming.size()
              + " new member(s) "
              + "have not passed their health check within "
              + warmupTimeout.toMillis()
              + " ms and "
              + "stay drained: "
              + String.join(", ", warming));
    }
    return changes > 0 || written
        ? new ApplyResult(
            ApplyResult.Outcome.APPLIED,
            changes + " runtime change(s)" + (written ? ", " + file.path() + " rewritten" : ""))
        : ApplyResult.UNCHANGED;
  }

  /** See {@link HaproxyRuntime#check}. */
  synchronized void check(Map<String, Snapshot> memberships) {
    Map<String, List<Member>> after = new TreeMap<>();
    memberships.forEach(
        (name, snapshot) -> {
          Slots slots = backends.get(TemplateRenderer.safeName(name));
          Slots current = slots != null ? slots : new Slots(initialSlots);
          after.put(name, SlotPlan.of(current, snapshot).result(current).asList());
        });
    file.check(after);
  }

  /** See {@link HaproxyRuntime#bootstrap}. */
  synchronized void bootstrap(Map<String, Snapshot> memberships) {
    memberships.forEach(
        (name, snapshot) -> {
          Slots slots = backends.get(register(name));
          Slots after = SlotPlan.of(slots, snapshot).result(slots);
          backends.put(TemplateRenderer.safeName(name), after);
          after.learned(true);
        });
    writeFile();
  }

  /** See {@link HaproxyRuntime#verify}. */
  synchronized int verify(String backend) {
    String safe = TemplateRenderer.safeName(backend);
    Slots slots = backends.get(safe);
    if (slots == null) {
      throw new IllegalArgumentException("backend " + backend + " has not been applied yet");
    }
    return servers.verify(safe, slots, new ArrayList<>());
  }

  /** See {@link HaproxyRuntime#reloadCount}. */
  synchronized int reloadCount() {
    return reloads;
  }

  /** See {@link HaproxyRuntime#repairCount}. */
  synchronized int repairCount() {
    return servers.repairs();
  }

  /** See {@link HaproxyRuntime#slotCount}. */
  synchronized int slotCount(String backend) {
    Slots slots = backends.get(TemplateRenderer.safeName(backend));
    return slots == null ? 0 : slots.size();
  }

  private String register(String name) {
    String safe = TemplateRenderer.safeName(name);
    String earlier = rawNames.putIfAbsent(safe, name);
    if (earlier != null && !earlier.equals(name)) {
      throw new ApplyException(
          "backends " + earlier + " and " + name + " have the same " + "HAProxy name " + safe);
    }
    backends.computeIfAbsent(safe, k -> new Slots(initialSlots));
    return safe;
  }

  private int execute(String backend, Slots slots, SlotPlan plan) {
    plan.weights()
        .forEach(
            (i, m) -> {
              Member current = slots.member(i);
              if (current.weight() != m.weight()) {
                api.setServer(backend, Slots.name(i), "weight " + m.weight());
                log.info(
                    "{}: {} weight {} -> {}",
                    backend,
                    m.instanceId(),
                    current.weight(),
                    m.weight());
              }
              slots.assign(i, m);
            });
    servers.drain(backend, slots, plan.leaving());
    if (plan.growTo() > 0) {
      log.info(
          "{}: {} free slots for {} new members: growing to {} slots (one reload)",
          backend,
          slots.free(),
          plan.arriving().size(),
          plan.growTo());
      slots.grow(plan.growTo());
      writeFile();
      reloader.reload();
      reloads++;
    }
    for (Member m : plan.arriving()) {
      int i = slots.firstFree();
      // The slot is ours from here: a failure below leaves it for the read-back to finish.
      slots.assign(i, m);
      api.setServer(backend, Slots.name(i), "addr " + m.address() + " port " + m.port());
      api.setServer(backend, Slots.name(i), "weight " + m.weight());
      servers.warm(backend, Slots.name(i));
    }
    return plan.leaving().size() + plan.weights().size() + plan.arriving().size();
  }

  /**
   * Backends the running HAProxy does not have (a backend new to the configuration): they can only
   * come with a new file, so it is written with their members in slots and HAProxy is reloaded
   * once. If the reload fails they are learned again at the next apply, which tries again.
   */
  private void addBackends(Map<String, Snapshot> added) {
    added.forEach(
        (backend, snapshot) -> {
          Slots slots = backends.get(backend);
          Slots after = SlotPlan.of(slots, snapshot).result(slots);
          backends.put(backend, after);
        });
    writeFile();
    try {
      reloader.reload();
    } catch (RuntimeException e) {
      added.keySet().forEach(backend -> backends.get(backend).learned(false));
      throw e;
    }
    reloads++;
    added.forEach(
        (backend, snapshot) -> {
          backends.get(backend).learned(true);
          log.info(
              "{}: new to HAProxy: written with its {} member(s), HAProxy reloaded once",
              backend,
              snapshot.size());
        });
  }

  /**
   * Validates what this apply changes before any runtime command: the header and every backend
   * (with its options), holding only the server lines that the plans add or re-weight. At 10,000
   * servers HAProxy's checker needs about 2 s for the whole file; the lines that stay were
   * validated when they were written, and a slot's line depends only on its member, the server
   * options and the header (BENCHMARKS.md, apply cost). A plan that grows the slots validates the
   * whole file, as the reload that follows needs it anyway.
   */
  private void checkChanges(Map<String, SlotPlan> plans, Map<String, Snapshot> memberships) {
    if (plans.values().stream().anyMatch(p -> p.growTo() > 0)) {
      check(memberships);
      return;
    }
    Map<String, List<Member>> changed = new TreeMap<>();
    backends.forEach(
        (safe, slots) -> {
          SlotPlan plan = plans.get(safe);
          List<Member> lines = new ArrayList<>();
          if (plan != null) {
            lines.addAll(plan.arriving());
            lines.addAll(plan.weights().values());
          }
          changed.put(rawNames.get(safe), lines);
        });
    file.check(changed);
  }

  /** Writes the file for the current slots (validated, not reloaded); true if it changed. */
  private boolean writeFile() {
    return file.write(slots());
  }

  /** Writes the file after runtime commands whose lines {@link #checkChanges} checked. */
  private boolean writeSlots() {
    return file.writeChecked(slots());
  }

  private Map<String, List<Member>> slots() {
    Map<String, List<Member>> slots = new LinkedHashMap<>();
    backends.forEach((safe, s) -> slots.put(rawNames.get(safe), s.asList()));
    return slots;
  }

  @Override
  public String toString() {
    return "HAProxy runtime API, " + file.path();
  }
}
