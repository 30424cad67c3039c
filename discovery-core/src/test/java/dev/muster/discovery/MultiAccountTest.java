package dev.muster.discovery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.muster.testkit.FakeEc2;
import dev.muster.testkit.FakeInstance;
import dev.muster.testkit.FakeSts;
import dev.muster.testkit.RecordedRequest;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.sts.StsClient;
import software.amazon.awssdk.services.sts.auth.StsAssumeRoleCredentialsProvider;

/**
 * One backend over two accounts and two regions, through the real SDK: STS AssumeRole by the SDK's
 * own credentials provider (external id, session name, refresh before expiry) against the test
 * kit's STS, and each account's fleet asked with that account's credentials.
 */
class MultiAccountTest {
  private static final String PROD = "arn:aws:iam::111111111111:role/muster-read";
  private static final String EDGE = "arn:aws:iam::222222222222:role/muster-read";
  private FakeEc2 ec2;
  private FakeSts sts;
  private StsClient stsClient;
  private List<FakeInstance> prod;
  private List<FakeInstance> edge;

  @BeforeEach
  void start() {
    ec2 = FakeEc2.start();
    sts = FakeSts.start(ec2).role(PROD, "prod-ext").role(EDGE, null);
    stsClient = sts.clientBuilder().build();
    prod = ec2.fleet("111111111111", "us-east-1").launch(3, Map.of("role", "web"));
    edge = ec2.fleet("222222222222", "eu-west-1").launch(2, Map.of("role", "web"));
    ec2.fleet().launch(4, Map.of("role", "web")); // the caller's own account: not asked
  }

  @AfterEach
  void stop() {
    stsClient.close();
    sts.close();
    ec2.close();
  }

  private StsAssumeRoleCredentialsProvider role(String arn, String externalId) {
    return StsAssumeRoleCredentialsProvider.builder()
        .stsClient(stsClient)
        .refreshRequest(r -> r.roleArn(arn).externalId(externalId).roleSessionName("muster-test"))
        .build();
  }

  private Ec2MembershipSource source(String region, String arn, String externalId, String account) {
    return Ec2MembershipSource.newBuilder()
        .region(region)
        .endpoint(ec2.endpoint())
        .credentials(role(arn, externalId))
        .query(Query.newBuilder().tag("role", "web").build())
        .mapping(MemberMapping.newBuilder().port(80).build())
        .origin(region, account)
        .build();
  }

  @Test
  void eachAccountsFleetIsAskedWithThatAccountsCredentialsAndMembersSayWhere() {
    try (MembershipSource merged =
        MembershipSource.merge(
            List.of(
                source("us-east-1", PROD, "prod-ext", "111111111111"),
                source("eu-west-1", EDGE, null, "222222222222")))) {
      Snapshot s = merged.fetch();

      assertEquals(5, s.size());
      Map<String, String> accountOf =
          s.members().stream()
              .collect(Collectors.toMap(Member::instanceId, m -> m.tag("muster:account")));
      prod.forEach(i -> assertEquals("111111111111", accountOf.get(i.instanceId())));
      edge.forEach(i -> assertEquals("222222222222", accountOf.get(i.instanceId())));
      assertTrue(
          s.members().stream()
              .allMatch(
                  m ->
                      m.tag("muster:region")
                          .equals(
                              m.tag("muster:account").equals("111111111111")
                                  ? "us-east-1"
                                  : "eu-west-1")));
      List<RecordedRequest> describes =
          ec2.requests().stream().filter(r -> "DescribeInstances".equals(r.action())).toList();
      assertEquals(
          Set.of("111111111111", "222222222222"),
          describes.stream().map(ec2::accountOf).collect(Collectors.toSet()),
          "every call signed by an assumed role's key");
      assertEquals(2, sts.calls().size());
      assertEquals("prod-ext", sts.calls().get(0).externalId());
      assertEquals("muster-test", sts.calls().get(0).sessionName());
    }
  }

  @Test
  void credentialsAreRefreshedBeforeTheyExpire() {
    // Sessions of 30 s are inside the provider's 1-minute stale time: every fetch refreshes.
    sts.sessionLength(Duration.ofSeconds(30));
    try (Ec2MembershipSource source = source("us-east-1", PROD, "prod-ext", "111111111111")) {
      source.fetch();
      source.fetch();
    }
    assertTrue(sts.calls().size() >= 2, "refreshed: " + sts.calls());
  }

  @Test
  void aWrongExternalIdFailsTheWholeMergedFetch() {
    try (MembershipSource merged =
        MembershipSource.merge(
            List.of(
                source("us-east-1", PROD, "wrong", "111111111111"),
                source("eu-west-1", EDGE, null, "222222222222")))) {
      SdkException e = assertThrows(SdkException.class, merged::fetch);
      assertTrue(e.getMessage().contains("not authorized"), e.getMessage());
    }
  }

  @Test
  void aMemberOfAnotherOriginIsNotLookedUpHere() {
    try (Ec2MembershipSource source = source("us-east-1", PROD, "prod-ext", "111111111111")) {
      Member elsewhere =
          Member.newBuilder("i-0elsewhere")
              .address("10.9.9.9")
              .port(80)
              .tag("muster:region", "eu-west-1")
              .tag("muster:account", "222222222222")
              .build();
      source.fetch(Snapshot.of(List.of(elsewhere), java.time.Instant.EPOCH));
    }
    assertEquals(
        1,
        ec2.requests().stream().filter(r -> "DescribeInstances".equals(r.action())).count(),
        "one walk, no lookup of the other account's member");
  }
}
