package dev.muster.benchmarks;

import dev.muster.fixtures.ExternalProcess;
import dev.muster.fixtures.Proxies;
import dev.muster.fixtures.ProxyConfigs;
import dev.muster.testkit.FakeEc2;
import dev.muster.testkit.FakeInstance;
import dev.muster.testkit.FakeSqs;
import java.io.ByteArrayOutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * Reaction, measured whole: a new instance appears in EC2, and the clock runs until the real
 * HAProxy holds it (its address listed in {@code show servers state} for the backend). The agent
 * runs as its own process ({@code muster run} through the package's launcher, with the class cache
 * its install script makes; {@code -Dlauncher=PATH} names another launcher) against the test kit's
 * EC2 with {@code INSTANCES} instances in pages of 1,000, and a real HAProxy in runtime or file
 * mode, or a real nginx in dynamic mode ({@code nginx-dynamic}: Muster's Lua balancer, where the
 * clock stops once the balancer's shared dict, read over its admin socket, holds the new member).
 *
 * <ul>
 *   <li>{@code poll}: the agent polls every {@code INTERVAL}; each launch happens at a random point
 *       of the interval, so the figure is interval/2 on average plus fetch, settle and apply.
 *   <li>{@code events}: the agent polls every 10 minutes and the launch is announced by the state
 *       change event (EventBridge to SQS) that EC2 sends, so the figure is the event path.
 * </ul>
 *
 * <p>The servers have no health check ({@code server_options: ""}): the test kit's addresses are
 * not on this machine and nothing may be sent off it; a check adds its {@code inter} times {@code
 * rise} to a new server's warm-up in runtime mode. Everything is on 127.0.0.1; {@code ROUNDS}
 * launches, each waited for at most 60 s, so the run ends by itself. Prints one line per round and
 * the median and maximum.
 *
 * <p>Run (after {@code mvn -DskipTests package}): {@code java -cp benchmarks/target/benchmarks.jar
 * dev.muster.benchmarks.ReactionHarness INSTANCES poll|events runtime|file|nginx-dynamic [ROUNDS]
 * [INTERVAL]}
 */
public final class ReactionHarness {
  private ReactionHarness() {}

  public static void main(String[] args) throws Exception {
    int instances = args.length > 0 ? Integer.parseInt(args[0]) : 100;
    boolean events = args.length > 1 && args[1].equals("events");
    String mode = args.length > 2 ? args[2] : "runtime";
    int rounds = args.length > 3 ? Integer.parseInt(args[3]) : 5;
    Duration interval = Duration.ofSeconds(args.length > 4 ? Long.parseLong(args[4]) : 2);
    Path agentJar = Path.of(System.getProperty("agent.jar", "agent/target/muster-agent.jar"));
    Path dir = Files.createTempDirectory("muster-reaction");
    int port = ExternalProcess.freeTcpPort();
    int statusPort = ExternalProcess.freeTcpPort();
    Process muster = null;
    ExternalProcess haproxy = null;
    try (FakeEc2 ec2 = FakeEc2.start();
        FakeSqs sqs = FakeSqs.start()) {
      for (int launched = 0; launched < instances; launched += 100) {
        ec2.fleet().launch(Math.min(100, instances - launched), Map.of("role", "web"));
      }
      ec2.pageSize(1000);
      String queue = sqs.createQueue("reaction", Duration.ofSeconds(30));
      Files.writeString(
          dir.resolve("header.cfg"), ProxyConfigs.haproxyHeader(port, dir.resolve("admin.sock")));
      boolean nginx = mode.equals("nginx-dynamic");
      String output =
          nginx
              ? """
                web:
                  type: nginx
                  mode: dynamic
                  file: muster.conf
                  main_config: nginx.conf
                  backends: [web]
              """
              : """
                edge:
                  type: haproxy
                  mode: MODE
                  header: header.cfg
                  file: haproxy.cfg
                  server_options: ""
                  STATS
                  backends: [web]
                  reload: {master_socket: master.sock}
              """;
      if (nginx) {
        Files.setPosixFilePermissions(
            dir, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.writeString(
            dir.resolve("nginx.conf"),
            "load_module /usr/lib/nginx/modules/ndk_http_module.so;\n"
                + "load_module /usr/lib/nginx/modules/ngx_http_lua_module.so;\n"
                + ProxyConfigs.nginxMain(dir, port, dir.resolve("muster.conf").toString()));
      }
      String config =
          """
          aws:
            region: us-east-1
            endpoint: EC2
            endpoints: {sqs: SQS}
          discovery: {interval: INTERVAL}
          backends:
            web: {tags: {role: web}, port: 80}
          outputs:
          OUTPUT
          status: {listen: "127.0.0.1:STATUS"}
          """
              .replace("OUTPUT", output.stripTrailing())
              .replace("EC2", ec2.endpoint().toString())
              .replace("SQS", sqs.endpoint().toString())
              .replace("INTERVAL", events ? "600s" : interval.toSeconds() + "s")
              .replace("MODE", mode)
              .replace("STATS", mode.equals("runtime") ? "stats_socket: admin.sock" : "")
              .replace("STATUS", Integer.toString(statusPort));
      if (events) {
        config += "events: {queue: " + queue + "}\n";
      }
      Path yaml = Files.writeString(dir.resolve("muster.yaml"), config);
      // The package's launcher, as a host runs the agent: its settings for run, with the class
      // cache that its install script makes with `muster train`.
      String launcher = System.getProperty("launcher", "agent/src/deb/bin/muster");
      Path cache = Files.createDirectories(dir.resolve("cache"));
      ProcessBuilder train =
          new ProcessBuilder("sh", launcher, "train")
              .redirectErrorStream(true)
              .redirectOutput(dir.resolve("train.log").toFile());
      train.environment().remove("MUSTER_JAVA_OPTS");
      train.environment().put("MUSTER_JAR", agentJar.toAbsolutePath().toString());
      train.environment().put("MUSTER_CACHE", cache.toString());
      Process training = train.start();
      if (!training.waitFor(2, TimeUnit.MINUTES)) {
        training.destroyForcibly();
        throw new IllegalStateException("muster train took over 2 minutes: see train.log");
      }
      if (training.exitValue() != 0) {
        throw new IllegalStateException("muster train failed: see " + dir.resolve("train.log"));
      }
      ProcessBuilder pb =
          new ProcessBuilder("sh", launcher, "run", "--config", yaml.toString())
              .redirectErrorStream(true)
              .redirectOutput(dir.resolve("muster.log").toFile());
      pb.environment().put("MUSTER_JAR", agentJar.toAbsolutePath().toString());
      pb.environment().put("MUSTER_CACHE", cache.toString());
      // Log times to the millisecond; the launcher's own settings stay as they are.
      pb.environment()
          .put(
              "JDK_JAVA_OPTIONS",
              "-Dorg.slf4j.simpleLogger.showDateTime=true"
                  + " -Dorg.slf4j.simpleLogger.dateTimeFormat=HH:mm:ss.SSS");
      pb.environment().put("AWS_ACCESS_KEY_ID", "AKIDBENCH");
      pb.environment().put("AWS_SECRET_ACCESS_KEY", "bench-secret");
      muster = pb.start();
      Path cfg = dir.resolve(nginx ? "muster-members.txt" : "haproxy.cfg");
      await(() -> Files.exists(cfg), muster, dir, "the first file");
      haproxy =
          nginx
              ? Proxies.nginx(dir.resolve("nginx.conf"), port)
              : Proxies.haproxy(cfg, dir.resolve("master.sock"), port);
      Path admin = dir.resolve(nginx ? "muster-admin.sock" : "admin.sock");
      if (mode.equals("file")) {
        // File mode has no stats socket of Muster's: the header's is HAProxy's.
        await(() -> Files.exists(admin), muster, dir, "HAProxy's stats socket");
      }
      int expected = instances;
      await(
          () -> (nginx ? balancer(admin).size() : count(admin, "web")) >= expected,
          muster,
          dir,
          "every instance in the proxy");
      System.out.printf(
          "reaction | %d instances | %s | %s mode | the proxy holds all%n",
          instances,
          events ? "events (poll 600 s)" : "poll every " + interval.toSeconds() + " s",
          mode);
      List<Long> millis = new ArrayList<>();
      for (int round = 0; round < rounds; round++) {
        // A random point of the poll interval (for events too, so both see the same spread).
        Thread.sleep(ThreadLocalRandom.current().nextLong(interval.toMillis()) + 500);
        FakeInstance fresh = ec2.fleet().launch(1, Map.of("role", "web")).get(0);
        long start = System.nanoTime();
        if (events) {
          sqs.send(
              queue,
              "{\"version\":\"0\",\"detail-type\":\"EC2 Instance State-change Notification\","
                  + "\"source\":\"aws.ec2\",\"detail\":{\"instance-id\":\""
                  + fresh.instanceId()
                  + "\",\"state\":\"running\"}}");
        }
        FileTime before = Files.getLastModifiedTime(cfg);
        long deadline = start + TimeUnit.SECONDS.toNanos(60);
        // Cheap until the file changes (runtime mode rewrites it after the runtime commands, file
        // mode before the reload), then ask HAProxy itself.
        boolean held = false;
        while (!held && System.nanoTime() < deadline) {
          if (!Files.getLastModifiedTime(cfg).equals(before)) {
            held =
                nginx
                    ? balancer(admin).contains(fresh.privateIp())
                    : holds(admin, "web", fresh.privateIp());
          }
          if (!held) {
            Thread.sleep(10);
          }
        }
        if (!held) {
          throw new IllegalStateException(
              "round " + round + ": the proxy did not get " + fresh.privateIp() + " in 60 s");
        }
        long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        millis.add(ms);
        System.out.printf(
            "round %d: %d ms (%s launched at %s)%n",
            round + 1, ms, fresh.privateIp(), java.time.LocalTime.now().minusNanos(ms * 1_000_000));
      }
      List<Long> sorted = millis.stream().sorted().toList();
      System.out.printf(
          "| %d | %s | %s | %d | median %d ms | max %d ms |%n",
          instances,
          events ? "events" : "poll " + interval.toSeconds() + " s",
          mode,
          rounds,
          sorted.get(sorted.size() / 2),
          sorted.get(sorted.size() - 1));
    } finally {
      if (muster != null) {
        muster.destroy();
        muster.waitFor(10, TimeUnit.SECONDS);
        muster.destroyForcibly();
      }
      if (haproxy != null) {
        haproxy.close();
      }
    }
  }

  /** A condition that may throw. */
  private interface Check {
    boolean ok() throws Exception;
  }

  private static void await(Check condition, Process muster, Path dir, String what)
      throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    while (!condition.ok()) {
      if (!muster.isAlive() || System.nanoTime() > deadline) {
        throw new IllegalStateException(
            "waiting for " + what + ":\n" + Files.readString(dir.resolve("muster.log")));
      }
      Thread.sleep(50);
    }
  }

  /** How many servers {@code backend} holds: in runtime mode, one per member. */
  private static int count(Path socket, String backend) {
    int n = 0;
    for (String line : command(socket, "show servers state " + backend).split("\n")) {
      String[] f = line.split(" ");
      if (f.length > 4 && f[1].equals(backend)) {
        n++;
      }
    }
    return n;
  }

  /** The addresses nginx's balancer holds, from its admin socket. */
  private static java.util.Set<String> balancer(Path socket) {
    java.util.Set<String> out = new java.util.HashSet<>();
    try {
      String text =
          new dev.muster.discovery.internal.UnixSocketCli(socket, Duration.ofSeconds(5))
              .http("GET", "/members", null);
      for (String line : text.split("\n")) {
        String[] f = line.split(" ");
        if (f.length > 2) {
          out.add(f[2]);
        }
      }
    } catch (java.io.IOException e) {
      // not up yet
    }
    return out;
  }

  private static boolean holds(Path socket, String backend, String address) {
    for (String line : command(socket, "show servers state " + backend).split("\n")) {
      String[] f = line.split(" ");
      if (f.length > 4 && f[1].equals(backend) && f[4].equals(address)) {
        return true;
      }
    }
    return false;
  }

  private static String command(Path socket, String command) {
    if (!Files.exists(socket)) {
      return "";
    }
    try (SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX)) {
      channel.connect(UnixDomainSocketAddress.of(socket));
      channel.write(ByteBuffer.wrap((command + "\n").getBytes(StandardCharsets.US_ASCII)));
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      ByteBuffer buffer = ByteBuffer.allocate(1 << 16);
      while (channel.read(buffer) > 0) {
        out.write(buffer.array(), 0, buffer.position());
        buffer.clear();
      }
      return out.toString(StandardCharsets.UTF_8);
    } catch (java.io.IOException e) {
      return "";
    }
  }
}
