package dev.muster.agent;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.muster.testkit.FakeAutoScaling;
import dev.muster.testkit.FakeEc2;
import dev.muster.testkit.FakeSqs;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * The setting of the lifecycle ITs: the test kit's EC2, SQS and Auto Scaling (one fleet), a queue
 * and a terminate hook, and the agent process run from a YAML file whose {@code aws} and {@code
 * events} sections point at them.
 */
final class LifecycleHarness implements AutoCloseable {
  final Path dir;
  final FakeEc2 ec2 = FakeEc2.start();
  final FakeSqs sqs = FakeSqs.start();
  final FakeAutoScaling autoscaling = FakeAutoScaling.start(ec2.fleet());
  final String queue;
  final String group;
  final String hook;
  private final String logCopy;
  private final int statusPort = dev.muster.fixtures.ExternalProcess.freeTcpPort();
  Process muster;

  /** A queue named after {@code hook}, and a terminate hook that times out to ABANDON. */
  LifecycleHarness(
      Path dir,
      String group,
      String hook,
      Duration heartbeatTimeout,
      FakeAutoScaling.Format format) {
    this.dir = dir;
    this.group = group;
    this.hook = hook;
    this.logCopy = hook + "-muster.log";
    this.queue = sqs.createQueue(hook, Duration.ofSeconds(30));
    autoscaling.terminateHook(group, hook, sqs, queue, heartbeatTimeout, "ABANDON", format);
  }

  /**
   * Writes {@code muster.yaml}: the {@code aws} and {@code events} sections (a 60 s poll interval,
   * so that events, not polling, make things happen) followed by {@code backendsAndOutputs}, and
   * starts the agent.
   */
  void startMuster(Duration drainTimeout, Duration heartbeat, String backendsAndOutputs)
      throws Exception {
    Path config =
        Files.writeString(
            dir.resolve("muster.yaml"),
            """
            aws:
              region: us-east-1
              endpoint: EC2
              endpoints: {sqs: SQS, autoscaling: ASG}
            discovery: {interval: 60s}
            events:
              queue: QUEUE
              lifecycle_hook: HOOK
              drain_timeout: DRAINs
              heartbeat_interval: HEARTBEATs
              visibility_timeout: 10s
            status: {listen: "127.0.0.1:STATUS"}
            """
                    .replace("EC2", ec2.endpoint().toString())
                    .replace("SQS", sqs.endpoint().toString())
                    .replace("ASG", autoscaling.endpoint().toString())
                    .replace("QUEUE", queue)
                    .replace("HOOK", hook)
                    .replace("DRAIN", Long.toString(drainTimeout.toSeconds()))
                    .replace("HEARTBEAT", Long.toString(heartbeat.toSeconds()))
                    .replace("STATUS", Integer.toString(statusPort))
                + backendsAndOutputs);
    muster = MusterProcess.run(config, dir.resolve("muster.log"));
  }

  /** A condition that may throw. */
  interface Check {
    boolean ok() throws Exception;
  }

  /** Waits up to 90 s for {@code condition}, failing with the agent's log if it ends first. */
  void await(Check condition, String what) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
    while (!condition.ok()) {
      assertTrue(muster.isAlive(), "muster ended early: " + log());
      assertTrue(System.nanoTime() < deadline, "waited 90 s for " + what + ":\n" + log());
      Thread.sleep(20);
    }
  }

  /** The agent's log (its end), also copied whole to target/ since the temporary directory goes. */
  String log() {
    try {
      Files.copy(
          dir.resolve("muster.log"),
          Path.of("target", logCopy),
          StandardCopyOption.REPLACE_EXISTING);
      String text = Files.readString(dir.resolve("muster.log"));
      return text.length() > 20_000 ? text.substring(text.length() - 20_000) : text;
    } catch (Exception e) {
      return e.toString();
    }
  }

  /** The agent's {@code /status} JSON, or the error. */
  String status() {
    try {
      java.net.HttpURLConnection c =
          (java.net.HttpURLConnection)
              java.net
                  .URI
                  .create("http://127.0.0.1:" + statusPort + "/status")
                  .toURL()
                  .openConnection();
      c.setConnectTimeout(2000);
      c.setReadTimeout(2000);
      return new String(c.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    } catch (java.io.IOException e) {
      return e.toString();
    }
  }

  /** Waits until Auto Scaling reports {@code instanceId} terminated. */
  void awaitTerminated(String instanceId) throws Exception {
    await(() -> "Terminated".equals(autoscaling.lifecycleState(instanceId)), "the termination");
  }

  @Override
  public void close() {
    if (muster != null) {
      muster.destroyForcibly();
    }
    autoscaling.close();
    sqs.close();
    ec2.close();
  }
}
