package dev.muster.agent;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code muster}: every backend and proxy on a host from one YAML file. This build has {@code
 * check}; {@code run}, {@code once} and {@code render} follow (the sidecar in {@code examples}
 * still serves one backend per process).
 *
 * <p>Exit codes: 0 success; 2 bad usage or configuration.
 */
@Command(
    name = "muster",
    mixinStandardHelpOptions = true,
    versionProvider = Main.Version.class,
    subcommands = {Main.Check.class},
    description =
        "Keeps HAProxy, nginx and Kamailio in step with the EC2 instances that carry your tags.")
public final class Main implements Callable<Integer> {
  static final int OK = 0;
  static final int USAGE = 2;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  private Main() {}

  /** Runs the command and exits with its code. */
  public static void main(String[] args) {
    System.exit(run(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
  }

  static int run(String[] args, PrintWriter out, PrintWriter err) {
    CommandLine cli = new CommandLine(new Main());
    cli.setOut(out);
    cli.setErr(err);
    cli.setExitCodeExceptionMapper(e -> USAGE);
    return cli.execute(args);
  }

  @Override
  public Integer call() {
    spec.commandLine().usage(spec.commandLine().getErr());
    return USAGE;
  }

  /** The version from the jar's manifest, or "development" when run from classes. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String v = Main.class.getPackage().getImplementationVersion();
      return new String[] {"muster " + (v == null ? "development" : v)};
    }
  }

  /** {@code muster check --config FILE}: reads the file strictly and prints the plan. */
  @Command(
      name = "check",
      mixinStandardHelpOptions = true,
      versionProvider = Main.Version.class,
      description = "Check the configuration file and every file it names; print the plan.")
  static final class Check implements Callable<Integer> {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Option(
        names = {"-c", "--config"},
        required = true,
        paramLabel = "FILE",
        description = "the configuration file, e.g. /etc/muster/muster.yaml")
    Path config;

    @Override
    public Integer call() {
      PrintWriter out = spec.commandLine().getOut();
      PrintWriter err = spec.commandLine().getErr();
      try {
        out.print(Plan.of(ConfigReader.read(config)));
        out.flush();
        return OK;
      } catch (ConfigException e) {
        e.problems().forEach(p -> err.println("muster: " + p));
        err.flush();
        return USAGE;
      }
    }
  }
}
