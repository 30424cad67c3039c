package dev.muster.benchmarks;

import dev.muster.discovery.Ec2MembershipSource;
import dev.muster.discovery.MemberMapping;
import dev.muster.discovery.Query;
import dev.muster.discovery.Snapshot;
import dev.muster.discovery.internal.StreamingDescribeInstances;
import dev.muster.testkit.FakeEc2;
import dev.muster.testkit.FakeInstance;
import dev.muster.testkit.internal.Ec2Xml;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.ec2.model.DescribeInstancesResponse;

/**
 * A full poll of 1,000 and 10,000 instances (pages of 1,000) from the test kit's fake EC2 on
 * loopback, through the real SDK, split to show where the time goes: the fake server's XML work
 * alone ({@code serverXmlOnly}), the SDK's request, signing, HTTP and XML parsing without Muster
 * ({@code sdkPagesOnly}), and Muster's whole fetch ({@code fetch}: the SDK plus mapping,
 * validation, sorting and the SHA-256 fingerprint) with the SDK's model, and {@code fetchStreaming}
 * (the same, pages read by Muster's streaming path). Server and client share this JVM and its two
 * cores.
 *
 * <p>Run: {@code java -jar benchmarks/target/benchmarks.jar PollBenchmark -f 1 -wi 2 -w 2s -i 3 -r
 * 2s}
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class PollBenchmark {
  @Param({"1000", "10000"})
  int instances;

  FakeEc2 ec2;
  Ec2Client client;
  Ec2MembershipSource source;
  Ec2MembershipSource streaming;
  List<FakeInstance> fleet;
  List<byte[]> pages;

  @Setup
  public void setUp() {
    ec2 = FakeEc2.start();
    for (int launched = 0; launched < instances; launched += 100) {
      ec2.fleet().launch(100, Map.of("role", "web", "env", "prod"));
    }
    fleet = ec2.fleet().instances();
    client = ec2.client();
    source =
        Ec2MembershipSource.newBuilder()
            .client(client)
            .query(Query.newBuilder().tag("role", "web").build())
            .mapping(MemberMapping.newBuilder().port(8080).build())
            .build();
    streaming =
        Ec2MembershipSource.newBuilder()
            .region(FakeEc2.REGION.id())
            .endpoint(ec2.endpoint())
            .credentials(
                software.amazon.awssdk.auth.credentials.StaticCredentialsProvider.create(
                    software.amazon.awssdk.auth.credentials.AwsBasicCredentials.create(
                        "AKIDBENCH", "bench-secret")))
            .query(Query.newBuilder().tag("role", "web").build())
            .mapping(MemberMapping.newBuilder().port(8080).build())
            .build();
    pages = new java.util.ArrayList<>();
    for (int from = 0; from < fleet.size(); from += 1000) {
      pages.add(
          Ec2Xml.describeInstances(
                  "r",
                  fleet.subList(from, Math.min(fleet.size(), from + 1000)),
                  from + 1000 < fleet.size() ? "next" : null)
              .getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }
    if (source.fetch().size() != instances || streaming.fetch().size() != instances) {
      throw new IllegalStateException("the fake did not serve every instance");
    }
  }

  @TearDown
  public void tearDown() {
    streaming.close();
    ec2.close();
  }

  @Benchmark
  public Snapshot fetch() {
    return source.fetch();
  }

  /** The same fetch by a client the source builds: pages read by the streaming path. */
  @Benchmark
  public Snapshot fetchStreaming() {
    return streaming.fetch();
  }

  @Benchmark
  public int sdkPagesOnly() {
    int count = 0;
    for (DescribeInstancesResponse page :
        client.describeInstancesPaginator(
            b ->
                b.maxResults(1000)
                    .filters(
                        f -> f.name("tag:role").values("web"),
                        f -> f.name("instance-state-name").values("running")))) {
      count += page.reservations().size();
    }
    return count;
  }

  /** The streaming path's parse of the same pages from bytes: no HTTP, no server, no mapping. */
  @Benchmark
  public int streamingParseOnly() {
    int count = 0;
    for (byte[] page : pages) {
      count +=
          StreamingDescribeInstances.parse(new java.io.ByteArrayInputStream(page))
              .instances()
              .size();
    }
    return count;
  }

  @Benchmark
  public int serverXmlOnly() {
    int bytes = 0;
    for (int from = 0; from < fleet.size(); from += 1000) {
      bytes +=
          Ec2Xml.describeInstances(
                  "r",
                  fleet.subList(from, Math.min(fleet.size(), from + 1000)),
                  from + 1000 < fleet.size() ? "next" : null)
              .length();
    }
    return bytes;
  }
}
