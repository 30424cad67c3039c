package dev.muster.haproxy;

import dev.muster.discovery.ApplyException;
import dev.muster.discovery.ApplyResult;
import dev.muster.discovery.Drain;
import dev.muster.discovery.Reloader;
import dev.muster.discovery.Sink;
import dev.muster.discovery.Snapshot;
import dev.muster.discovery.Validator;
import dev.muster.haproxy.internal.RuntimeApi;
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
 * <p><b>Identity.</b> Every server is named after its member's instance id and has an {@code id}
 * computed from the instance id alone, as config-file mode writes it: every proxy host gives a
 * member the same name and id whatever order it saw the fleet change in, so hosts that balance by a
 * consistent hash send a key to the same server, and a change moves only the keys of the member
 * that changed. The file is the one config-file mode writes for the same members ({@link
 * HaproxyConfig}: header, backend options, per-backend server options, {@code muster:maxconn},
 * zone-aware backups).
 *
 * <p>On every {@link #apply}, per backend, a plan is made from what differs between the members and
 * HAProxy's servers ({@code DynamicPlan} decides, this class carries it out). HAProxy's servers are
 * those the last apply left and read back, or, at the first apply and after any failure, what
 * HAProxy reports ({@code show servers state}, {@code show stat}):
 *
 * <ol>
 *   <li><b>Changed</b> weights and {@code maxconn} are set in place.
 *   <li><b>Removed</b> members are set to {@code drain} (no new sessions), then to {@code maint}
 *       once their current and queued sessions reach zero, or after the drain timeout, and deleted
 *       ({@code del server}). The instance must stay alive until then: in-flight requests to it
 *       complete.
 *   <li>A member whose {@code id} or {@code backup} flag must change (a zone-aware backend whose
 *       zone went below its floor, or came back) is swapped, one server at a time: drained, deleted
 *       and added again, ready at once if it was healthy.
 *   <li><b>Added</b> members get {@code add server} with their id, weight, {@code maxconn}, {@code
 *       backup} and the server options (plus {@code pool-max-conn -1 pool-purge-delay 5s} unless
 *       the options set them: a server added at runtime gets no connection reuse otherwise), then
 *       {@code enable health} and {@code drain}, so health checks run while no traffic flows. Once
 *       the check passes they are set {@code ready}.
 *   <li>A server of the older slot-based runtime mode ({@code srvN}) that serves a member's address
 *       is drained and deleted once that member's own server is ready: upgrading costs no request
 *       and no reload.
 *   <li>The file is rewritten to match (not reloaded), so a reload or restart comes up with the
 *       same servers and the next apply changes nothing; before any runtime command, HAProxy's
 *       checker has seen the header and every backend with the server lines this apply adds or
 *       changes. Then HAProxy's view is read back and any drift (a server edited by hand) is
 *       repaired and logged.
 * </ol>
 *
 * <p><b>What HAProxy 2.6 allows.</b> A backend must balance with a dynamic algorithm: not {@code
 * static-rr}, and a hash ({@code uri}, {@code source}, {@code hdr(...)}, ...) only with {@code
 * hash-type consistent}; server options only with keywords {@code add server} accepts; no {@code
 * default-server} (servers added at runtime ignore it). {@link Builder#build} refuses such settings
 * by name, and an apply refuses a backend whose algorithm comes from the header's {@code defaults}.
 * Servers declared in a backend's own options ({@code server}, {@code server-template}) are left
 * alone. A backend new to the file needs one reload.
 *
 * <p><b>Level-triggered.</b> Any failure (HAProxy restarting, a socket that does not answer, a
 * server changed by hand so that a command fails) throws, and the pipeline calls {@code apply}
 * again: the plan is made afresh from what HAProxy reports. A new member that has not passed its
 * health check within the warm-up timeout stays drained (never forced UP) and the apply reports it
 * as pending, so the pipeline keeps checking until it passes. If the configuration file does not
 * exist yet, the first apply writes it first, so HAProxy can start with it.
 *
 * <p>Requires {@code stats socket PATH level admin} in the header. Waits use the injected clock.
 * Thread-safe; the pipeline serialises calls.
 *
 * <p>This class is the documented face and builder. The plan is pure ({@code internal.DynamicPlan},
 * from {@code internal.ServerSpec}); carrying it out is {@code RuntimeCore}, what it does to each
 * server (drain and delete, add and warm up, swap) {@code ServerStates}, and the file kept for
 * restarts {@code KeptFile}.
 */
public final class HaproxyRuntime implements Sink {

  private final RuntimeCore core;

  private HaproxyRuntime(Builder b) {
    this.core = new RuntimeCore(b);
  }

  /**
   * A setting HAProxy 2.6 does not allow for servers added at runtime.
   *
   * @param setting {@code header}, {@code serverOptions} or {@code backendOptions}
   * @param backend the backend the setting is for, or {@code null} for all of them
   * @param reason why, and what to do instead
   */
  public record Refusal(String setting, String backend, String reason) {
    @Override
    public String toString() {
      return (backend == null ? setting : setting + " of " + backend) + ": " + reason;
    }
  }

  /**
   * What in {@code config} runtime mode would refuse, for a configuration check before anything
   * runs: the header, the server options, and the algorithm and options of every backend with
   * options of its own or named in {@code backends} (a backend without options balances as the
   * header's {@code defaults} say). Empty if runtime mode can serve them all.
   */
  public static java.util.List<Refusal> refusals(
      HaproxyConfig.Builder config, java.util.Collection<String> backends) {
    return config.buildRuntimeFile().refusals(backends);
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
   * What {@link #apply} would do to HAProxy for these memberships, one line per server, read from
   * HAProxy's runtime API without changing anything: for {@code muster render}. A line starts with
   * the backend, then {@code +} (added), {@code -} (drained and deleted), {@code ~} (changed in
   * place or swapped); the last line of a backend counts the servers that stay.
   *
   * @throws ApplyException if HAProxy cannot be reached
   */
  public java.util.List<String> plan(Map<String, Snapshot> memberships) {
    return core.plan(memberships);
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
   * Reads HAProxy's view of {@code backend} back and repairs drift: a member's server with another
   * address, port, weight or {@code maxconn}, one deleted or put in maintenance by hand, one left
   * drained after a warm-up timeout whose check now passes, or a server no member wants. {@link
   * #apply} does this after every change.
   *
   * @return how many servers needed a repair
   */
  public int verify(String backend) {
    return core.verify(backend);
  }

  /** How many reloads backends new to the file needed so far. */
  public int reloadCount() {
    return core.reloadCount();
  }

  /** How many drifted servers {@link #verify} repaired so far. */
  public int repairCount() {
    return core.repairCount();
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

    /**
     * Reloads HAProxy when a backend new to the file must be added, e.g. a {@link
     * MasterCliReloader}. Required.
     */
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
     * @throws IllegalStateException naming a missing setting, or a setting HAProxy 2.6 does not
     *     allow for servers added at runtime (see above)
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
            "reloader is not set: a backend new to the file comes with a reload, e.g. "
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
