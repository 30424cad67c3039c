package dev.muster.examples.docs;

// docs:start quickstart
import dev.muster.discovery.Discovery;
import dev.muster.discovery.Ec2MembershipSource;
import dev.muster.discovery.Member;
import dev.muster.discovery.MemberMapping;
import dev.muster.discovery.Query;
import dev.muster.testkit.FakeEc2;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;

/** Discovery against the test kit's EC2: runs anywhere, no AWS account needed. */
public final class QuickStart {
  public static void main(String[] args) throws Exception {
    try (FakeEc2 ec2 = FakeEc2.start()) { // EC2's Query API on 127.0.0.1
      ec2.fleet().launch(3, Map.of("role", "web")); // three running instances on 127.0.x.y

      Ec2MembershipSource source =
          Ec2MembershipSource.newBuilder()
              .region("us-east-1")
              .endpoint(ec2.endpoint()) // on AWS: leave out endpoint and
              .credentials(
                  StaticCredentialsProvider.create( // credentials (the instance role)
                      AwsBasicCredentials.create("AKIDEXAMPLE", "any-secret")))
              .query(Query.newBuilder().tag("role", "web").build())
              .mapping(MemberMapping.newBuilder().port(8080).build())
              .build();

      CountDownLatch published = new CountDownLatch(1);
      Path state = Files.createTempDirectory("muster-quickstart").resolve("web.state");
      try (Discovery discovery =
          Discovery.newBuilder()
              .name("web")
              .source(source)
              .interval(Duration.ofSeconds(15))
              .stateFile(state) // on a host: /var/lib/yourapp/web.state
              .listener(
                  (snapshot, changes) -> {
                    for (Member m : snapshot.members()) {
                      System.out.println(
                          m.instanceId() + " " + m.hostPort() + " weight " + m.weight());
                    }
                    published.countDown();
                  })
              .build()) {
        discovery.start(); // fetches at once, then every 15 s (±10%), on a daemon thread
        if (!published.await(30, TimeUnit.SECONDS)) {
          throw new IllegalStateException("no membership: " + discovery.status());
        }
        // discovery.refresh();      fetch now, e.g. on an Auto Scaling notification
        // discovery.status();       last success, failures in a row, member count, holds
        // discovery.acceptHeld();   confirm a held empty result or mass removal
      }
    }
  }
}
// docs:end quickstart
