package dev.muster.agent;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The one-line forms, {@code muster haproxy|nginx|kamailio --tag ... --out ...}: shorthands for a
 * configuration with one backend and one output. The options become that configuration's YAML,
 * which the same strict reader checks, so every rule and default is the file's; a problem is
 * reported with the option that set it. {@code --once} and {@code --dry-run} run {@code once} and
 * {@code render}; otherwise the loop runs until SIGTERM.
 */
final class Shorthand {
  private Shorthand() {}

  /** The options every proxy takes. */
  abstract static class Common implements Callable<Integer> {
    @Option(names = "--region", paramLabel = "REGION", description = "AWS region, e.g. us-east-1")
    String region;

    @Option(names = "--endpoint", paramLabel = "URL", description = "EC2 endpoint URL")
    String endpoint;

    @Option(
        names = "--tag",
        paramLabel = "KEY[=VALUE[,VALUE]]",
        description = "a tag that must match (VALUE may use * and ?); KEY alone: any value")
    List<String> tags = new ArrayList<>();

    @Option(names = "--asg", paramLabel = "NAME", description = "Auto Scaling group name")
    String asg;

    @Option(names = "--port", paramLabel = "PORT", required = true, description = "backend port")
    String port;

    @Option(
        names = "--address",
        paramLabel = "FROM",
        description = "private-ip (default), public-ip, private-dns, ipv6 or tag:NAME")
    String address;

    @Option(
        names = "--address-tag-host-names",
        description = "let tag:NAME hold a host name, not only an IP address")
    boolean addressHostNames;

    @Option(names = "--name", paramLabel = "NAME", description = "backend name (default: web)")
    String name = "web";

    @Option(names = "--interval", paramLabel = "DURATION", description = "e.g. 15s (default)")
    String interval;

    @Option(names = "--wait-min", paramLabel = "DURATION", description = "quiet time to publish")
    String waitMin;

    @Option(names = "--min-members", paramLabel = "N", description = "never fewer (default 1)")
    String minMembers;

    @Option(names = "--allow-empty", description = "allow an empty membership, once confirmed")
    boolean allowEmpty;

    @Option(names = "--hold-min", paramLabel = "DURATION", description = "hold a mass removal")
    String holdMin;

    @Option(
        names = "--state-file",
        paramLabel = "FILE",
        description = "the last good membership; its name must be NAME.state")
    Path stateFile;

    @Option(names = "--exclude-self", description = "leave this instance out (reads IMDS)")
    boolean excludeSelf;

    @Option(names = "--out", paramLabel = "FILE", required = true, description = "file to write")
    Path outFile;

    @Option(names = "--template", paramLabel = "FILE", description = "a whole-file template")
    Path template;

    @Option(names = "--once", description = "one guarded pass, then exit (see exit codes)")
    boolean once;

    @Option(names = "--accept-held", description = "with --once: apply a held mass removal")
    boolean acceptHeld;

    @Option(names = "--dry-run", description = "print the diff; touch nothing")
    boolean dryRun;

    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    /** The YAML lines, each with the option it came from. */
    final ShorthandYaml yaml = new ShorthandYaml();

    /** The output's settings for this proxy. */
    void output() {}

    @Override
    public Integer call() {
      PrintWriter out = spec.commandLine().getOut();
      PrintWriter err = spec.commandLine().getErr();
      if (stateFile != null && !stateFile.getFileName().toString().equals(name + ".state")) {
        err.println(
            "muster: --state-file "
                + stateFile
                + ": must be named "
                + name
                + ".state (the state directory holds one NAME.state per backend)");
        return Main.USAGE;
      }
      String type = spec.name();
      yaml.line(0, "aws:", null);
      yaml.value(1, "region", region, "--region");
      yaml.value(1, "endpoint", endpoint, "--endpoint");
      yaml.line(0, "discovery:", null);
      yaml.value(1, "interval", interval, "--interval");
      yaml.line(1, "wait:", null);
      yaml.value(2, "min", waitMin, "--wait-min");
      yaml.line(1, "guard:", null);
      yaml.number(2, "min_members", minMembers, "--min-members");
      yaml.flag(2, "allow_empty", allowEmpty, "--allow-empty");
      yaml.value(2, "hold_min", holdMin, "--hold-min");
      if (stateFile != null) {
        Path dir = stateFile.toAbsolutePath().getParent();
        yaml.value(1, "state_dir", dir.toString(), "--state-file");
      }
      yaml.line(0, "backends:", null);
      yaml.line(1, ShorthandYaml.quote(name) + ":", "--name");
      Map<String, List<String>> tagValues = new LinkedHashMap<>();
      List<String> tagKeys = new ArrayList<>();
      for (String tag : tags) {
        int eq = tag.indexOf('=');
        if (eq < 0) {
          tagKeys.add(tag);
        } else {
          tagValues
              .computeIfAbsent(tag.substring(0, eq), k -> new ArrayList<>())
              .addAll(List.of(tag.substring(eq + 1).split(",", -1)));
        }
      }
      if (!tagValues.isEmpty()) {
        yaml.line(2, "tags:", "--tag");
        tagValues.forEach((k, v) -> yaml.list(3, ShorthandYaml.quote(k), v, "--tag " + k));
      }
      if (!tagKeys.isEmpty()) {
        yaml.list(2, "tag_keys", tagKeys, "--tag");
      }
      yaml.value(2, "asg", asg, "--asg");
      yaml.number(2, "port", port, "--port");
      yaml.value(2, "address", address, "--address");
      yaml.flag(2, "address_host_names", addressHostNames, "--address-tag-host-names");
      yaml.flag(2, "exclude_self", excludeSelf, "--exclude-self");
      yaml.line(0, "outputs:", null);
      yaml.line(1, type + ":", null);
      yaml.line(2, "type: " + type, null);
      yaml.value(2, "file", outFile.toString(), "--out");
      yaml.value(2, "template", template == null ? null : template.toString(), "--template");
      yaml.list(2, "backends", List.of(name), "--name");
      output();
      AgentConfig config;
      try {
        config = ConfigReader.read(Path.of("").toAbsolutePath().resolve("muster"), yaml.text());
      } catch (ConfigException e) {
        e.problems().forEach(p -> err.println("muster: " + yaml.explain(p)));
        err.flush();
        return Main.USAGE;
      }
      if (dryRun) {
        return Main.render(config, out, err);
      }
      if (once) {
        return Main.once(config, err, acceptHeld);
      }
      return new Run(() -> config, "the command line", err).run();
    }
  }

  /** {@code muster haproxy ...}: one backend into haproxy.cfg (file mode). */
  @Command(
      name = "haproxy",
      mixinStandardHelpOptions = true,
      versionProvider = Main.Version.class,
      description = "Shorthand: one backend into haproxy.cfg, checked with haproxy -c.")
  static final class Haproxy extends Common {
    @Option(names = "--header", paramLabel = "FILE", description = "global/defaults/frontends")
    Path header;

    @Option(names = "--server-options", paramLabel = "TEXT", description = "after each server")
    String serverOptions;

    @Option(names = "--master-socket", paramLabel = "SOCKET", description = "reload through it")
    Path masterSocket;

    @Option(
        names = "--reload-cmd",
        paramLabel = "COMMAND",
        description = "reload with this command (words split at spaces)")
    String reloadCommand;

    @Override
    void output() {
      yaml.value(2, "header", header == null ? null : header.toString(), "--header");
      yaml.value(2, "server_options", serverOptions, "--server-options");
      reload(yaml, masterSocket, reloadCommand);
    }
  }

  /** {@code muster nginx ...}: one upstream into an include file. */
  @Command(
      name = "nginx",
      mixinStandardHelpOptions = true,
      versionProvider = Main.Version.class,
      description = "Shorthand: one upstream into a file your nginx.conf includes.")
  static final class Nginx extends Common {
    @Option(
        names = "--main-config",
        paramLabel = "FILE",
        required = true,
        description = "the nginx.conf that includes --out")
    Path mainConfig;

    @Option(
        names = "--reload-cmd",
        paramLabel = "COMMAND",
        description = "reload with this command instead of nginx -s reload")
    String reloadCommand;

    @Override
    void output() {
      yaml.value(2, "main_config", mainConfig.toString(), "--main-config");
      reload(yaml, null, reloadCommand);
    }
  }

  /** {@code muster kamailio ...}: one dispatcher set. */
  @Command(
      name = "kamailio",
      mixinStandardHelpOptions = true,
      versionProvider = Main.Version.class,
      description = "Shorthand: one dispatcher set into dispatcher.list, reloaded over JSON-RPC.")
  static final class Kamailio extends Common {
    @Option(names = "--rpc", paramLabel = "URL", required = true, description = "JSON-RPC URL")
    String rpc;

    @Option(names = "--set-id", paramLabel = "N", description = "dispatcher set id (default 1)")
    String setId;

    @Option(names = "--max-entries", paramLabel = "N", description = "longest list (5000)")
    String maxEntries;

    @Override
    void output() {
      yaml.value(2, "rpc", rpc, "--rpc");
      if (setId != null) {
        yaml.line(2, "sets:", null);
        yaml.number(3, ShorthandYaml.quote(name), setId, "--set-id");
      }
      yaml.number(2, "max_entries", maxEntries, "--max-entries");
    }
  }

  private static void reload(ShorthandYaml yaml, Path masterSocket, String command) {
    if (masterSocket == null && command == null) {
      return;
    }
    yaml.line(2, "reload:", masterSocket != null ? "--master-socket" : "--reload-cmd");
    yaml.value(3, "master_socket", masterSocket == null ? null : masterSocket.toString(), null);
    if (command != null) {
      yaml.list(3, "command", List.of(command.strip().split("\\s+")), "--reload-cmd");
    }
  }
}
