package dev.muster.discovery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.muster.fixtures.ManualScheduler;
import dev.muster.fixtures.MutableClock;
import dev.muster.testkit.FakeEc2;
import dev.muster.testkit.FakeInstance;
import dev.muster.testkit.RecordedRequest;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.services.ec2.model.Ec2Exception;

/** The EC2 source against the fake endpoint, through the real SDK client. */
class Ec2MembershipSourceTest {
  private FakeEc2 ec2;

  @BeforeEach
  void startFake() {
    ec2 = FakeEc2.start();
  }

  @AfterEach
  void stopFake() {
    ec2.close();
  }

  private Ec2MembershipSource source(Query query) {
    return source(query, m -> {});
  }

  private Ec2MembershipSource source(Query query, Consumer<MemberMapping.Builder> mapping) {
    MemberMapping.Builder m = MemberMapping.newBuilder().port(8080);
    mapping.accept(m);
    return Ec2MembershipSource.newBuilder()
        .client(ec2.client())
        .query(query)
        .mapping(m.build())
        .build();
  }

  private static Set<String> ids(Snapshot snapshot) {
    return snapshot.members().stream().map(Member::instanceId).collect(Collectors.toSet());
  }

  private static Set<String> ids(List<FakeInstance> instances) {
    return instances.stream().map(FakeInstance::instanceId).collect(Collectors.toSet());
  }

  @Test
  void sendsEveryFilterServerSide() {
    source(
            Query.newBuilder()
                .tag("role", "web", "api")
                .tagKey("muster")
                .vpcId("vpc-1")
                .subnetId("subnet-1")
                .availabilityZone("us-east-1a")
                .autoScalingGroup("web-asg")
                .filter("instance-type", "t3.*")
                .build())
        .fetch();

    RecordedRequest request = ec2.requests().get(0);
    Map<String, String> sent = request.params();
    assertEquals("DescribeInstances", request.action());
    assertEquals("1000", sent.get("MaxResults"));
    List<String> names =
        sent.entrySet().stream()
            .filter(e -> e.getKey().matches("Filter\\.\\d+\\.Name"))
            .map(Map.Entry::getValue)
            .sorted()
            .toList();
    assertEquals(
        List.of(
            "availability-zone",
            "instance-state-name",
            "instance-type",
            "subnet-id",
            "tag-key",
            "tag:aws:autoscaling:groupName",
            "tag:role",
            "vpc-id"),
        names);
    assertTrue(sent.containsValue("web") && sent.containsValue("api"));
    assertTrue(sent.containsValue("running"));
  }

  @Test
  void selectsByTagsWithWildcardsAndRunningStateByDefault() {
    List<FakeInstance> prod = ec2.fleet().launch(3, Map.of("cluster", "prod-eu"));
    ec2.fleet().launch(2, Map.of("cluster", "staging"));
    ec2.fleet().terminate(prod.get(0).instanceId());

    Snapshot snapshot = source(Query.newBuilder().tag("cluster", "prod-*").build()).fetch();

    assertEquals(ids(prod.subList(1, 3)), ids(snapshot));
  }

  @Test
  void autoScalingGroupQueryFindsTheGroup() {
    List<FakeInstance> group = ec2.fleet().scaleGroup("web-asg", 4, Map.of());
    ec2.fleet().scaleGroup("other-asg", 2, Map.of());

    Snapshot snapshot = source(Query.newBuilder().autoScalingGroup("web-asg").build()).fetch();

    assertEquals(ids(group), ids(snapshot));
  }

  @Test
  void autoScalingGroupNamesMatchExactlyNotAsWildcards() {
    List<FakeInstance> web = ec2.fleet().launch(2, Map.of("aws:autoscaling:groupName", "web*"));
    ec2.fleet().launch(2, Map.of("aws:autoscaling:groupName", "web-canary"));

    Snapshot snapshot = source(Query.newBuilder().autoScalingGroup("web*").build()).fetch();

    assertEquals(ids(web), ids(snapshot));
  }

  @Test
  void fetchesAllPagesOf2500InstancesInPagesOf7() {
    for (int i = 0; i < 25; i++) {
      ec2.fleet().launch(100, Map.of("role", "web"));
    }
    ec2.pageSize(7);
    Ec2MembershipSource source = source(Query.newBuilder().tag("role", "web").build());

    long start = System.nanoTime();
    Snapshot snapshot = source.fetch();
    long millis = (System.nanoTime() - start) / 1_000_000;

    assertEquals(2500, snapshot.size());
    assertEquals(ids(ec2.fleet().instances()), ids(snapshot));
    assertEquals(358, ec2.describeInstancesCalls(), "ceil(2500 / 7) pages");
    System.out.printf(
        "fetch of 2,500 instances in 358 pages of 7 through the SDK: %d ms%n", millis);
  }

  @Test
  void flattensReservationsAndSortsById() {
    ec2.fleet().launch(3, Map.of());
    ec2.fleet().launch(4, Map.of());

    Snapshot snapshot = source(Query.newBuilder().build()).fetch();

    assertEquals(7, snapshot.size());
    List<String> ids = snapshot.members().stream().map(Member::instanceId).toList();
    assertEquals(ids.stream().sorted().toList(), ids);
  }

  @Test
  void fillsEveryMemberFieldThatEc2Sets() {
    FakeInstance i =
        ec2.fleet().launch(1, s -> s.tag("role", "web").publicIp(true).ipv6(true)).get(0);

    Member m = source(Query.newBuilder().build()).fetch().members().get(0);

    assertEquals(i.instanceId(), m.instanceId());
    assertEquals(i.privateIp(), m.address());
    assertEquals(8080, m.port());
    assertEquals(100, m.weight());
    assertNotNull(m.privateIp());
    assertEquals(i.privateIp(), m.privateIp());
    assertEquals(i.publicIp(), m.publicIp());
    assertEquals(i.privateDnsName(), m.privateDnsName());
    assertEquals(i.ipv6(), m.ipv6());
    assertEquals(i.availabilityZone(), m.availabilityZone());
    assertEquals(i.subnetId(), m.subnetId());
    assertEquals(i.vpcId(), m.vpcId());
    assertEquals("running", m.state());
    assertEquals(i.launchTime(), m.launchTime());
    assertEquals(Map.of("role", "web"), m.tags());
  }

  @Test
  void resolvesEachAddressSource() {
    FakeInstance i =
        ec2.fleet()
            .launch(1, s -> s.publicIp(true).ipv6(true).tag("svc-address", "10.9.8.7"))
            .get(0);
    Query all = Query.newBuilder().build();

    assertEquals(
        i.publicIp(),
        source(all, m -> m.address(MemberMapping.AddressSource.PUBLIC_IP))
            .fetch()
            .members()
            .get(0)
            .address());
    assertEquals(
        i.privateDnsName(),
        source(all, m -> m.address(MemberMapping.AddressSource.PRIVATE_DNS))
            .fetch()
            .members()
            .get(0)
            .address());
    Member v6 =
        source(all, m -> m.address(MemberMapping.AddressSource.IPV6)).fetch().members().get(0);
    assertEquals(i.ipv6(), v6.address());
    assertEquals("[" + i.ipv6() + "]:8080", v6.hostPort());
    assertEquals(
        "10.9.8.7",
        source(all, m -> m.addressTag("svc-address")).fetch().members().get(0).address());
  }

  @Test
  void skipsAnInstanceWithoutTheChosenAddress() {
    ec2.fleet().launch(1, s -> s.publicIp(true));
    ec2.fleet().launch(1, s -> s.publicIp(false));

    Snapshot snapshot =
        source(Query.newBuilder().build(), m -> m.address(MemberMapping.AddressSource.PUBLIC_IP))
            .fetch();

    assertEquals(1, snapshot.size());
  }

  @Test
  void portAndWeightTagsOverrideTheDefaults() {
    ec2.fleet().launch(1, Map.of("muster:port", "9090", "muster:weight", "7"));

    Member m = source(Query.newBuilder().build()).fetch().members().get(0);

    assertEquals(9090, m.port());
    assertEquals(7, m.weight());
  }

  @Test
  void badPortTagSkipsTheInstanceAndBadWeightFallsBack() {
    ec2.fleet().launch(1, Map.of("muster:port", "99999"));
    ec2.fleet().launch(1, Map.of("muster:port", "+80"));
    FakeInstance ok = ec2.fleet().launch(1, Map.of("muster:weight", "abc")).get(0);
    ec2.fleet().launch(1, Map.of("muster:weight", "257", "muster:port", " 80"));

    Snapshot snapshot = source(Query.newBuilder().build()).fetch();

    assertEquals(Set.of(ok.instanceId()), ids(snapshot));
    assertEquals(100, snapshot.members().get(0).weight());
  }

  @Test
  void hostileTagValuesNeverReachAMemberUnvalidated() {
    List<String> hostile =
        List.of(
            "web\nserver evil 6.6.6.6:80",
            "a\rb",
            "x\u2028y",
            "x\u0085y",
            "rtl\u202Eoverride",
            "zero\u200Bwidth",
            "tab\tbed",
            "x".repeat(300_000),
            "x".repeat(257));
    List<String> harmless =
        List.of(
            "a;b",
            "{brace}",
            "#hash",
            "$dollar",
            "\"quoted\"",
            "caf\u00e9 \u65e5\u672c",
            "emoji \uD83D\uDE00");
    for (String value : hostile) {
      ec2.fleet().launch(1, Map.of("role", "web", "note", value));
    }
    for (String value : harmless) {
      ec2.fleet().launch(1, Map.of("role", "web", "note", value));
    }
    ec2.fleet().launch(1, Map.of("role", "web", "muster:port", "80\nserver evil"));
    ec2.fleet().launch(1, Map.of("role", "web", "svc", "10.0.0.1\nserver evil 6.6.6.6"));

    Snapshot snapshot = source(Query.newBuilder().tag("role", "web").build()).fetch();

    assertEquals(
        hostile.size() + harmless.size() + 1,
        snapshot.size(),
        "dropping a bad tag keeps the member; a bad port tag skips it");
    for (Member m : snapshot.members()) {
      for (Map.Entry<String, String> tag : m.tags().entrySet()) {
        assertTrue(
            tag.getValue()
                .chars()
                .noneMatch(c -> c < 0x20 || c == 0x85 || c == 0x2028 || c == 0x202E || c == 0x200B),
            tag.getValue());
        assertTrue(tag.getValue().length() <= 256);
      }
    }
    Set<String> notes =
        snapshot.members().stream()
            .map(m -> m.tag("note"))
            .filter(n -> n != null)
            .collect(Collectors.toSet());
    assertEquals(Set.copyOf(harmless), notes, "harmless text passes unchanged");
    Snapshot byTag =
        source(Query.newBuilder().tag("svc", "*").build(), m -> m.addressTag("svc")).fetch();
    assertEquals(0, byTag.size(), "a hostile address tag skips the instance");
  }

  @Test
  void throttlingIsRetriedBySdkAndThenSucceeds() {
    ec2.fleet().launch(3, Map.of());
    ec2.throttleNext(2);

    assertEquals(3, source(Query.newBuilder().build()).fetch().size());
    assertEquals(3, ec2.describeInstancesCalls());
  }

  @Test
  void failureOnPage2FailsTheWholeFetch() {
    ec2.fleet().launch(30, Map.of());
    ec2.pageSize(10).failPage(2);

    Ec2Exception e =
        assertThrows(Ec2Exception.class, () -> source(Query.newBuilder().build()).fetch());

    assertEquals("InternalError", e.awsErrorDetails().errorCode());
  }

  @Test
  void malformedResponseFailsTheFetchWhenEveryAttemptIsMalformed() {
    ec2.fleet().launch(3, Map.of());
    ec2.malformedNext(5);

    assertThrows(SdkClientException.class, () -> source(Query.newBuilder().build()).fetch());
  }

  @Test
  void aResponseCutShortIsRetriedByTheClientTheSourceBuilds() {
    ec2.fleet().launch(3, Map.of());
    ec2.malformedNext(1);

    try (Ec2MembershipSource source =
        Ec2MembershipSource.newBuilder()
            .region("us-east-1")
            .endpoint(ec2.endpoint())
            .credentials(
                software.amazon.awssdk.auth.credentials.StaticCredentialsProvider.create(
                    software.amazon.awssdk.auth.credentials.AwsBasicCredentials.create("a", "b")))
            .query(Query.newBuilder().build())
            .mapping(MemberMapping.newBuilder().port(80).build())
            .build()) {
      assertEquals(3, source.fetch().size());
    }
    assertEquals(2, ec2.describeInstancesCalls());
  }

  @Test
  void anAddressTagMustHoldAnIpAddressUnlessHostNamesAreAllowed() {
    String[] values = {
      "10.0.0.7", "abc", "true", "1e3", "0x7f000001", "127.1", "2600:1f18::9", "backend.internal"
    };
    for (String value : values) {
      ec2.fleet().launch(1, Map.of("role", "web", "addr", value));
    }
    Query web = Query.newBuilder().tag("role", "web").build();

    Set<String> strict =
        source(web, m -> m.addressTag("addr")).fetch().members().stream()
            .map(Member::address)
            .collect(Collectors.toSet());
    Set<String> names =
        source(web, m -> m.addressTag("addr").addressTagHostNames(true)).fetch().members().stream()
            .map(Member::address)
            .collect(Collectors.toSet());

    assertEquals(Set.of("10.0.0.7", "2600:1f18::9"), strict);
    assertEquals(
        Set.of("10.0.0.7", "2600:1f18::9", "abc", "true", "1e3", "backend.internal"),
        names,
        "0x7f000001 and 127.1 are addresses in disguise, never names");
  }

  @Test
  void excludesTheGivenInstances() {
    List<FakeInstance> launched = ec2.fleet().launch(3, Map.of());

    Snapshot snapshot =
        Ec2MembershipSource.newBuilder()
            .client(ec2.client())
            .query(Query.newBuilder().build())
            .mapping(MemberMapping.newBuilder().port(80).build())
            .exclude(launched.get(0).instanceId())
            .build()
            .fetch();

    assertEquals(ids(launched.subList(1, 3)), ids(snapshot));
  }

  @Test
  void departureReasonsSayWhyInstancesLeftWithoutAnotherRequest() {
    List<FakeInstance> launched = ec2.fleet().launch(4, Map.of("role", "web"));
    Ec2MembershipSource source = source(Query.newBuilder().tag("role", "web").build());
    source.fetch();
    ec2.fleet().terminate(launched.get(0).instanceId());
    ec2.fleet().untag(launched.get(1).instanceId(), "role");
    ec2.fleet().remove(launched.get(2).instanceId());
    source.fetch();
    int calls = ec2.describeInstancesCalls();

    Map<String, String> reasons = source.departureReasons(ids(launched));

    assertEquals(calls, ec2.describeInstancesCalls());
    assertEquals("terminated", reasons.get(launched.get(0).instanceId()));
    assertTrue(reasons.get(launched.get(1).instanceId()).startsWith("no longer matches"));
    assertEquals("gone", reasons.get(launched.get(2).instanceId()));
    assertEquals(3, reasons.size(), "the member that stayed has no reason");
  }

  @Test
  void aFleetChangeDuringPaginationNeverDropsAMemberThatStillRunsAndMatches() {
    List<FakeInstance> launched = ec2.fleet().launch(30, Map.of("role", "web"));
    ec2.pageSize(7);
    Ec2MembershipSource source = source(Query.newBuilder().tag("role", "web").build());
    assertEquals(30, source.fetch().size());
    String leaving = launched.get(2).instanceId(); // on page 1
    String shifted = launched.get(7).instanceId(); // first on page 2, shifts onto page 1
    ec2.beforePage(2, fleet -> fleet.terminate(leaving));

    Snapshot during = source.fetch();
    assertTrue(during.member(shifted).isPresent(), "the shifted member is kept");
    assertEquals(30, during.size(), "page 1 was read before the termination");
    Snapshot after = source.fetch();

    assertEquals(29, after.size());
    assertTrue(after.member(leaving).isEmpty());
    Map<String, String> reasons = source.departureReasons(Set.of(leaving, shifted));
    assertEquals(Map.of(leaving, "terminated"), reasons);
  }

  /**
   * Sparse pages (EC2 filters after it pages: short or empty pages that still carry a token) with
   * launches shifting every later page, in the walk and in whatever the source does to confirm a
   * departure: a member that still runs and matches is never missing from a fetch.
   */
  @Test
  void sparseShiftingPagesNeverDropAMemberThatStillRunsAndMatches() {
    ec2.fleet().launch(40, Map.of("role", "web"));
    ec2.fleet().launch(40, Map.of("role", "db")); // other instances make the pages sparse
    ec2.sparsePages(6);
    Ec2MembershipSource source = source(Query.newBuilder().tag("role", "web").build());
    Snapshot known = source.fetch();
    assertEquals(40, known.size());
    ec2.churnBetweenPages(Map.of("role", "db"));
    for (int round = 0; round < 20; round++) {
      Snapshot fetched = source.fetch(known);
      Set<String> running =
          ec2.fleet().running().stream()
              .filter(i -> "web".equals(i.tags().get("role")))
              .map(FakeInstance::instanceId)
              .collect(Collectors.toSet());
      for (Member m : known.members()) {
        assertTrue(
            fetched.member(m.instanceId()).isPresent() || !running.contains(m.instanceId()),
            "round " + round + ": " + m.instanceId() + " runs and matches but was dropped");
      }
      known = fetched;
    }
  }

  @Test
  void aPageShiftIsNotPublishedAsADepartureByTheLoop() {
    List<FakeInstance> launched = ec2.fleet().launch(30, Map.of("role", "web"));
    ec2.pageSize(7);
    MutableClock clock = new MutableClock();
    ManualScheduler scheduler = new ManualScheduler(clock);
    List<Changes> published = new java.util.ArrayList<>();
    try (Discovery discovery =
        Discovery.newBuilder()
            .source(source(Query.newBuilder().tag("role", "web").build()))
            .clock(clock)
            .scheduler(scheduler)
            .interval(Duration.ofSeconds(10))
            .jitter(0)
            .listener((snapshot, changes) -> published.add(changes))
            .build()) {
      discovery.start();
      scheduler.runDue();
      for (int i = 0; i < 3; i++) {
        String leaving = launched.get(i).instanceId();
        ec2.beforePage(2 + i, fleet -> fleet.terminate(leaving));
        scheduler.advance(Duration.ofSeconds(10));
      }
      scheduler.advance(Duration.ofSeconds(10));

      assertEquals(4, published.size());
      for (Changes changes : published.subList(1, published.size())) {
        assertEquals(1, changes.removed().size(), "only the terminated instance: " + changes);
        assertTrue(changes.added().isEmpty());
      }
      assertEquals(27, discovery.current().orElseThrow().size());
    }
  }

  @Test
  void buildsItsOwnClientWithRegionAndEndpoint() {
    ec2.fleet().launch(2, Map.of());

    try (Ec2MembershipSource source =
        Ec2MembershipSource.newBuilder()
            .region("us-east-1")
            .endpoint(ec2.endpoint())
            .credentials(
                software.amazon.awssdk.auth.credentials.StaticCredentialsProvider.create(
                    software.amazon.awssdk.auth.credentials.AwsBasicCredentials.create("a", "b")))
            .query(Query.newBuilder().build())
            .mapping(MemberMapping.newBuilder().port(80).build())
            .build()) {
      assertEquals(2, source.fetch().size());
    }
  }

  @Test
  void missingSettingsFailFastNamingTheSetting() {
    Query q = Query.newBuilder().build();
    MemberMapping m = MemberMapping.newBuilder().port(80).build();

    assertTrue(
        assertThrows(
                IllegalStateException.class,
                () -> Ec2MembershipSource.newBuilder().query(q).mapping(m).build())
            .getMessage()
            .startsWith("region is not set"));
    assertTrue(
        assertThrows(
                IllegalStateException.class,
                () -> Ec2MembershipSource.newBuilder().mapping(m).region("us-east-1").build())
            .getMessage()
            .startsWith("query is not set"));
    assertTrue(
        assertThrows(IllegalArgumentException.class, () -> MemberMapping.newBuilder().build())
            .getMessage()
            .startsWith("port"));
    assertTrue(
        assertThrows(
                IllegalStateException.class,
                () ->
                    Ec2MembershipSource.newBuilder()
                        .client(ec2.client())
                        .region("us-east-1")
                        .query(q)
                        .mapping(m)
                        .build())
            .getMessage()
            .contains("exclusive"));
  }

  @Test
  void discoveryKeepsTheLastGoodMembershipWhenPage2Fails() {
    ec2.fleet().launch(20, Map.of("role", "web"));
    ec2.pageSize(7);
    MutableClock clock = new MutableClock();
    ManualScheduler scheduler = new ManualScheduler(clock);
    try (Discovery discovery =
        Discovery.newBuilder()
            .source(source(Query.newBuilder().tag("role", "web").build()))
            .clock(clock)
            .scheduler(scheduler)
            .interval(Duration.ofSeconds(10))
            .jitter(0)
            .build()) {
      discovery.start();
      scheduler.runDue();
      assertEquals(20, discovery.current().orElseThrow().size());

      ec2.fleet().launch(5, Map.of("role", "web"));
      ec2.failPage(2);
      scheduler.advance(Duration.ofSeconds(10));

      assertEquals(20, discovery.current().orElseThrow().size());
      assertEquals(1, discovery.status().consecutiveFailures());
      ec2.clearFaults();
      scheduler.advance(Duration.ofSeconds(20));
      assertEquals(25, discovery.current().orElseThrow().size());
    }
  }

  @Test
  void missingCredentialsAreOneLineNamingTheChainAndWhatToSet() throws Exception {
    // The SDK's own chain of providers, none of which finds anything: its message lists each
    // provider's reason (well over a thousand characters).
    java.nio.file.Path empty = java.nio.file.Files.createTempFile("muster-empty", ".ini");
    try (var source =
        Ec2MembershipSource.newBuilder()
            .region("us-east-1")
            .endpoint(ec2.endpoint())
            .credentials(
                software.amazon.awssdk.auth.credentials.AwsCredentialsProviderChain.of(
                    software.amazon.awssdk.auth.credentials.SystemPropertyCredentialsProvider
                        .create(),
                    software.amazon.awssdk.auth.credentials.ProfileCredentialsProvider.builder()
                        .profileFile(
                            software.amazon.awssdk.profiles.ProfileFile.builder()
                                .content(empty)
                                .type(software.amazon.awssdk.profiles.ProfileFile.Type.CREDENTIALS)
                                .build())
                        .profileName("none")
                        .build()))
            .query(Query.newBuilder().tag("layer", "app").build())
            .mapping(MemberMapping.newBuilder().port(8080).build())
            .build()) {
      SdkClientException e = assertThrows(SdkClientException.class, () -> source.fetch(null));
      assertTrue(e.getMessage().length() > 300, e.getMessage());
      String said = source.describeFailure(e);
      assertTrue(said.startsWith("no AWS credentials: the SDK's default chain found none"), said);
      assertTrue(said.contains("AWS_PROFILE") && said.contains("instance profile"), said);
      assertEquals(-1, said.indexOf('\n'), said);
      assertTrue(said.length() < 400, said);
    } finally {
      java.nio.file.Files.delete(empty);
    }
  }
}
