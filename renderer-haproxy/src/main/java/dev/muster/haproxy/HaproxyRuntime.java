package dev.muster.haproxy;

import dev.muster.discovery.ApplyException;
import dev.muster.discovery.ApplyResult;
import dev.muster.discovery.Drain;
import dev.muster.discovery.Reloader;
import dev.muster.discovery.Sink;
import dev.muster.discovery.Snapshot;
import dev.muster.discovery.Validator;
import dev.muster.haproxy.internal.RuntimeApi;
import dev.muster.haproxy.internal.SlotPlan;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;

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
 * <p>This class is the documented face and builder. The plan is pure ({@code internal.SlotPlan});
 * carrying it out is {@code RuntimeCore}, what it does to each server (drain, warm-up, read-back
 * and repair) {@code ServerStates}, and the file kept for restarts {@code KeptFile}.
 */
public final class HaproxyRuntime implements Sink {

  private final RuntimeCore core;

  private HaproxyRuntime(Builder b) {
    this.core = new RuntimeCore(b);
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
  public ApplyResult apply(Map<String, Snapshot> memberships) {
    return core.apply(memberships);
  }

  /**
   * Renders the file these memberships would lead to and runs the validator on it, changing
   * nothing: how the pipeline finds members HAProxy would refuse.
   */
  @Override
  public void check(Map<String, Snapshot> memberships) {
    core.check(memberships);
  }

  /**
   * Writes the configuration file for these first memberships without touching HAProxy, for
   * starting HAProxy the first time. {@link #apply} does this by itself when the file does not
   * exist.
   */
  public void bootstrap(Map<String, Snapshot> memberships) {
    core.bootstrap(memberships);
  }

  /**
   * Reads HAProxy's view of {@code backend} back and repairs drift: a member's slot with another
   * address, port or weight, a member left drained after a warm-up timeout whose check now passes,
   * or a free slot someone enabled by hand. {@link #apply} does this after every change.
   *
   * @return how many servers needed a repair
   */
  public int verify(String backend) {
    return core.verify(backend);
  }

  /** How many reloads slot growth needed so far. */
  public int reloadCount() {
    return core.reloadCount();
  }

  /** How many drifted servers {@link #verify} repaired so far. */
  public int repairCount() {
    return core.repairCount();
  }

  /** The slot count of {@code backend}, or 0 if it has not been applied yet. */
  public int slotCount(String backend) {
    return core.slotCount(backend);
  }

  @Override
  public String toString() {
    return core.toString();
  }

  /** Builds a {@link HaproxyRuntime}. Not thread-safe. */
  public static final class Builder {
    Path statsSocket;
    Path configFile;
    Reloader reloader;
    Validator validator = Haproxy.validator();
    HaproxyConfig.Builder config;
    int slots = 16;
    Duration drainTimeout = Duration.ofSeconds(30);
    Duration warmupTimeout = Duration.ofSeconds(30);
    Duration pollInterval = Duration.ofMillis(100);
    Clock clock = Clock.systemUTC();
    Drain.Sleeper sleeper = Drain.Sleeper.SYSTEM;
    RuntimeApi api;

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
    Builder time(Clock clock, Drain.Sleeper sleeper) {
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
