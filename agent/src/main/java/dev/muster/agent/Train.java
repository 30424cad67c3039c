package dev.muster.agent;

import dev.muster.testkit.FakeEc2;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;

/**
 * {@code muster train} (hidden): the training run behind the JVM's class cache. The package's
 * install script runs it once, and the launcher saves every class it loaded (a class-data archive
 * on Java 17, the AOT cache on 25), so that later starts load them ready-made. A cache made by
 * {@code check} alone left out the classes only a run loads (the SDK's request path, the streaming
 * parser, the loops, the status listener): over a quarter of them, and a fifth of a start's CPU
 * (BENCHMARKS.md, issue 25).
 *
 * <p>It runs what {@code once} and {@code run} run, the same reader and assembly, against the test
 * kit's EC2 with {@value #INSTANCES} instances on 127.0.0.1, into a temporary folder that it
 * removes: an HAProxy output (its reload is {@code true}; HAProxy's check runs if it is installed)
 * and a template output, the status listener asked for its page and its metrics. No AWS, no
 * instance metadata, nothing outside that folder and loopback. It takes a few seconds and ends by
 * itself.
 */
@Command(
    name = "train",
    hidden = true,
    description = "Run briefly against a local EC2 stand-in, for the JVM's class cache.")
final class Train implements Callable<Integer> {
  static final int INSTANCES = 200;

  /** The longest it waits for the loop to apply; it does not fail if that runs out. */
  private static final Duration WAIT = Duration.ofSeconds(15);

  @Override
  public Integer call() throws IOException, ConfigException, InterruptedException {
    // The stand-in takes any credentials; nothing leaves this process. No IMDS.
    System.setProperty("aws.accessKeyId", "AKIDMUSTERTRAIN");
    System.setProperty("aws.secretAccessKey", "muster-train-secret");
    System.setProperty("aws.disableEc2Metadata", "true");
    Path dir = Files.createTempDirectory("muster-train-");
    try (FakeEc2 ec2 = FakeEc2.start()) {
      ec2.fleet().launch(INSTANCES, Map.of("role", "web"));
      int status = DemoStage.freePort();
      Path file = write(dir, ec2, status);
      PrintWriter quiet = new PrintWriter(Writer.nullWriter());
      Main.once(ConfigReader.read(file), quiet, false);
      try (DemoAgent agent = DemoAgent.start(file)) {
        DemoStage.await(WAIT, agent::attempted);
        // What the pages say does not matter here: the classes that wrote them do.
        DemoStage.get("http://127.0.0.1:" + status + "/");
        DemoStage.get("http://127.0.0.1:" + status + "/metrics");
      }
    } finally {
      delete(dir);
    }
    return Main.OK;
  }

  private static Path write(Path dir, FakeEc2 ec2, int status) throws IOException {
    Files.writeString(
        dir.resolve("header.cfg"),
        """
        defaults
            mode http
            timeout connect 1s
            timeout client 1s
            timeout server 1s
        frontend www
            bind 127.0.0.1:PORT
            default_backend web
        """
            .replace("PORT", Integer.toString(DemoStage.freePort())));
    Path file = dir.resolve("muster.yaml");
    Files.writeString(
        file,
        """
        aws: {region: us-east-1, endpoint: "EC2"}
        discovery: {interval: 1s, wait: {min: 0s, max: 1s}, state_dir: "DIR/state"}
        status: {listen: "127.0.0.1:STATUS"}
        backends:
          web: {tags: {role: web}, port: 8080}
        outputs:
          edge:
            type: haproxy
            header: header.cfg
            file: haproxy.cfg
            backends: [web]
            reload: {command: ["true"]}
          list:
            type: template
            template: members.ftl
            file: members.txt
            backends: [web]
        """
            .replace("EC2", ec2.endpoint().toString())
            .replace("DIR", dir.toString())
            .replace("STATUS", Integer.toString(status)));
    Files.writeString(
        dir.resolve("members.ftl"), "<#list backend.web.members as m>${m.hostPort}\n</#list>");
    Files.createDirectories(dir.resolve("state"));
    return file;
  }

  private static void delete(Path dir) throws IOException {
    try (Stream<Path> all = Files.walk(dir)) {
      all.sorted(Comparator.reverseOrder())
          .forEach(
              p -> {
                try {
                  Files.deleteIfExists(p);
                } catch (IOException e) {
                  throw new UncheckedIOException(e);
                }
              });
    }
  }
}
