package dev.muster.discovery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.muster.discovery.internal.StreamingDescribeInstances;
import dev.muster.testkit.FakeEc2;
import dev.muster.testkit.FakeInstance;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.exception.SdkClientException;

/**
 * The streaming path (a client built by the source reads pages with StAX) against the SDK's own
 * unmarshalled model (a client passed in): the same members, field for field, on every kind of
 * fleet the test kit makes, hostile tags, empty pages and odd tokens included.
 */
class StreamingDifferentialTest {
  private FakeEc2 ec2;

  @BeforeEach
  void start() {
    ec2 = FakeEc2.start();
  }

  @AfterEach
  void stop() {
    ec2.close();
  }

  private Snapshot fetch(boolean streaming, Query query, MemberMapping mapping) {
    Ec2MembershipSource.Builder b = Ec2MembershipSource.newBuilder().query(query).mapping(mapping);
    if (streaming) {
      b.region(FakeEc2.REGION.id())
          .endpoint(ec2.endpoint())
          .credentials(
              StaticCredentialsProvider.create(AwsBasicCredentials.create("AKIDTEST", "secret")));
    } else {
      b.client(ec2.client());
    }
    try (Ec2MembershipSource source = b.build()) {
      return source.fetch();
    }
  }

  private void assertSame(Query query, MemberMapping mapping) {
    Snapshot sdk = fetch(false, query, mapping);
    Snapshot streamed = fetch(true, query, mapping);
    assertEquals(sdk.members(), streamed.members());
    assertEquals(sdk.fingerprint(), streamed.fingerprint());
  }

  private static final Query WEB = Query.newBuilder().tag("role", "web").build();

  @ParameterizedTest(name = "seed {0}")
  @ValueSource(longs = {1, 2, 3, 4, 5, 6, 7, 8})
  void randomFleetsGiveTheSameMembersForEveryAddressSource(long seed) {
    Random random = new Random(seed);
    int count = 1 + random.nextInt(60);
    for (int i = 0; i < count; i++) {
      boolean publicIp = random.nextBoolean();
      boolean ipv6 = random.nextBoolean();
      String zone = "us-east-1" + "abc".charAt(random.nextInt(3));
      Consumer<dev.muster.testkit.SimulatedFleet.LaunchSpec> spec =
          s -> {
            s.tag("role", random.nextInt(5) == 0 ? "api" : "web")
                .publicIp(publicIp)
                .ipv6(ipv6)
                .zone(zone);
            if (random.nextInt(4) == 0) {
              s.tag("muster:port", Integer.toString(1 + random.nextInt(65535)));
            }
            if (random.nextInt(4) == 0) {
              s.tag("muster:weight", Integer.toString(random.nextInt(300)));
            }
            if (random.nextInt(6) == 0) {
              s.state(FakeInstance.State.values()[random.nextInt(6)]);
            }
            if (random.nextInt(3) == 0) {
              s.interfaces(1 + random.nextInt(4)).secondaryIps(random.nextInt(3));
            }
          };
      ec2.fleet().launch(1, spec);
    }
    ec2.pageSize(5 + random.nextInt(20));
    for (MemberMapping.AddressSource source : MemberMapping.AddressSource.values()) {
      MemberMapping.Builder m = MemberMapping.newBuilder().port(8080);
      if (source == MemberMapping.AddressSource.TAG) {
        m.addressTag("muster:port");
      } else {
        m.address(source);
      }
      assertSame(WEB, m.build());
      assertSame(Query.newBuilder().tagKey("role").states("running", "stopped").build(), m.build());
    }
    // Every way of choosing a network interface's address.
    for (MemberMapping.AddressSource source :
        List.of(
            MemberMapping.AddressSource.PRIVATE_IP,
            MemberMapping.AddressSource.PUBLIC_IP,
            MemberMapping.AddressSource.IPV6)) {
      for (int device = 0; device < 4; device++) {
        assertSame(
            WEB,
            MemberMapping.newBuilder().port(80).address(source).networkInterface(device).build());
      }
      assertSame(
          WEB,
          MemberMapping.newBuilder()
              .port(80)
              .address(source)
              .networkInterfaceDescription("device 2")
              .build());
    }
    for (int n = 1; n < 3; n++) {
      assertSame(WEB, MemberMapping.newBuilder().port(80).secondaryPrivateIp(n).build());
      assertSame(
          WEB,
          MemberMapping.newBuilder().port(80).networkInterface(1).secondaryPrivateIp(n).build());
    }
  }

  @Test
  void hostileTagsAreReadByteForByte() {
    List<String> values =
        List.of(
            "web\nserver evil 6.6.6.6:80",
            "a\rb",
            "tab\tbed",
            "x\u2028y",
            "<tag>&amp;</tag>",
            "]]><!-- -->",
            "\"quoted\" 'single'",
            "caf\u00e9 \u65e5\u672c emoji \uD83D\uDE00",
            "  padded  ",
            "",
            "x".repeat(10_000));
    for (String value : values) {
      ec2.fleet()
          .launch(
              1,
              Map.of(
                  "role",
                  "web",
                  "note",
                  value,
                  value.isEmpty() ? "k" : "k " + value.length(),
                  value));
    }
    assertSame(WEB, MemberMapping.newBuilder().port(80).build());
  }

  @Test
  void emptyPagesAndOddTokensAreFollowedToTheEnd() {
    // Matching instances few and far between: most pages of 5 are empty.
    for (int i = 0; i < 60; i++) {
      ec2.fleet().launch(1, Map.of("role", i % 13 == 0 ? "web" : "other"));
    }
    ec2.pageSize(5).oddTokens(true);
    ec2.clearRequests();

    assertSame(
        Query.newBuilder().tagKey("role").build(), MemberMapping.newBuilder().port(80).build());
    Snapshot streamed = fetch(true, WEB, MemberMapping.newBuilder().port(80).build());
    assertEquals(5, streamed.size());
  }

  @Test
  void anEmptyFleetIsOnePageOfNothing() {
    assertSame(WEB, MemberMapping.newBuilder().port(80).build());
    assertEquals(0, fetch(true, WEB, MemberMapping.newBuilder().port(80).build()).size());
  }

  @Test
  void aBodyCutShortIsAnUnparsableResponseThatTheClientRetries() {
    String body =
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><DescribeInstancesResponse "
            + "xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\"><requestId>r</requestId>"
            + "<reservationSet><item><instancesSet><item><instanceId>i-1</instanceId>";
    SdkClientException e =
        assertThrows(
            SdkClientException.class,
            () ->
                StreamingDescribeInstances.parse(
                    new ByteArrayInputStream(body.getBytes(StandardCharsets.UTF_8))));
    assertTrue(dev.muster.discovery.internal.SdkClients.isUnparsableResponse(e), e.getMessage());

    String doctype =
        "<?xml version=\"1.0\"?><!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/passwd\">]>"
            + "<DescribeInstancesResponse><requestId>&e;</requestId></DescribeInstancesResponse>";
    assertThrows(
        SdkClientException.class,
        () ->
            StreamingDescribeInstances.parse(
                new ByteArrayInputStream(doctype.getBytes(StandardCharsets.UTF_8))));
  }

  @Test
  void theStreamingSourceRetriesATruncatedPageLikeTheSdkPath() {
    ec2.fleet().launch(3, Map.of("role", "web"));
    ec2.malformedNext(1);
    Snapshot streamed = fetch(true, WEB, MemberMapping.newBuilder().port(80).build());
    assertEquals(3, streamed.size());
  }

  @Test
  void theStreamingPathIsTakenAndTheSdkUnmarshalsOnlyTheToken() {
    ec2.fleet().launch(7, Map.of("role", "web"));
    ec2.pageSize(5).oddTokens(true);
    try (var client =
        ec2.clientBuilder()
            .overrideConfiguration(
                o -> o.addExecutionInterceptor(StreamingDescribeInstances.INTERCEPTOR))
            .build()) {
      StreamingDescribeInstances.Page holder = new StreamingDescribeInstances.Page();
      var response =
          client.describeInstances(
              r ->
                  r.maxResults(5)
                      .overrideConfiguration(
                          o -> o.putExecutionAttribute(StreamingDescribeInstances.PAGE, holder)));

      assertEquals(5, holder.instances().size(), "parsed by the streaming path");
      assertTrue(response.reservations().isEmpty(), "the SDK saw no reservations");
      assertTrue(response.nextToken().startsWith("<odd & \"token\">"), response.nextToken());
      assertTrue(response.responseMetadata().requestId() != null);
    }
  }
}
