package dev.muster.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.muster.testkit.FakeInstance.State;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.services.ec2.model.DescribeInstancesRequest;
import software.amazon.awssdk.services.ec2.model.Ec2Exception;
import software.amazon.awssdk.services.ec2.model.Filter;
import software.amazon.awssdk.services.ec2.model.Instance;
import software.amazon.awssdk.services.ec2.model.Reservation;

/** The fake speaks the Query protocol well enough for the real SDK client. */
class FakeEc2Test {
  private FakeEc2 ec2;

  @BeforeEach
  void start() {
    ec2 = FakeEc2.start();
  }

  @AfterEach
  void stop() {
    ec2.close();
  }

  private List<Instance> describe(Filter... filters) {
    return ec2
        .client()
        .describeInstancesPaginator(b -> b.filters(filters).maxResults(1000))
        .reservations()
        .stream()
        .flatMap(r -> r.instances().stream())
        .toList();
  }

  private static Filter filter(String name, String... values) {
    return Filter.builder().name(name).values(values).build();
  }

  @Test
  void sdkReadsEveryFieldThatIsSet() {
    FakeInstance launched =
        ec2.fleet().launch(1, spec -> spec.tag("role", "web").publicIp(true).ipv6(true)).get(0);

    Instance i = describe().get(0);

    assertEquals(launched.instanceId(), i.instanceId());
    assertEquals(launched.imageId(), i.imageId());
    assertEquals("running", i.state().nameAsString());
    assertEquals(16, i.state().code());
    assertEquals(launched.privateIp(), i.privateIpAddress());
    assertEquals(launched.publicIp(), i.publicIpAddress());
    assertEquals(launched.privateDnsName(), i.privateDnsName());
    assertEquals(launched.publicDnsName(), i.publicDnsName());
    assertEquals(launched.ipv6(), i.ipv6Address());
    assertEquals(launched.availabilityZone(), i.placement().availabilityZone());
    assertEquals(launched.subnetId(), i.subnetId());
    assertEquals(launched.vpcId(), i.vpcId());
    assertEquals(launched.instanceType(), i.instanceTypeAsString());
    assertEquals(launched.launchTime(), i.launchTime());
    assertEquals("web", i.tags().get(0).value());
    assertNotNull(i.publicIpAddress());
    assertNotNull(i.ipv6Address());
  }

  @Test
  void absentOptionalAddressesStayAbsent() {
    ec2.fleet().launch(1, Map.of());

    Instance i = describe().get(0);

    assertNull(i.publicIpAddress());
    assertNull(i.ipv6Address());
    assertEquals("", i.publicDnsName());
  }

  @Test
  void instancesLaunchedTogetherShareAReservation() {
    ec2.fleet().launch(3, Map.of());
    ec2.fleet().launch(2, Map.of());

    List<Reservation> reservations = ec2.client().describeInstances().reservations();

    assertEquals(List.of(3, 2), reservations.stream().map(r -> r.instances().size()).toList());
  }

  @Test
  void filtersAndWithinEachOtherAndValuesOr() {
    ec2.fleet().launch(2, Map.of("role", "web", "env", "prod"));
    ec2.fleet().launch(2, Map.of("role", "db", "env", "prod"));
    ec2.fleet().launch(2, Map.of("role", "web", "env", "test"));

    assertEquals(2, describe(filter("tag:role", "web"), filter("tag:env", "prod")).size());
    assertEquals(4, describe(filter("tag:role", "web", "db"), filter("tag:env", "prod")).size());
    assertEquals(6, describe(filter("tag-key", "role")).size());
    assertEquals(0, describe(filter("tag:role", "WEB")).size(), "values are case-sensitive");
  }

  @Test
  void wildcardsMatchLikeEc2() {
    ec2.fleet().launch(1, Map.of("cluster", "prod-eu"));
    ec2.fleet().launch(1, Map.of("cluster", "prod-us"));
    ec2.fleet().launch(1, Map.of("cluster", "staging"));

    assertEquals(2, describe(filter("tag:cluster", "prod-*")).size());
    assertEquals(1, describe(filter("tag:cluster", "prod-?s")).size());
    assertEquals(3, describe(filter("tag:cluster", "*")).size());
  }

  @Test
  void stateFilterSeesTerminatedInstancesOnlyWhenAsked() {
    List<FakeInstance> launched = ec2.fleet().launch(3, Map.of());
    ec2.fleet().terminate(launched.get(0).instanceId());
    ec2.fleet().setState(launched.get(1).instanceId(), State.STOPPED);

    assertEquals(1, describe(filter("instance-state-name", "running")).size());
    assertEquals(2, describe(filter("instance-state-code", "48", "80")).size());
    assertEquals(3, describe().size());
  }

  @Test
  void pagesThroughEverythingWithAForcedSmallPageSize() {
    ec2.fleet().launch(50, Map.of());
    ec2.pageSize(7);

    List<Instance> all = describe();

    assertEquals(50, all.size());
    assertEquals(50, all.stream().map(Instance::instanceId).collect(Collectors.toSet()).size());
    assertEquals(8, ec2.describeInstancesCalls());
    assertTrue(ec2.requests().stream().allMatch(r -> "1000".equals(r.param("MaxResults"))));
    assertTrue(
        ec2.requests().stream()
            .allMatch(r -> r.headers().get("authorization").startsWith("AWS4-HMAC-SHA256")),
        "the SDK signs every request");
  }

  @Test
  void maxResultsWithInstanceIdsIsAnInvalidCombination() {
    String id = ec2.fleet().launch(1, Map.of()).get(0).instanceId();

    Ec2Exception e =
        assertThrows(
            Ec2Exception.class,
            () ->
                ec2.client()
                    .describeInstances(
                        DescribeInstancesRequest.builder().instanceIds(id).maxResults(5).build()));

    assertEquals("InvalidParameterCombination", e.awsErrorDetails().errorCode());
    assertEquals(400, e.statusCode());
  }

  @Test
  void unknownFilterAndBadMaxResultsAreInvalidParameterValues() {
    Ec2Exception badFilter =
        assertThrows(Ec2Exception.class, () -> describe(filter("no-such-filter", "x")));
    Ec2Exception badMax =
        assertThrows(
            Ec2Exception.class, () -> ec2.client().describeInstances(b -> b.maxResults(1001)));

    assertEquals("InvalidParameterValue", badFilter.awsErrorDetails().errorCode());
    assertEquals("InvalidParameterValue", badMax.awsErrorDetails().errorCode());
  }

  @Test
  void unknownInstanceIdIsNotFound() {
    Ec2Exception e =
        assertThrows(
            Ec2Exception.class,
            () -> ec2.client().describeInstances(b -> b.instanceIds("i-00000000000000000")));

    assertEquals("InvalidInstanceID.NotFound", e.awsErrorDetails().errorCode());
  }

  @Test
  void sdkRetriesThrottlingAndThenSucceeds() {
    ec2.fleet().launch(2, Map.of());
    ec2.throttleNext(2);

    assertEquals(2, describe().size());
    assertEquals(3, ec2.describeInstancesCalls());
  }

  @Test
  void throttlingBeyondTheRetryBudgetSurfacesAsRequestLimitExceeded() {
    ec2.throttleNext(10);

    Ec2Exception e = assertThrows(Ec2Exception.class, this::describe);

    assertEquals("RequestLimitExceeded", e.awsErrorDetails().errorCode());
    assertEquals(503, e.statusCode());
    assertTrue(e.isThrottlingException());
  }

  @Test
  void aFailingPageFailsThePaginationEvenAfterRetries() {
    ec2.fleet().launch(20, Map.of());
    ec2.pageSize(7).failPage(2);

    Ec2Exception e = assertThrows(Ec2Exception.class, this::describe);

    assertEquals("InternalError", e.awsErrorDetails().errorCode());
    ec2.clearFaults();
    assertEquals(20, describe().size());
  }

  @Test
  void malformedXmlIsAClientError() {
    ec2.malformedNext(3);

    assertThrows(SdkClientException.class, this::describe);
  }

  @Test
  void hostileTagValuesSurviveTheWireUnchanged() {
    String hostile = "a\nserver evil 6.6.6.6:80\r\n;{}#$\"'<>&\t\u2028\u00e9\uD83D\uDE00";
    ec2.fleet().launch(1, Map.of("muster:port", hostile, "big", "x".repeat(300_000)));

    Instance i = describe().get(0);

    Map<String, String> tags =
        i.tags().stream().collect(Collectors.toMap(t -> t.key(), t -> t.value()));
    assertEquals(hostile, tags.get("muster:port"));
    assertEquals(300_000, tags.get("big").length());
  }

  @Test
  void fleetRefusesCharactersXmlCannotCarry() {
    String id = ec2.fleet().launch(1, Map.of()).get(0).instanceId();

    assertThrows(IllegalArgumentException.class, () -> ec2.fleet().tag(id, "k", "a\u0000b"));
  }

  @Test
  void scaleGroupLaunchesAndTerminatesToTheDesiredSize() {
    ec2.fleet().scaleGroup("web-asg", 5, Map.of("role", "web"));
    List<FakeInstance> removed = ec2.fleet().scaleGroup("web-asg", 2, Map.of());

    assertEquals(3, removed.size());
    assertTrue(removed.stream().allMatch(i -> i.state() == State.TERMINATED));
    Set<String> running =
        describe(
                filter("tag:aws:autoscaling:groupName", "web-asg"),
                filter("instance-state-name", "running"))
            .stream()
            .map(Instance::instanceId)
            .collect(Collectors.toSet());
    assertEquals(2, running.size());
    assertFalse(running.contains(removed.get(0).instanceId()));
  }

  @Test
  void anAccountWideBudgetThrottlesLikeEc2AndRefills() throws Exception {
    long[] now = {0};
    ApiBudget budget = ApiBudget.of(3, 20, () -> now[0]);
    ec2.apiBudget(budget);
    try (var client =
        ec2.clientBuilder()
            .overrideConfiguration(
                o ->
                    o.retryStrategy(
                        software.amazon.awssdk.awscore.retry.AwsRetryStrategy.doNotRetry()))
            .build()) {
      for (int i = 0; i < 3; i++) {
        client.describeInstances();
      }
      var throttled =
          org.junit.jupiter.api.Assertions.assertThrows(
              software.amazon.awssdk.services.ec2.model.Ec2Exception.class,
              client::describeInstances);
      org.junit.jupiter.api.Assertions.assertEquals(
          "RequestLimitExceeded", throttled.awsErrorDetails().errorCode());
      org.junit.jupiter.api.Assertions.assertTrue(throttled.isThrottlingException());
      now[0] += 100_000_000; // 100 ms at 20 per second: two tokens back
      client.describeInstances();
      client.describeInstances();
      org.junit.jupiter.api.Assertions.assertEquals(5, budget.taken());
      org.junit.jupiter.api.Assertions.assertEquals(1, budget.throttled());
    }
  }

  @Test
  void answersDescribeAvailabilityZonesAsPrometheusAsksIt() {
    var zones = ec2.client().describeAvailabilityZones().availabilityZones();
    org.junit.jupiter.api.Assertions.assertEquals(
        java.util.List.of("us-east-1a", "us-east-1b", "us-east-1c"),
        zones.stream().map(z -> z.zoneName()).toList());
    org.junit.jupiter.api.Assertions.assertEquals("use1-az1", zones.get(0).zoneId());
  }
}
