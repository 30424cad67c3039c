package dev.muster.agent;

import dev.muster.discovery.ApplyResult;
import dev.muster.discovery.Discovery;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code muster}: every backend and proxy on a host from one YAML file: {@code run}, {@code check},
 * {@code once} and {@code render}. Status, metrics and shared walks come next.
 *
 * <p>Exit codes: 0 success (and after SIGTERM or SIGINT); 1 fetching from EC2 (or IMDS) failed; 2
 * bad usage or configuration; 3 rendering, validating or applying failed; 4 the guard refused a
 * view, nothing of that backend was applied.
 */
@Command(
    name = "muster",
    mixinStandardHelpOptions = true,
    versionProvider = Main.Version.class,
    description =
        "Keeps HAProxy, nginx and Kamailio in step with the EC2 instances that carry your tags.")
public final class Main implements Callable<Integer> {
  static final int OK = 0;
  static final int FETCH_FAILED = 1;
  static final int USAGE = 2;
  static final int APPLY_FAILED = 3;
  static final int HELD = 4;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  private Main() {}

  /** Runs the command and exits with its code. */
  public static void main(String[] args) {
    Logging.configure();
    System.exit(run(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
  }

  static int run(String[] args, PrintWriter out, PrintWriter err) {
    CommandLine cli = commandLine(args);
    cli.setOut(out);
    cli.setErr(err);
    cli.setExitCodeExceptionMapper(e -> USAGE);
    cli.setParameterExceptionHandler(new UsageErrors());
    // As most command lines do: an option given twice takes the last value.
    cli.setOverwrittenOptionsAllowed(true);
    return cli.execute(args);
  }

  /** The command line for {@code args} (see {@link Subcommands#commandLine}). */
  static CommandLine commandLine(String[] args) {
    return Subcommands.commandLine(new Main(), args);
  }

  @Override
  public Integer call() {
    spec.commandLine().usage(spec.commandLine().getErr());
    return USAGE;
  }

  /** Reads {@code file}; on problems prints each and returns {@code null}. */
  static AgentConfig read(Path file, PrintWriter err) {
    return read(() -> ConfigReader.read(file), err);
  }

  /** Reads the configuration {@code source} gives; on problems prints each and returns null. */
  static AgentConfig read(dev.muster.agent.Run.Source source, PrintWriter err) {
    try {
      return source.read();
    } catch (ConfigException e) {
      e.problems().forEach(p -> err.println("muster: " + p));
      err.flush();
      return null;
    }
  }

  /** The {@code --config FILE} option every command takes. */
  static final class ConfigFile {
    @Option(
        names = {"-c", "--config"},
        required = true,
        paramLabel = "FILE",
        description = "the configuration file, e.g. /etc/muster/muster.yaml")
    Path path;
  }

  /**
   * Builds the assembly; if a builder refuses a setting (a template that does not parse, say),
   * prints why, naming the file, and returns {@code null}.
   */
  static Assembly assemble(
      AgentConfig config, java.util.function.Supplier<Assembly> build, PrintWriter err) {
    try {
      return build.get();
    } catch (RuntimeException e) {
      err.println("muster: " + config.file() + ": " + e.getMessage());
      err.flush();
      return null;
    }
  }

  /**
   * One guarded pass of every backend of {@code assembly}, reporting each failed or held one.
   *
   * @return {@link #FETCH_FAILED} or {@link #HELD} for the first backend that was, else OK
   */
  static int passOnce(Assembly assembly, PrintWriter err, boolean acceptHeld) {
    int code = OK;
    for (var loop : assembly.loops.entrySet()) {
      Discovery discovery = loop.getValue();
      if (acceptHeld) {
        discovery.acceptHeld();
      }
      switch (discovery.runOnce()) {
        case FAILED -> {
          err.println(
              "muster: backend "
                  + loop.getKey()
                  + ": fetching from EC2 failed: "
                  + discovery.status().lastError());
          code = code == OK ? FETCH_FAILED : code;
        }
        case HELD -> {
          err.println(
              "muster: backend "
                  + loop.getKey()
                  + ": nothing applied: "
                  + discovery.status().held());
          code = code == OK ? HELD : code;
        }
        case PUBLISHED -> {}
      }
    }
    return code;
  }

  /** {@code once}: one guarded pass of every backend, then every output; the exit code. */
  static int once(AgentConfig agent, PrintWriter err, boolean acceptHeld) {
    return pass(
        agent,
        err,
        null,
        acceptHeld,
        (assembly, code) -> {
          for (var pipeline : assembly.pipelines.entrySet()) {
            RuntimeException failure = pipeline.getValue().lastFailure();
            if (failure != null) {
              err.println("muster: output " + pipeline.getKey() + ": " + failure.getMessage());
              code = code == OK ? APPLY_FAILED : code;
            }
          }
          return code;
        });
  }

  /** {@code render}: one guarded pass, printing what each output would change; the exit code. */
  static int render(AgentConfig agent, PrintWriter out, PrintWriter err) {
    int code =
        pass(
            agent,
            err,
            out::print,
            false,
            (assembly, passed) -> {
              assembly.pipelines.forEach(
                  (name, pipeline) -> {
                    if (pipeline.lastResult() != null
                        && pipeline.lastResult().outcome() == ApplyResult.Outcome.UNCHANGED) {
                      out.println("# " + name + ": unchanged");
                    }
                  });
              return passed;
            });
    out.flush();
    return code;
  }

  /**
   * The region, the assembly (a dry run handing its text to {@code dryRun}, unless null), one
   * guarded pass of every backend, then {@code after} with the pass's exit code.
   */
  private static int pass(
      AgentConfig agent,
      PrintWriter err,
      java.util.function.Consumer<String> dryRun,
      boolean acceptHeld,
      java.util.function.ToIntBiFunction<Assembly, Integer> after) {
    String region = Regions.resolve(agent, err);
    if (region == null) {
      return FETCH_FAILED;
    }
    Assembly built = assemble(agent, () -> Assembly.of(agent, region, dryRun), err);
    if (built == null) {
      return USAGE;
    }
    try (Assembly assembly = built) {
      int code = after.applyAsInt(assembly, passOnce(assembly, err, acceptHeld));
      err.flush();
      return code;
    }
  }

  /** The version from the jar's manifest, or "development" when run from classes. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String v = Main.class.getPackage().getImplementationVersion();
      return new String[] {"muster " + (v == null ? "development" : v)};
    }
  }
}
