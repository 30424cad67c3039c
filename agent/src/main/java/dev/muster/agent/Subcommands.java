package dev.muster.agent;

import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** The agent's subcommands: which the command line holds, and check, once, run and render. */
final class Subcommands {
  private Subcommands() {}

  /** The subcommands, in the order help lists them. */
  static final List<String> NAMES =
      List.of(
          "run",
          "check",
          "once",
          "render",
          "haproxy",
          "nginx",
          "kamailio",
          "demo",
          "completion",
          "train");

  /**
   * The command line for {@code args}: when they start with a subcommand's name, with that
   * subcommand alone, since picocli reads every subcommand's annotations as it adds it; else (help,
   * a version, an unknown word) and for {@code completion}, whose script covers every command, with
   * all of them.
   */
  static CommandLine commandLine(Object root, String[] args) {
    CommandLine cli = new CommandLine(root);
    boolean one = args.length > 0 && NAMES.contains(args[0]) && !args[0].equals("completion");
    List<String> wanted = one ? List.of(args[0]) : NAMES;
    for (String name : wanted) {
      cli.addSubcommand(name, subcommand(name));
    }
    return cli;
  }

  private static Object subcommand(String name) {
    return switch (name) {
      case "run" -> new Run();
      case "check" -> new Check();
      case "once" -> new Once();
      case "render" -> new Render();
      case "haproxy" -> new Shorthand.Haproxy();
      case "nginx" -> new Shorthand.Nginx();
      case "kamailio" -> new Shorthand.Kamailio();
      case "demo" -> new Demo();
      case "completion" -> new Completion();
      case "train" -> new Train();
      default -> throw new IllegalArgumentException("no subcommand " + name);
    };
  }

  /** {@code muster check --config FILE}: reads the file strictly and prints the plan. */
  @Command(
      name = "check",
      mixinStandardHelpOptions = true,
      versionProvider = Main.Version.class,
      description = "Check the configuration file and every file it names; print the plan.")
  static final class Check implements Callable<Integer> {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Mixin Main.ConfigFile file;

    @Override
    public Integer call() {
      PrintWriter out = spec.commandLine().getOut();
      PrintWriter err = spec.commandLine().getErr();
      AgentConfig agent = Main.read(file.path, err);
      if (agent == null) {
        return Main.USAGE;
      }
      // Build every output as a dry run, so that templates are parsed and every setting the
      // renderers and proxies' builders check is checked; nothing is fetched or written.
      String region = agent.aws().region() == null ? "us-east-1" : agent.aws().region();
      Assembly built = Main.assemble(agent, () -> Assembly.of(agent, region, text -> {}), err);
      if (built == null) {
        return Main.USAGE;
      }
      built.close();
      out.print(Plan.of(agent));
      out.flush();
      return Main.OK;
    }
  }

  /**
   * {@code muster once --config FILE}: one guarded pass of every backend (the state directory is
   * the guard's baseline, as for the loop), then every output that all its backends fed.
   */
  @Command(
      name = "once",
      mixinStandardHelpOptions = true,
      versionProvider = Main.Version.class,
      description = "Fetch every backend once, guarded, and apply every output; then exit.")
  static final class Once implements Callable<Integer> {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Mixin Main.ConfigFile file;

    @Option(
        names = "--accept-held",
        description = "apply a mass removal the guard would hold (never below min_members)")
    boolean acceptHeld;

    @Override
    public Integer call() {
      PrintWriter err = spec.commandLine().getErr();
      AgentConfig agent = Main.read(file.path, err);
      return agent == null ? Main.USAGE : Main.once(agent, err, acceptHeld);
    }
  }

  /** {@code muster run --config FILE}: the loops until SIGTERM; SIGHUP re-reads the file. */
  @Command(
      name = "run",
      mixinStandardHelpOptions = true,
      versionProvider = Main.Version.class,
      description = "Keep every output in step until SIGTERM; SIGHUP re-reads the file.")
  static final class Run implements Callable<Integer> {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Mixin Main.ConfigFile file;

    @Override
    public Integer call() {
      return new dev.muster.agent.Run(file.path, spec.commandLine().getErr()).run();
    }
  }

  /**
   * {@code muster render --config FILE}: fetch every backend once (guarded) and print the diff each
   * file output would apply; touches nothing.
   */
  @Command(
      name = "render",
      mixinStandardHelpOptions = true,
      versionProvider = Main.Version.class,
      description = "Print what each output would change (a unified diff); touch nothing.")
  static final class Render implements Callable<Integer> {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Mixin Main.ConfigFile file;

    @Override
    public Integer call() {
      PrintWriter err = spec.commandLine().getErr();
      AgentConfig agent = Main.read(file.path, err);
      return agent == null ? Main.USAGE : Main.render(agent, spec.commandLine().getOut(), err);
    }
  }
}
