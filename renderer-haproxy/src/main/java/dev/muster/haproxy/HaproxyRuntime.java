package dev.muster.haproxy;

import dev.muster.discovery.ApplyException;
import dev.muster.discovery.ApplyResult;
import dev.muster.discovery.FileTarget;
import dev.muster.discovery.Member;
import dev.muster.discovery.Reloader;
import dev.muster.discovery.Sink;
import dev.muster.discovery.Snapshot;
import dev.muster.discovery.TemplateRenderer;
import dev.muster.discovery.Validator;
import dev.muster.haproxy.internal.NoSuchBackendException;
import dev.muster.haproxy.internal.RuntimeApi;
import dev.muster.haproxy.internal.SlotPlan;
import dev.muster.haproxy.internal.Slots;
import dev.muster.haproxy.internal.StatsSocketApi;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runtime-API mode (hitless), a {@link Sink}: HAProxy keeps running while membership changes become
 * runtime commands on its stats socket, so nothing reloads in the common case.
 *
 * <pre>{@code
 * HaproxyRuntime runtime = HaproxyRuntime.newBuilder()
 *     .statsSocket(Path.of("/run/haproxy/admin.sock"))
 *     .configFile(Path.of("/etc/haproxy/haproxy.cfg"))
 *     .reloader(Haproxy.reloader(Path.of("/run/haproxy-master.sock")))
 *     .config(Haproxy.renderer().headerText(header))
 *     .build();
 * ConfigPipeline pipeline = ConfigPipeline.newBuilder().sink(runtime).build();
 * Discovery web = Discovery.newBuilder().source(source).listener(pipeline.backend("web")).build();
 * }</pre>
 *
 * <p>Each backend has slots {@code srv1..srvN} in the configuration file: members in enabled slots,
 * free slots {@code disabled}. The file is rendered by the same renderer as config-file mode
 * ({@link HaproxyConfig}: header, backend options, per-backend server options, {@code
 * muster:maxconn}), with slot names. On every {@link #apply}, per backend ({@link SlotPlan}
 * decides, this class carries it out):
 *
 * <ol>
 *   <li><b>Changed</b> weights are set in place; a changed address or port drains the old slot and
 *       warms a new one.
 *   <li><b>Removed</b> members are set to {@code drain} (no new sessions), then to {@code maint}
 *       once their current and queued sessions reach zero, or after the drain timeout. The instance
 *       must stay alive until then: in-flight requests to it complete.
 *   <li>When free slots run out, the file is rewritten with twice as many and HAProxy is reloaded
 *       once (the only reload).
 *   <li><b>Added</b> members get a free slot: {@code set server ... addr A port P}, their weight,
 *       then {@code drain}, so health checks run while no traffic flows. Once the check passes they
 *       are set {@code ready}.
 *   <li>The file is rewritten to match (not reloaded), so a restart comes up with the current
 *       members; before any runtime command, HAProxy's checker has seen the header and every
 *       backend with the server lines this apply adds or changes (the whole file when slots grow);
 *       then HAProxy's view is read back and any drift (a server edited by hand) is repaired and
 *       logged.
 * </ol>
 *
 * <p><b>Level-triggered.</b> Any failure (HAProxy restarting, a socket that does not answer)
 * throws, and the pipeline calls {@code apply} again: the plan is made afresh from the slots and
 * the read-back repairs what the failure left half done. A new member that has not passed its
 * health check within the warm-up timeout stays drained (never forced UP) and the apply reports it
 * as pending, so the pipeline keeps checking until it passes. If the configuration file does not
 * exist yet, the first apply writes it first, so HAProxy can start with it.
 *
 * <p>Requires {@code stats socket PATH level admin} in the header. Waits use the injected clock.
 * Thread-safe; the pipeline serialises calls.
 *
 * <p>The plan is pure ({@code internal.SlotPlan}); what runtime mode does to each server (drain,
 * warm-up, read-back and repair) is {@link ServerStates}.
 */
public final class HaproxyRuntime implements Sink {
  private static final Logger log = LoggerFactory.getLogger("dev.muster.haproxy");

  /** Pauses between polls of HAProxy; tests pass one that moves a fake clock. */
  interface Sleeper {
    void sleep(Duration duration) throws InterruptedException;
  }

  private final RuntimeApi api;
  private final FileTarget file;
  private final Reloader reloader;

  /** The same file, written without the checker: only after {@link #checkChanges}. */
  private final FileTarget slotFile;

  private final SlotFileRenderer renderer;
  private final int initialSlots;
  private final Duration warmupTimeout;

  /** Slots per HAProxy backend name (safe name). */
  private final Map<String, Slots> backends = new TreeMap<>();

  /** Raw backend name per safe name, for the renderer. */
  private final Map<String, String> rawNames = new TreeMap<>();

  private int reloads;

  /** Drains, warm-ups, read-back and repair of HAProxy's servers. */
  private final ServerStates servers;

  private HaproxyRuntime(Builder b) {
    this.api = b.api != null ? b.api : new StatsSocketApi(b.statsSocket);
    this.file = FileTarget.newBuilder(b.configFile).validator(b.validator).build();
    this.slotFile = FileTarget.newBuilder(b.configFile).build();
    this.reloader = b.reloader;
    this.renderer = b.config.buildSlotFile();
    this.initialSlots = b.slots;
    this.warmupTimeout = b.warmupTimeout;
    this.servers =
        new ServerStates(api, b.drainTimeout, b.warmupTimeout, b.clock, b.sleeper, b.pollInterval);
  }

  /** A new builder; stats socket, configuration file and reloader are required. */
  public static Builder newBuilder() {
    return new Builder();
  }

  /**
   * Brings HAProxy's servers to {@code memberships}, as described above.
   *
   * @return {@code APPLIED} if any server or the file changed, {@code UNCHANGED} otherwise
   * @throws ApplyException if HAProxy cannot be reached or refuses a command, or a new member has
   *     not passed its health check yet; the next call continues from there
   */
  @Override
  public synchronized ApplyResult apply(Map<String, Snapshot> memberships) {
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

  /**
   * Renders the file these memberships would lead to and runs the validator on it, changing
   * nothing: how the pipeline finds members HAProxy would refuse.
   */
  @Override
  public synchronized void check(Map<String, Snapshot> memberships) {
    Map<String, List<Member>> after = new TreeMap<>();
    memberships.forEach(
        (name, snapshot) -> {
          Slots slots = backends.get(TemplateRenderer.safeName(name));
          Slots current = slots != null ? slots : new Slots(initialSlots);
          after.put(name, SlotPlan.of(current, snapshot).result(current).asList());
        });
    file.check(renderer.renderSlots(after));
  }

  /**
   * Writes the configuration file for these first memberships without touching HAProxy, for
   * starting HAProxy the first time. {@link #apply} does this by itself when the file does not
   * exist.
   */
  public synchronized void bootstrap(Map<String, Snapshot> memberships) {
    memberships.forEach(
        (name, snapshot) -> {
          Slots slots = backends.get(register(name));
          Slots after = SlotPlan.of(slots, snapshot).result(slots);
          backends.put(TemplateRenderer.safeName(name), after);
          after.learned(true);
        });
    writeFile();
  }

  /**
   * Reads HAProxy's view of {@code backend} back and repairs drift: a member's slot with another
   * address, port or weight, a member left drained after a warm-up timeout whose check now passes,
   * or a free slot someone enabled by hand. {@link #apply} does this after every change.
   *
   * @return how many servers needed a repair
   */
  public synchronized int verify(String backend) {
    String safe = TemplateRenderer.safeName(backend);
    Slots slots = backends.get(safe);
    if (slots == null) {
      throw new IllegalArgumentException("backend " + backend + " has not been applied yet");
    }
    return servers.verify(safe, slots, new ArrayList<>());
  }

  /** How many reloads slot growth needed so far. */
  public synchronized int reloadCount() {
    return reloads;
  }

  /** How many drifted servers {@link #verify} repaired so far. */
  public synchronized int repairCount() {
    return servers.repairs();
  }

  /** The slot count of {@code backend}, or 0 if it has not been applied yet. */
  public synchronized int slotCount(String backend) {
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
    file.check(renderer.renderSlots(changed));
  }

  /** Writes the file for the current slots (validated, not reloaded); true if it changed. */
  private boolean writeFile() {
    return file.apply(renderSlots()).outcome() == ApplyResult.Outcome.APPLIED;
  }

  /**
   * Writes the file for the current slots after runtime commands, without running the checker
   * again: every line in it was validated, the changed ones by {@link #checkChanges} just before.
   */
  private boolean writeSlots() {
    return slotFile.apply(renderSlots()).outcome() == ApplyResult.Outcome.APPLIED;
  }

  private String renderSlots() {
    Map<String, List<Member>> slots = new LinkedHashMap<>();
    backends.forEach((safe, s) -> slots.put(rawNames.get(safe), s.asList()));
    return renderer.renderSlots(slots);
  }

  @Override
  public String toString() {
    return "HAProxy runtime API, " + file.path();
  }

  /** Builds a {@link HaproxyRuntime}. Not thread-safe. */
  public static final class Builder {
    private Path statsSocket;
    private Path configFile;
    private Reloader reloader;
    private Validator validator = Haproxy.validator();
    private HaproxyConfig.Builder config;
    private int slots = 16;
    private Duration drainTimeout = Duration.ofSeconds(30);
    private Duration warmupTimeout = Duration.ofSeconds(30);
    private Duration pollInterval = Duration.ofMillis(100);
    private Clock clock = Clock.systemUTC();
    private Sleeper sleeper = d -> Thread.sleep(d.toMillis());
    private RuntimeApi api;

    private Builder() {}

    /** The stats socket path ({@code stats socket PATH level admin}). Required. */
    public Builder statsSocket(Path path) {
      this.statsSocket = Objects.requireNonNull(path, "statsSocket");
      return this;
    }

    /** The configuration file HAProxy runs from, kept in step. Required. */
    public Builder configFile(Path path) {
      this.configFile = Objects.requireNonNull(path, "configFile");
      return this;
    }

    /** Reloads HAProxy when slots must grow, e.g. a {@link MasterCliReloader}. Required. */
    public Builder reloader(Reloader reloader) {
      this.reloader = Objects.requireNonNull(reloader, "reloader");
      return this;
    }

    /** Checks each file before it is written; {@code haproxy -c} unless set. */
    public Builder validator(Validator validator) {
      this.validator = Objects.requireNonNull(validator, "validator");
      return this;
    }

    /**
     * The file's settings, as for config-file mode: the header (which must contain {@code stats
     * socket PATH level admin}), backend options and server options (include {@code check} for
     * warm-up). A whole-file template is not supported here. Required.
     */
    public Builder config(HaproxyConfig.Builder config) {
      this.config = Objects.requireNonNull(config, "config");
      return this;
    }

    /** Slots per backend at first, 1 to 10,000; 16 unless set. They double when full. */
    public Builder slots(int slots) {
      if (slots < 1 || slots > 10_000) {
        throw new IllegalArgumentException("slots must be 1 to 10000: " + slots);
      }
      this.slots = slots;
      return this;
    }

    /** The longest a removed member drains before it is set to maint; 30 s unless set. */
    public Builder drainTimeout(Duration timeout) {
      this.drainTimeout = positive("drainTimeout", timeout);
      return this;
    }

    /** The longest a new member waits for its health check; 30 s unless set. */
    public Builder warmupTimeout(Duration timeout) {
      this.warmupTimeout = positive("warmupTimeout", timeout);
      return this;
    }

    /** How often drains and warm-ups poll HAProxy; 100 ms unless set. */
    public Builder pollInterval(Duration interval) {
      this.pollInterval = positive("pollInterval", interval);
      return this;
    }

    /** For tests: the runtime API instead of the stats socket. */
    Builder api(RuntimeApi api) {
      this.api = Objects.requireNonNull(api, "api");
      return this;
    }

    /** For tests: the clock and the pause that drains and warm-ups wait with. */
    Builder time(Clock clock, Sleeper sleeper) {
      this.clock = Objects.requireNonNull(clock, "clock");
      this.sleeper = Objects.requireNonNull(sleeper, "sleeper");
      return this;
    }

    /**
     * Builds it.
     *
     * @throws IllegalStateException naming a missing setting
     */
    public HaproxyRuntime build() {
      if (statsSocket == null && api == null) {
        throw new IllegalStateException("statsSocket is not set");
      }
      if (configFile == null) {
        throw new IllegalStateException("configFile is not set");
      }
      if (reloader == null) {
        throw new IllegalStateException(
            "reloader is not set: slots grow by a reload, e.g. "
                + "Haproxy.reloader(masterSocket)");
      }
      return new HaproxyRuntime(this);
    }

    private static Duration positive(String setting, Duration value) {
      Objects.requireNonNull(value, setting);
      if (value.isNegative() || value.isZero()) {
        throw new IllegalArgumentException(setting + " must be positive: " + value);
      }
      return value;
    }
  }
}
