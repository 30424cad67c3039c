package dev.muster.haproxy;

import dev.muster.discovery.ApplyException;
import dev.muster.discovery.FileTarget;
import dev.muster.discovery.Member;
import dev.muster.discovery.MembershipListener;
import dev.muster.discovery.Reloader;
import dev.muster.discovery.Snapshot;
import dev.muster.discovery.Validator;
import dev.muster.discovery.TemplateRenderer;
import dev.muster.haproxy.internal.RuntimeApi;
import dev.muster.haproxy.internal.RuntimeApi.ServerState;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runtime-API mode (hitless): HAProxy keeps running while membership changes become runtime
 * commands on its stats socket, so nothing reloads in the common case.
 *
 * <p>Each backend has slots {@code srv1..srvN} in the configuration file: members in
 * enabled slots, free slots {@code disabled}. On every publication:
 * <ol>
 *   <li><b>Removed</b> members are set to {@code drain} (no new sessions), then to
 *       {@code maint} once their current and queued sessions reach zero, or after the drain
 *       timeout. The instance must stay alive until then: in-flight requests to it complete.
 *   <li><b>Added</b> members get a free slot: {@code set server ... addr A port P}, their
 *       weight, then {@code drain}, so health checks run while no traffic flows. Once the
 *       check passes they are set {@code ready}. One that never passes within the warm-up
 *       timeout stays drained (never forced UP, as {@code ready} would) and is retried at the
 *       next publication or {@link #verify}.
 *   <li><b>Changed</b> weights are set in place; a changed address or port drains the old
 *       slot and warms a new one.
 *   <li>When free slots run out, the file is rewritten with twice as many and HAProxy is
 *       reloaded once (the only reload), then the additions proceed.
 *   <li>The file is rewritten to match (validated, not reloaded), so a restart comes up with
 *       the current members; then HAProxy's view is read back and any drift (a server
 *       edited by hand) is repaired and logged.
 * </ol>
 *
 * <p>Requires {@code stats socket PATH level admin} in the header. Publications are handled
 * one at a time; drains and warm-ups wait on the calling discovery thread (bounded by their
 * timeouts). Thread-safe.
 */
public final class HaproxyRuntime {
  private static final Logger log = LoggerFactory.getLogger("dev.muster.haproxy");
  private static final String FREE_ADDRESS = "127.0.0.1:1";

  private final RuntimeApi api;
  private final FileTarget file;
  private final Reloader reloader;
  private final String header;
  private final String serverOptions;
  private final Map<String, String> backendOptions;
  private final int initialSlots;
  private final Duration drainTimeout;
  private final Duration warmupTimeout;
  private final Duration pollInterval;
  private final ReentrantLock lock = new ReentrantLock();
  private final Map<String, Slots> backends = new LinkedHashMap<>();
  private int reloads;
  private int repairs;

  private HaproxyRuntime(Builder b) {
    this.api = new RuntimeApi(b.statsSocket);
    this.file = FileTarget.newBuilder(b.configFile).validator(b.validator).build();
    this.reloader = b.reloader;
    this.header = b.header;
    this.serverOptions = b.serverOptions;
    this.backendOptions = Map.copyOf(b.backendOptions);
    this.initialSlots = b.slots;
    this.drainTimeout = b.drainTimeout;
    this.warmupTimeout = b.warmupTimeout;
    this.pollInterval = b.pollInterval;
  }

  /** A new builder; stats socket, configuration file and reloader are required. */
  public static Builder newBuilder() {
    return new Builder();
  }

  /** The listener for backend {@code name}; register every backend before starting. */
  public MembershipListener backend(String name) {
    Objects.requireNonNull(name, "name");
    String safe = TemplateRenderer.safeName(name);
    lock.lock();
    try {
      if (backends.containsKey(safe)) {
        throw new IllegalArgumentException("backend " + name + " is registered twice");
      }
      backends.put(safe, new Slots(initialSlots));
    } finally {
      lock.unlock();
    }
    return new MembershipListener() {
      @Override
      public void onChange(Snapshot snapshot, dev.muster.discovery.Changes changes) {
        apply(safe, snapshot);
      }

      @Override
      public String toString() {
        return "HAProxy runtime API " + safe;
      }
    };
  }

  /**
   * Writes the configuration file for these first memberships without touching HAProxy,
   * for starting HAProxy the first time. Backends must be registered.
   */
  public void bootstrap(Map<String, Snapshot> memberships) {
    lock.lock();
    try {
      memberships.forEach((name, snapshot) -> {
        Slots slots = slots(TemplateRenderer.safeName(name));
        for (Member m : snapshot.members()) {
          if (slots.indexOf(m.instanceId()) < 0) {
            if (slots.free() == 0) {
              slots.grow(Math.max(slots.size() * 2, snapshot.size()));
            }
            slots.assign(slots.firstFree(), m);
          }
        }
        slots.learned = true;
      });
      writeFile();
    } finally {
      lock.unlock();
    }
  }

  /**
   * Reads HAProxy's view of {@code backend} back and repairs drift: a member's slot with
   * another address, port or weight, a member left drained after a warm-up timeout whose
   * check now passes, or a free slot someone enabled by hand.
   *
   * @return how many servers needed a repair
   */
  public int verify(String backend) {
    lock.lock();
    try {
      return verify(TemplateRenderer.safeName(backend), slots(TemplateRenderer.safeName(backend)));
    } finally {
      lock.unlock();
    }
  }

  /** How many reloads slot growth needed so far. */
  public int reloadCount() {
    lock.lock();
    try {
      return reloads;
    } finally {
      lock.unlock();
    }
  }

  /** How many drifted servers {@link #verify} repaired so far. */
  public int repairCount() {
    lock.lock();
    try {
      return repairs;
    } finally {
      lock.unlock();
    }
  }

  /** The slot count of {@code backend}. */
  public int slotCount(String backend) {
    lock.lock();
    try {
      return slots(TemplateRenderer.safeName(backend)).size();
    } finally {
      lock.unlock();
    }
  }

  private void apply(String backend, Snapshot snapshot) {
    lock.lock();
    try {
      Slots slots = slots(backend);
      if (!slots.learned) {
        learn(backend, slots, snapshot);
      }
      Map<String, Member> desired = new LinkedHashMap<>();
      snapshot.members().forEach(m -> desired.put(m.instanceId(), m));

      List<Integer> leaving = new ArrayList<>();
      for (int i = 0; i < slots.size(); i++) {
        Member current = slots.member(i);
        if (current == null) {
          continue;
        }
        Member wanted = desired.get(current.instanceId());
        if (wanted == null || !wanted.address().equals(current.address())
            || wanted.port() != current.port()) {
          leaving.add(i);
        } else {
          if (wanted.weight() != current.weight()) {
            api.setServer(backend, slotName(i), "weight " + wanted.weight());
            log.info("{}: {} weight {} -> {}", backend, wanted.instanceId(), current.weight(),
                wanted.weight());
          }
          slots.assign(i, wanted);
          desired.remove(current.instanceId());
        }
      }
      drain(backend, slots, leaving);

      List<Member> arriving = new ArrayList<>(desired.values());
      if (arriving.size() > slots.free()) {
        int size = Math.max(slots.size() * 2, slots.used() + arriving.size());
        log.info("{}: {} free slots for {} new members: growing to {} slots (one reload)",
            backend, slots.free(), arriving.size(), size);
        slots.grow(size);
        writeFile();
        reloader.reload();
        reloads++;
      }
      warmUp(backend, slots, arriving);
      writeFile();
      verify(backend, slots);
    } finally {
      lock.unlock();
    }
  }

  private void drain(String backend, Slots slots, List<Integer> leaving) {
    if (leaving.isEmpty()) {
      return;
    }
    for (int i : leaving) {
      api.setServer(backend, slotName(i), "state drain");
    }
    long deadline = System.nanoTime() + drainTimeout.toNanos();
    Set<Integer> busy = new HashSet<>(leaving);
    while (!busy.isEmpty() && System.nanoTime() < deadline) {
      Map<String, Long> sessions = api.sessions(backend);
      busy.removeIf(i -> sessions.getOrDefault(slotName(i), 0L) == 0);
      if (!busy.isEmpty()) {
        pause();
      }
    }
    for (int i : leaving) {
      Member m = slots.member(i);
      api.setServer(backend, slotName(i), "state maint");
      if (busy.contains(i)) {
        log.warn("{}: - {} {} drain timed out after {} ms with sessions open; set to maint",
            backend, m.instanceId(), m.hostPort(), drainTimeout.toMillis());
      } else {
        log.info("{}: - {} {} drained ({})", backend, m.instanceId(), m.hostPort(),
            slotName(i));
      }
      slots.release(i);
    }
  }

  private void warmUp(String backend, Slots slots, List<Member> arriving) {
    if (arriving.isEmpty()) {
      return;
    }
    List<Integer> warming = new ArrayList<>();
    for (Member m : arriving) {
      int i = slots.firstFree();
      String server = slotName(i);
      api.setServer(backend, server, "addr " + m.address() + " port " + m.port());
      api.setServer(backend, server, "weight " + m.weight());
      api.setServer(backend, server, "state drain");
      // Leaving maintenance shows a never-checked slot as UP at once; forcing its health down
      // (only where a check exists, or it would stay down) makes "running" mean that a check
      // against the new address passed.
      if (api.serversState(backend).get(server).hasCheck()) {
        api.setServer(backend, server, "health down");
      }
      slots.assign(i, m);
      warming.add(i);
    }
    long deadline = System.nanoTime() + warmupTimeout.toNanos();
    while (!warming.isEmpty() && System.nanoTime() < deadline) {
      Map<String, ServerState> state = api.serversState(backend);
      for (var it = warming.iterator(); it.hasNext(); ) {
        int i = it.next();
        ServerState s = state.get(slotName(i));
        if (s != null && s.healthy()) {
          api.setServer(backend, slotName(i), "state ready");
          Member m = slots.member(i);
          log.info("{}: + {} {} ready ({})", backend, m.instanceId(), m.hostPort(),
              slotName(i));
          it.remove();
        }
      }
      if (!warming.isEmpty()) {
        pause();
      }
    }
    for (int i : warming) {
      Member m = slots.member(i);
      log.warn("{}: {} {} has not passed its health check after {} ms; it stays drained "
          + "and is retried later", backend, m.instanceId(), m.hostPort(),
          warmupTimeout.toMillis());
    }
  }

  private int verify(String backend, Slots slots) {
    Map<String, ServerState> state = api.serversState(backend);
    int repaired = 0;
    for (int i = 0; i < slots.size(); i++) {
      String server = slotName(i);
      ServerState s = state.get(server);
      if (s == null) {
        throw new ApplyException("HAProxy has no server " + backend + "/" + server
            + "; is the running configuration the one Muster wrote?");
      }
      Member m = slots.member(i);
      if (m == null) {
        if (!s.maint()) {
          api.setServer(backend, server, "state maint");
          log.warn("{}: drift: free slot {} was enabled ({}:{}); set back to maint", backend,
              server, s.address(), s.port());
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
        // Put in maintenance by hand: warm it up again rather than forcing it UP.
        api.setServer(backend, server, "state drain");
        drift.add("maint");
      } else if (!s.ready() && s.healthy()) {
        // A warm-up that timed out earlier, or a drain by hand, and the check passes now.
        api.setServer(backend, server, "state ready");
        log.info("{}: + {} {} ready ({}), its health check passes now", backend,
            m.instanceId(), m.hostPort(), server);
      }
      if (!drift.isEmpty()) {
        log.warn("{}: drift: {} ({}) had {}; repaired to {} weight {}", backend, server,
            m.instanceId(), String.join(", ", drift), m.hostPort(), m.weight());
        repaired++;
      }
    }
    repairs += repaired;
    return repaired;
  }

  /** Maps what HAProxy serves to members, when Muster starts against a running HAProxy. */
  private void learn(String backend, Slots slots, Snapshot snapshot) {
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
    slots.learned = true;
  }

  private void writeFile() {
    StringBuilder out = new StringBuilder(header);
    if (!header.isEmpty() && !header.endsWith("\n")) {
      out.append('\n');
    }
    backends.forEach((name, slots) -> {
      out.append("\nbackend ").append(name).append('\n');
      String options = backendOptions.get(name);
      if (options != null) {
        out.append(options).append(options.endsWith("\n") ? "" : "\n");
      }
      for (int i = 0; i < slots.size(); i++) {
        Member m = slots.member(i);
        out.append("    server ").append(slotName(i)).append(' ');
        if (m == null) {
          out.append(FREE_ADDRESS).append(" disabled");
        } else {
          out.append(m.hostPort()).append(" weight ").append(m.weight());
        }
        if (!serverOptions.isEmpty()) {
          out.append(' ').append(serverOptions);
        }
        out.append('\n');
      }
    });
    file.apply(out.toString());
  }

  private Slots slots(String backend) {
    Slots slots = backends.get(backend);
    if (slots == null) {
      throw new IllegalArgumentException("backend " + backend + " is not registered");
    }
    return slots;
  }

  private void pause() {
    try {
      Thread.sleep(pollInterval.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ApplyException("interrupted", e);
    }
  }

  private static String slotName(int index) {
    return "srv" + (index + 1);
  }

  /** Which member holds which slot. */
  private static final class Slots {
    private Member[] members;
    boolean learned;

    Slots(int size) {
      members = new Member[size];
    }

    int size() {
      return members.length;
    }

    Member member(int i) {
      return members[i];
    }

    void assign(int i, Member m) {
      members[i] = m;
    }

    void release(int i) {
      members[i] = null;
    }

    int indexOf(String instanceId) {
      for (int i = 0; i < members.length; i++) {
        if (members[i] != null && members[i].instanceId().equals(instanceId)) {
          return i;
        }
      }
      return -1;
    }

    int firstFree() {
      for (int i = 0; i < members.length; i++) {
        if (members[i] == null) {
          return i;
        }
      }
      throw new IllegalStateException("no free slot");
    }

    int free() {
      int free = 0;
      for (Member m : members) {
        if (m == null) {
          free++;
        }
      }
      return free;
    }

    int used() {
      return members.length - free();
    }

    void grow(int size) {
      members = java.util.Arrays.copyOf(members, size);
    }
  }

  /** Builds a {@link HaproxyRuntime}. Not thread-safe. */
  public static final class Builder {
    private Path statsSocket;
    private Path configFile;
    private Reloader reloader;
    private Validator validator = HaproxyConfig.validator();
    private String header = "";
    private String serverOptions = HaproxyConfig.DEFAULT_SERVER_OPTIONS;
    private final Map<String, String> backendOptions = new HashMap<>();
    private int slots = 16;
    private Duration drainTimeout = Duration.ofSeconds(30);
    private Duration warmupTimeout = Duration.ofSeconds(30);
    private Duration pollInterval = Duration.ofMillis(100);

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

    /** The text before the backends; must contain the admin-level stats socket. Trusted. */
    public Builder headerText(String text) {
      this.header = Objects.requireNonNull(text, "header");
      return this;
    }

    /** Options after every server line; include {@code check} for warm-up. Trusted. */
    public Builder serverOptions(String options) {
      if (Objects.requireNonNull(options, "serverOptions").contains("\n")) {
        throw new IllegalArgumentException("serverOptions must be one line: " + options);
      }
      this.serverOptions = options;
      return this;
    }

    /** Lines at the top of one backend, e.g. {@code option httpchk GET /health}. Trusted. */
    public Builder backendOptions(String backend, String lines) {
      backendOptions.put(TemplateRenderer.safeName(backend), Objects.requireNonNull(lines));
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

    /**
     * Builds it.
     *
     * @throws IllegalStateException naming a missing setting
     */
    public HaproxyRuntime build() {
      if (statsSocket == null) {
        throw new IllegalStateException("statsSocket is not set");
      }
      if (configFile == null) {
        throw new IllegalStateException("configFile is not set");
      }
      if (reloader == null) {
        throw new IllegalStateException("reloader is not set: slots grow by a reload, e.g. "
            + "new MasterCliReloader(masterSocket)");
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
