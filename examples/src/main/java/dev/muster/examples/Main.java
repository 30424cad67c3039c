package dev.muster.examples;

import java.io.PrintStream;
import java.util.Arrays;
import java.util.List;

/**
 * {@code java -jar muster.jar COMMAND [OPTIONS]}: keep HAProxy, nginx or Kamailio in step with EC2
 * instances found by their tags, or run the demo on a simulated fleet.
 *
 * <p>Exit codes: 0 success (or stopped by SIGTERM/SIGINT); 1 fetching from EC2 (or IMDS) failed; 2
 * bad usage or configuration; 3 rendering, validating or applying the configuration failed; 4 the
 * guard refused the view (too few members, or a mass removal), nothing applied.
 */
public final class Main {
  static final int OK = 0;
  static final int FETCH_FAILED = 1;
  static final int USAGE = 2;
  static final int APPLY_FAILED = 3;
  static final int HELD = 4;

  private Main() {}

  /** Runs the command and exits with its code. */
  public static void main(String[] args) {
    System.exit(run(List.of(args), System.out, System.err));
  }

  /** Runs the command and returns its exit code. */
  static int run(List<String> args, PrintStream out, PrintStream err) {
    if (args.isEmpty() || args.get(0).equals("--help") || args.get(0).equals("help")) {
      help(out);
      return args.isEmpty() ? USAGE : OK;
    }
    String command = args.get(0);
    List<String> rest = args.subList(1, args.size());
    try {
      Options options = Options.parse(command, rest);
      if (options.has("help")) {
        help(out, command);
        return OK;
      }
      return switch (command) {
        case "haproxy", "nginx", "kamailio" -> new Sidecar(command, options, out, err).run();
        case "demo" -> new Demo(options, out).run();
        default -> throw new Options.UsageException("unknown command '" + command + "'");
      };
    } catch (Options.UsageException e) {
      err.println("muster: " + e.getMessage());
      err.println(
          "Run 'muster "
              + (Arrays.asList("haproxy", "nginx", "kamailio", "demo").contains(command)
                  ? command + " "
                  : "")
              + "--help' for the options.");
      return USAGE;
    }
  }

  static void help(PrintStream out) {
    out.println(
        """
        Usage: java -jar muster.jar COMMAND [OPTIONS]

        Keeps a proxy's backends in step with the EC2 instances that carry your tags.

        Commands:
          haproxy    render haproxy.cfg, check it with haproxy -c, reload HAProxy
          nginx      render an upstream include file, check it with nginx -t, reload nginx
          kamailio   render dispatcher.list, check every line, reload over JSON-RPC
          demo       play a simulated Auto Scaling group on a fake EC2 (no AWS account)

        Run 'java -jar muster.jar COMMAND --help' for a command's options.
        Credentials come from the AWS SDK default chain (environment, profile, instance role);
        the only permission needed is ec2:DescribeInstances.

        Exit codes: 0 success; 1 fetching from EC2 failed; 2 bad usage or configuration;
                    3 rendering, validating or applying the configuration failed;
                    4 the guard refused the view (too few members, mass removal).""");
  }

  static void help(PrintStream out, String command) {
    out.println("Usage: java -jar muster.jar " + command + " [OPTIONS]\n");
    if (!command.equals("demo")) {
      out.println("Options for every proxy:");
      Options.COMMON.forEach(s -> print(out, s));
      out.println();
    }
    out.println("Options for " + command + ":");
    Options.SPECIFIC.getOrDefault(command, List.of()).forEach(s -> print(out, s));
    if (command.equals("demo")) {
      print(out, new Options.Spec("help", false, "show this help"));
    } else {
      out.println(
          "\nExample:\n  "
              + switch (command) {
                case "haproxy" ->
                    "java -jar muster.jar haproxy --region us-east-1 --tag role=web "
                        + "--port 8080 \\\n      --header /etc/muster/header.cfg --out /etc/haproxy/haproxy.cfg "
                        + "\\\n      --master-socket /run/haproxy-master.sock";
                case "nginx" ->
                    "java -jar muster.jar nginx --region us-east-1 --tag role=web "
                        + "--port 8080 \\\n      --out /etc/nginx/muster/upstreams.conf --main-config "
                        + "/etc/nginx/nginx.conf";
                default ->
                    "java -jar muster.jar kamailio --region us-east-1 --tag role=acd "
                        + "--port 5060 \\\n      --out /etc/kamailio/dispatcher.list --rpc "
                        + "http://127.0.0.1:5071/RPC";
              });
    }
    out.println(
        "\nExit codes: 0 success; 1 fetching from EC2 failed; 2 bad usage or "
            + "configuration;\n            3 rendering, validating or applying the configuration "
            + "failed;\n            4 the guard refused the view (too few members, mass removal).");
  }

  private static void print(PrintStream out, Options.Spec spec) {
    String left = "  --" + spec.name() + (spec.takesValue() ? " VALUE" : "");
    out.printf("%-26s %s%n", left, spec.help());
  }
}
