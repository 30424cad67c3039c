package dev.muster.agent;

import dev.muster.testkit.FakeInstance;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code muster demo}: the agent against the test kit's AWS stand-ins and whichever of HAProxy,
 * nginx and Kamailio are installed, all on loopback, no AWS account needed. It writes a real
 * muster.yaml, runs the agent with its status listener, and plays a scale-out, a scale-in through
 * an Auto Scaling lifecycle hook (drained before it is terminated) and a hostile tag, printing what
 * to look at. Everything it starts stops at the end, after {@code --duration} to look around.
 */
@Command(
    name = "demo",
    description =
        "Plays an Auto Scaling group on local stand-ins of EC2, Auto Scaling and SQS in front of"
            + " the installed proxies (loopback only; no AWS account needed).")
final class Demo implements Callable<Integer> {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Option(
      names = "--dir",
      paramLabel = "DIR",
      description = "where the demo writes its files (default: a new folder in /tmp)")
  Path dir;

  @Option(
      names = "--duration",
      paramLabel = "SECONDS",
      defaultValue = "60",
      description = "how long everything stays up after the script to look around (default 60)")
  int duration;

  private PrintWriter out;
  private DemoAgent agent;

  @Override
  public Integer call() throws Exception {
    out = spec.commandLine().getOut();
    if (duration < 0 || duration > 3600) {
      spec.commandLine().getErr().println("muster: --duration must be 0 to 3600 seconds");
      return Main.USAGE;
    }
    dir = dir != null ? dir.toAbsolutePath() : Files.createTempDirectory("muster-demo-");
    Files.createDirectories(dir);
    // nginx's workers run as another user when it starts as root, and read Muster's files here.
    try {
      Files.setPosixFilePermissions(
          dir, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
    } catch (UnsupportedOperationException e) {
      // not a POSIX file system
    }
    // The stand-ins take any credentials; the real ones never leave this process. No IMDS.
    System.setProperty("aws.accessKeyId", "AKIDMUSTERDEMO");
    System.setProperty("aws.secretAccessKey", "muster-demo-secret");
    System.setProperty("aws.disableEc2Metadata", "true");
    System.setProperty("org.slf4j.simpleLogger.logFile", dir.resolve("muster.log").toString());
    try (DemoStage stage = new DemoStage(dir)) {
      return play(stage);
    }
  }

  private int play(DemoStage stage) throws Exception {
    List<String> proxies = new ArrayList<>();
    for (String proxy : List.of("haproxy", "nginx", "kamailio")) {
      if (DemoStage.installed(proxy)) {
        proxies.add(proxy);
      }
    }
    say("Muster demo in " + dir + " (the agent's log: muster.log)");
    say(
        "Proxies found: "
            + (proxies.isEmpty() ? "none (install haproxy, nginx or kamailio)" : proxies)
            + "; everything listens on 127.0.0.0/8.");
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      ids.add(stage.launchWeb().instanceId());
    }
    say("1. EC2: 3 instances in Auto Scaling group web-asg, web servers on 127.0.0.11-13:8080");
    if (proxies.contains("kamailio")) {
      stage.launchSip(2);
      say("   and 2 SIP destinations tagged role=sip (127.0.0.14-15:5060, nothing answers)");
    }
    DemoConfig config = DemoConfig.write(stage, proxies);
    say("2. muster.yaml written; the agent starts (status on " + config.statusUrl() + ")");
    if (proxies.contains("nginx")) {
      say("   nginx in " + config.nginxMode());
    }
    agent = DemoAgent.start(config.file());
    try {
      return script(stage, config, ids);
    } finally {
      agent.close();
    }
  }

  private int script(DemoStage stage, DemoConfig config, List<String> ids) throws Exception {
    {
      config.startProxies(stage);
      if (!DemoStage.await(Duration.ofSeconds(30), () -> seen(config, ids))) {
        return fail("the proxies did not show all three instances within 30 s", config);
      }
      say("   (each proxy starts once its first file exists; until then the agent's reload fails");
      say("   and is retried: the ERROR lines at the top of muster.log)");
      say("   every proxy holds the 3 instances:");
      config.urls().forEach(url -> say("     curl " + url + "    # " + ids(config, url)));
      lookAround(config);

      FakeInstance added = stage.launchWeb();
      stage.autoscaling.launch(DemoStage.GROUP, added.instanceId());
      ids.add(added.instanceId());
      say("3. Scale-out: " + added.instanceId() + " on " + added.privateIp() + ":8080 launched");
      long start = System.nanoTime();
      if (!DemoStage.await(Duration.ofSeconds(30), () -> seen(config, ids))) {
        return fail("the new instance did not reach the proxies within 30 s", config);
      }
      say("   in every proxy after " + millis(start) + " ms (the poll every 5 s found it)");

      String leaving = ids.remove(0);
      start = System.nanoTime();
      stage.autoscaling.terminate(DemoStage.GROUP, leaving);
      say("4. Scale-in: Auto Scaling terminates " + leaving + "; its lifecycle hook tells SQS");
      if (!DemoStage.await(
          Duration.ofSeconds(60),
          () -> "Terminated".equals(stage.autoscaling.lifecycleState(leaving)))) {
        return fail("the lifecycle action was not completed within 60 s", config);
      }
      stage.stopWeb(leaving);
      say(
          "   drained from the proxies, then the action completed and EC2 terminated it: "
              + millis(start)
              + " ms; its server stopped only then");
      if (!DemoStage.await(Duration.ofSeconds(30), () -> seen(config, ids))) {
        return fail("the proxies still list the terminated instance", config);
      }

      FakeInstance hostile =
          stage
              .ec2
              .fleet()
              .launch(
                  1,
                  s ->
                      s.privateIps("127.0.0.99")
                          .tag("role", "web")
                          .tag(dev.muster.testkit.SimulatedFleet.AUTO_SCALING_GROUP_TAG, "web-asg")
                          .tag("muster:port", "8080\nserver evil 203.0.113.1:80"))
              .get(0);
      say("5. A hostile tag: " + hostile.instanceId() + " has muster:port with a line break");
      Thread.sleep(6_000);
      say(
          "   skipped and logged once (see muster.log); the proxies still hold "
              + ids.size()
              + " instances: "
              + (seen(config, ids) ? "yes" : "NO"));
      if (duration > 0) {
        say("Everything stays up " + duration + " s: look around (Ctrl-C ends it sooner).");
        Thread.sleep(duration * 1000L);
      }
      say("Done: the proxies, the agent and the stand-ins stop now.");
      return Main.OK;
    }
  }

  private void lookAround(DemoConfig config) {
    say("   look at:");
    say("     curl " + config.statusUrl() + "/status          # every backend and output");
    say("     curl " + config.statusUrl() + "/metrics         # Prometheus text format");
    say("     curl " + config.statusUrl() + "/sd/prometheus   # the members as Prometheus targets");
    say("     ls " + dir + "   # muster.yaml and what it wrote");
  }

  /**
   * Whether every output is applied, Kamailio's list has both destinations, and every HTTP proxy's
   * answers (a few GETs each) come from {@code ids} and cover them.
   */
  private boolean seen(DemoConfig config, List<String> ids) {
    if (!agent.settled() || !config.dispatcherHolds(2)) {
      return false;
    }
    for (String url : config.urls()) {
      Set<String> answered = answers(url, ids.size() * 4);
      if (!answered.equals(new HashSet<>(ids))) {
        return false;
      }
    }
    return true;
  }

  private static Set<String> answers(String url, int requests) {
    Set<String> out = new HashSet<>();
    for (int i = 0; i < requests; i++) {
      out.add(DemoStage.get(url).trim());
    }
    return out;
  }

  private static String ids(DemoConfig config, String url) {
    return String.join(" ", new java.util.TreeSet<>(answers(url, 12)));
  }

  private int fail(String why, DemoConfig unused) throws IOException {
    say("FAILED: " + why + "; the agent's log: " + dir.resolve("muster.log"));
    say(tail(dir.resolve("muster.log")));
    return Main.APPLY_FAILED;
  }

  private static String tail(Path log) throws IOException {
    if (!Files.exists(log)) {
      return "";
    }
    try (InputStream in = Files.newInputStream(log)) {
      String text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
      return text.length() > 4000 ? text.substring(text.length() - 4000) : text;
    }
  }

  private static long millis(long start) {
    return (System.nanoTime() - start) / 1_000_000;
  }

  private void say(String line) {
    out.println(line);
    out.flush();
  }
}
