package dev.muster.agent;

import dev.muster.fixtures.Closeables;
import dev.muster.fixtures.ExternalProcess;
import dev.muster.fixtures.KamailioEdge;
import dev.muster.kamailio.Kamailio;
import dev.muster.testkit.FakeAutoScaling;
import dev.muster.testkit.FakeEc2;
import dev.muster.testkit.FakeImds;
import dev.muster.testkit.FakeSqs;
import dev.muster.testkit.SimulatedFleet;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * The setting of {@link VoipClusterIT}: the test kit's EC2, SQS and Auto Scaling; edge nodes (an
 * instance in the edge group, its own IMDS, queue and hooks on both groups, its agent, its Kamailio
 * from the sample {@code kamailio-edge.cfg}), rtpengine daemons in userspace mode in the media
 * group, and sipp call servers. Only 127.0.0.x addresses.
 */
final class VoipCluster implements AutoCloseable {
  static final String EDGES = "sip-edges";
  static final String MEDIA = "media";

  final Path dir;
  final FakeEc2 ec2 = FakeEc2.start();
  final FakeSqs sqs = FakeSqs.start();
  final FakeAutoScaling autoscaling = FakeAutoScaling.start(ec2.fleet());
  private final List<AutoCloseable> open = new ArrayList<>();

  VoipCluster(Path dir) {
    this.dir = dir;
  }

  /** One edge node: its instance, its agent and its Kamailio. */
  final class Edge {
    final KamailioEdge node;
    final String instanceId;
    final String hook;
    Process agent;
    ExternalProcess kamailio;

    /** From its launch until every edge before it trusted it (permissions.addressDump). */
    long trustedMillis;

    Edge(KamailioEdge node, String instanceId, String hook) {
      this.node = node;
      this.instanceId = instanceId;
      this.hook = hook;
    }

    /** The instance vanishes: Kamailio and the agent are killed. */
    void vanish() throws InterruptedException {
      kamailio.kill();
      agent.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }

    Set<String> dmqPeers() {
      return Kamailio.dmqReloader(node.rpc(), node.peers()).live();
    }

    Set<String> rtpengines() {
      return Kamailio.rtpengineReloader(node.rpc(), node.rtpengineTable()).build().live();
    }

    String log() {
      try {
        String text = Files.readString(node.dir().resolve("muster.log"));
        Files.copy(
            node.dir().resolve("muster.log"),
            Path.of("target", "voip-" + node.address() + "-muster.log"),
            java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        return text.length() > 8000 ? text.substring(text.length() - 8000) : text;
      } catch (java.io.IOException e) {
        return e.toString();
      }
    }
  }

  /** A call server: a sipp UAS on {@code address}, tagged {@code role=acd}. */
  Path callServer(String address, Path scenario) throws Exception {
    int port = ExternalProcess.freeUdpPort(address);
    Path stats = dir.resolve("uas-" + address + ".csv");
    open.add(dev.muster.fixtures.Proxies.sippUas(scenario, address, port, stats));
    ec2.fleet()
        .launch(
            1,
            spec ->
                spec.privateIps(address)
                    .tag("role", "acd")
                    .tag("muster:port", Integer.toString(port)));
    return stats;
  }

  /** A media node: an rtpengine daemon on {@code address} (control port 2223), in the group. */
  String mediaNode(String address) throws Exception {
    open.add(dev.muster.fixtures.Proxies.rtpengine(address, dir, 32_000));
    return ec2.fleet()
        .launch(
            1,
            spec ->
                spec.privateIps(address)
                    .tag("role", "rtpengine")
                    .tag(SimulatedFleet.AUTO_SCALING_GROUP_TAG, MEDIA))
        .get(0)
        .instanceId();
  }

  /**
   * An edge node on {@code address}: its instance, IMDS, queue and hooks, then its agent; Kamailio
   * is started once the agent wrote its four files and the agents of {@code existing} made their
   * Kamailio trust it (on AWS the boot takes longer than their poll).
   */
  Edge edge(String address, Edge... existing) throws Exception {
    long launched = System.nanoTime();
    KamailioEdge node = KamailioEdge.on(dir, address);
    node.writeConfig(Kamailio.edgeSampleConfig());
    String id =
        ec2.fleet()
            .launch(
                1,
                spec ->
                    spec.privateIps(address)
                        .tag("role", "sip-edge")
                        .tag("muster:port", Integer.toString(node.dmqPort()))
                        .tag(SimulatedFleet.AUTO_SCALING_GROUP_TAG, EDGES))
            .get(0)
            .instanceId();
    String hook = "muster-" + address.replace('.', '-');
    String queue = sqs.createQueue(hook, Duration.ofSeconds(30));
    for (String group : List.of(EDGES, MEDIA)) {
      autoscaling.terminateHook(
          group,
          hook,
          sqs,
          queue,
          Duration.ofSeconds(8),
          "ABANDON",
          FakeAutoScaling.Format.EVENTBRIDGE);
    }
    FakeImds imds = FakeImds.start(ec2.fleet(), id);
    open.add(imds);
    Edge edge = new Edge(node, id, hook);
    Path config =
        Files.writeString(node.dir().resolve("muster.yaml"), agentConfig(node, queue, hook));
    edge.agent =
        MusterProcess.start(
            Map.of("AWS_EC2_METADATA_SERVICE_ENDPOINT", imds.endpoint().toString()),
            List.of(),
            node.dir().resolve("muster.log"),
            "run",
            "--config",
            config.toString());
    open.add(() -> edge.agent.destroyForcibly());
    await(
        () ->
            Files.exists(node.list())
                && Files.exists(node.rtpengineTable())
                && Files.exists(node.addresses())
                && Files.exists(node.peers()),
        "the agent's first files on " + address,
        edge);
    for (Edge other : existing) {
      await(
          () ->
              Kamailio.permissionsReloader(other.node.rpc(), other.node.addresses())
                  .build()
                  .live()
                  .contains("1 " + address + " 0"),
          other.node.address() + " trusting " + address,
          other);
    }
    edge.trustedMillis = (System.nanoTime() - launched) / 1_000_000;
    edge.kamailio = node.start();
    open.add(edge.kamailio);
    return edge;
  }

  private String agentConfig(KamailioEdge node, String queue, String hook) {
    return """
        aws:
          region: us-east-1
          endpoint: EC2
          endpoints: {sqs: SQS, autoscaling: ASG}
        discovery:
          interval: 2s
          guard: {max_removal: 0.7}
        events:
          queue: QUEUE
          lifecycle_hook: HOOK
          drain_timeout: 90s
          heartbeat_interval: 2s
          visibility_timeout: 10s
        backends:
          acd: {tags: {role: acd}, port: 5060}
          media: {tags: {role: rtpengine}, port: 2223}
          edges: {tags: {role: sip-edge}, port: 5090}
        outputs:
          dispatcher: {type: kamailio, file: LIST, backends: [acd], rpc: RPC}
          media: {type: rtpengine, file: TABLE, backends: [media], sets: {media: 0}, rpc: RPC}
          trusted: {type: permissions, file: ADDRESSES, backends: [edges], groups: {edges: 1}, rpc: RPC}
          peers: {type: dmq, file: PEERS, backends: [edges], rpc: RPC}
        """
        .replace("EC2", ec2.endpoint().toString())
        .replace("SQS", sqs.endpoint().toString())
        .replace("ASG", autoscaling.endpoint().toString())
        .replace("QUEUE", queue)
        .replace("HOOK", hook)
        .replace("LIST", node.list().toString())
        .replace("TABLE", node.rtpengineTable().toString())
        .replace("ADDRESSES", node.addresses().toString())
        .replace("PEERS", node.peers().toString())
        .replace("RPC", node.rpc().toString());
  }

  /** A condition that may throw. */
  interface Check {
    boolean ok() throws Exception;
  }

  /** Waits up to 90 s for {@code condition}; the time it took in ms. */
  static long await(Check condition, String what, Edge... logs) throws Exception {
    long started = System.nanoTime();
    long deadline = started + TimeUnit.SECONDS.toNanos(90);
    while (!condition.ok()) {
      if (System.nanoTime() > deadline) {
        StringBuilder text = new StringBuilder("waited 90 s for " + what);
        for (Edge e : logs) {
          text.append("\n--- agent on ").append(e.node.address()).append(":\n").append(e.log());
        }
        throw new AssertionError(text);
      }
      Thread.sleep(20);
    }
    return (System.nanoTime() - started) / 1_000_000;
  }

  @Override
  public void close() {
    List<AutoCloseable> last = new ArrayList<>(open);
    java.util.Collections.reverse(last);
    Closeables.closeAll(last.toArray(AutoCloseable[]::new));
    autoscaling.close();
    sqs.close();
    ec2.close();
  }
}
