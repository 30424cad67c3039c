package dev.muster.benchmarks;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import software.amazon.awssdk.auth.credentials.EnvironmentVariableCredentialsProvider;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.ec2.model.Filter;

/**
 * The floor under the agent's footprint: the least a JVM program that polls EC2 with the AWS SDK
 * holds. The SDK's generated client with the HTTP client the agent uses, every page of {@code
 * DescribeInstances} with the agent's server-side filters, every {@code INTERVAL} seconds; it
 * counts the instances and keeps nothing else: no snapshot, diff, guard, output, status or metrics.
 * After each poll it writes the number of polls so far and the instances it saw to {@code
 * POLLS_FILE}; it stops after {@code POLLS} polls (default 1,000). {@code benchmarks/footprint.sh}
 * runs it with {@code WHO=sdk}.
 *
 * <p>Run: {@code java -cp benchmarks/target/benchmarks.jar dev.muster.benchmarks.BareSdkPoller
 * ENDPOINT INTERVAL POLLS_FILE [POLLS]}
 */
public final class BareSdkPoller {
  private BareSdkPoller() {}

  public static void main(String[] args) throws IOException, InterruptedException {
    URI endpoint = URI.create(args[0]);
    Duration interval = Duration.ofSeconds(Long.parseLong(args[1]));
    Path pollsFile = Path.of(args[2]);
    int polls = args.length > 3 ? Integer.parseInt(args[3]) : 1000;
    try (Ec2Client ec2 =
        Ec2Client.builder()
            .region(Region.US_EAST_1)
            .endpointOverride(endpoint)
            .credentialsProvider(EnvironmentVariableCredentialsProvider.create())
            .httpClientBuilder(
                UrlConnectionHttpClient.builder()
                    .connectionTimeout(Duration.ofSeconds(5))
                    .socketTimeout(Duration.ofSeconds(30)))
            .build()) {
      for (int poll = 1; poll <= polls; poll++) {
        long seen =
            ec2
                .describeInstancesPaginator(
                    r ->
                        r.filters(
                            Filter.builder().name("tag:role").values("web").build(),
                            Filter.builder()
                                .name("instance-state-name")
                                .values("pending", "running")
                                .build()))
                .reservations()
                .stream()
                .mapToLong(r -> r.instances().size())
                .sum();
        // Whole or not at all: the script reads the file while this runs.
        Path next = Path.of(pollsFile + ".next");
        Files.writeString(next, poll + " " + seen + "\n");
        Files.move(next, pollsFile, StandardCopyOption.ATOMIC_MOVE);
        if (poll < polls) {
          Thread.sleep(interval.toMillis());
        }
      }
    }
  }
}
