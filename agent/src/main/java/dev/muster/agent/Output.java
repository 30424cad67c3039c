package dev.muster.agent;

import dev.muster.agent.AgentConfig.Reload;
import dev.muster.discovery.Command;
import dev.muster.discovery.ConfigPipeline;
import dev.muster.discovery.Drain;
import dev.muster.discovery.FileTarget;
import dev.muster.discovery.ProxyTemplateBuilder;
import dev.muster.discovery.Reloader;
import dev.muster.discovery.Sink;
import dev.muster.discovery.Validator;
import dev.muster.haproxy.Haproxy;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.IntSupplier;
import java.util.function.Supplier;

/**
 * One output of the agent: a proxy's file (or HAProxy's runtime API) fed by some backends. One
 * record per kind, each read by its own reader ({@link OutputReader} dispatches on the YAML {@code
 * type:}) and turned into a {@link Sink} by its proxy module's facade. Adding a kind: its record
 * here, its reader, and its case in {@link OutputReader}.
 */
sealed interface Output
    permits HaproxyOutput,
        HaproxyRuntimeOutput,
        NginxOutput,
        NginxDynamicOutput,
        RtpengineOutput,
        PermissionsOutput,
        DmqOutput,
        KamailioOutput,
        TemplateOutput {

  /** The output's name in the file. */
  String name();

  /** The file it writes. */
  Path file();

  /** The backends that feed it, in order. */
  List<String> backends();

  /** How its proxy takes a new file, or {@code null} for the kind's default. */
  Reload reload();

  /** What {@code muster check} says it is, e.g. {@code haproxy file mode}. */
  String kind();

  /** The files it reads and the sockets it talks to, by setting (none may be an output's file). */
  Map<String, Path> reads();

  /** Its sink, in {@code context}; drains wait as its proxy needs. */
  Sink sink(Context context);

  /** How many times its proxy was reloaded, for {@code muster_reloads_total}. */
  default IntSupplier reloads(Sink sink, ConfigPipeline pipeline) {
    return pipeline::appliedCount;
  }

  /**
   * Whether a drained member stays in this output's view (its sink's drain still runs): DMQ peers,
   * which the cluster keeps until the node is gone.
   */
  default boolean keepsDrainingMembers() {
    return false;
  }

  /** More for the plan line (after the reload), or empty. */
  default String details() {
    return "";
  }

  /**
   * What every sink is built in.
   *
   * @param zone the proxy's zone, or {@code null} when no backend of the output is zone-aware
   * @param floors the zone-aware backends of the output and their floors
   * @param allowEmpty the backends that may be empty
   * @param dryRun where a dry run's diffs go, or {@code null} to apply for real
   * @param clock the clock drains wait on
   * @param sleeper how drains pause between polls
   * @param self the agent's own instance id (IMDS, read on first use)
   * @param giveBackAfter how long a drained member stays out while EC2 still lists it
   */
  record Context(
      String zone,
      Map<String, Integer> floors,
      Set<String> allowEmpty,
      Consumer<String> dryRun,
      Clock clock,
      Drain.Sleeper sleeper,
      Supplier<String> self,
      Duration giveBackAfter) {

    /** {@code builder} with the proxy's zone and the zone-aware backends' floors, if any. */
    <B extends ProxyTemplateBuilder<B>> B zoned(B builder) {
      if (zone != null) {
        builder.zone(zone);
        floors.forEach(builder::zoneAware);
      }
      return builder;
    }

    /** The file target of {@code o}: checked by {@code validator}, reloaded by {@code reloader}. */
    FileTarget target(Output o, Validator validator, Reloader reloader) {
      FileTarget.Builder target =
          FileTarget.newBuilder(o.file()).validator(validator).reloader(reloader);
      if (dryRun != null) {
        target.dryRun(true).dryRunOutput(diff -> dryRun.accept("# " + o.name() + "\n" + diff));
      }
      return target.build();
    }

    /** {@code o}'s reload setting, else {@code fallback} (none: the proxy is not reloaded). */
    static Reloader reloader(Output o, Reloader fallback) {
      Reload reload = o.reload();
      if (reload == null) {
        return fallback != null ? fallback : Reloader.NONE;
      }
      if (reload.masterSocket() != null) {
        return Haproxy.reloader(reload.masterSocket());
      }
      return Command.reloader(reload.command().toArray(String[]::new));
    }
  }

  /** The master socket its reload talks to, or {@code null}. */
  default Path masterSocket() {
    return reload() == null ? null : reload().masterSocket();
  }

  /** The paths of {@code pairs} (setting, path; a {@code null} path is left out), in order. */
  static Map<String, Path> paths(Object... pairs) {
    Map<String, Path> out = new LinkedHashMap<>();
    for (int i = 0; i < pairs.length; i += 2) {
      if (pairs[i + 1] != null) {
        out.put((String) pairs[i], (Path) pairs[i + 1]);
      }
    }
    return out;
  }
}
