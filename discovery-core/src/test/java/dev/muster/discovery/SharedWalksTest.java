package dev.muster.discovery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.muster.fixtures.ManualScheduler;
import dev.muster.fixtures.MutableClock;
import dev.muster.testkit.FakeEc2;
import dev.muster.testkit.FakeInstance;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.exception.SdkException;

/** Sources that ask the same question share a walk, counted at the fake EC2. */
class SharedWalksTest {
  private static final Query APP = Query.newBuilder().tag("layer", "app").build();
  private static final Query API = Query.newBuilder().tag("layer", "api").build();

  private static final StaticCredentialsProvider CREDENTIALS =
      StaticCredentialsProvider.create(AwsBasicCredentials.create("AKIDTEST", "secret"));

  private FakeEc2 ec2;
  private final MutableClock clock = new MutableClock();
  private SharedWalks walks;

  @BeforeEach
  void start() {
    ec2 = FakeEc2.start();
    walks = SharedWalks.within(Duration.ofSeconds(7), clock);
    ec2.fleet().launch(3, Map.of("layer", "app"));
    ec2.fleet().launch(2, Map.of("layer", "api"));
  }

  @AfterEach
  void stop() {
    walks.close();
    ec2.close();
  }

  private Ec2MembershipSource source(Query query, int port) {
    return Ec2MembershipSource.newBuilder()
        .sharedWalks(walks)
        .region(FakeEc2.REGION.id())
        .endpoint(ec2.endpoint())
        .credentials(CREDENTIALS)
        .query(query)
        .mapping(MemberMapping.newBuilder().port(port).build())
        .build();
  }

  private static List<String> hostPorts(Snapshot s) {
    return s.members().stream().map(Member::hostPort).sorted().collect(Collectors.toList());
  }

  @Test
  void twoBackendsWithOneQueryCostOneWalkAndKeepTheirOwnMapping() {
    Ec2MembershipSource web = source(APP, 8080);
    Ec2MembershipSource admin = source(APP, 9090);
    Ec2MembershipSource api = source(API, 9090);

    Snapshot webView = web.fetch();
    clock.advance(Duration.ofSeconds(3));
    Snapshot adminView = admin.fetch();
    api.fetch();

    assertEquals(2, ec2.describeInstancesCalls(), "one walk for APP, one for API");
    assertEquals(2, walks.walkCount());
    assertEquals(Map.of("DescribeInstances", 2L), walks.requestCounts());
    assertEquals(3, webView.size());
    assertEquals(
        hostPorts(webView).stream().map(h -> h.replace(":8080", ":9090")).toList(),
        hostPorts(adminView));
  }

  @Test
  void threeLoopsWithTwoQueriesWalkTwicePerTickAndRenderOncePerChange() {
    ManualScheduler scheduler = new ManualScheduler(clock);
    List<String> renders = new ArrayList<>();
    ConfigPipeline pipeline =
        ConfigPipeline.newBuilder()
            .scheduler(scheduler)
            .coalesce(Duration.ofMillis(500))
            .renderer(
                memberships -> {
                  String text = memberships.toString();
                  renders.add(text);
                  return text;
                })
            .target(content -> new ApplyResult(ApplyResult.Outcome.APPLIED, "ok"))
            .build();
    List<Discovery> loops = new ArrayList<>();
    Map.of("web", APP, "admin", APP, "api", API)
        .forEach(
            (name, query) ->
                loops.add(
                    Discovery.newBuilder()
                        .name(name)
                        .source(source(query, name.equals("web") ? 8080 : 9090))
                        .interval(Duration.ofSeconds(10))
                        .jitter(0)
                        .clock(clock)
                        .scheduler(scheduler)
                        .listener(pipeline.backend(name))
                        .build()));
    loops.forEach(Discovery::start);
    scheduler.advance(Duration.ofSeconds(1));
    assertEquals(2, ec2.describeInstancesCalls(), "the first tick: one walk per query");
    assertEquals(1, renders.size(), "the first view of the three backends, rendered once");

    for (int tick = 1; tick <= 5; tick++) {
      ec2.fleet().launch(1, Map.of("layer", "app"));
      scheduler.advance(Duration.ofSeconds(10));
      assertEquals(2 * (tick + 1), ec2.describeInstancesCalls(), "tick " + tick);
      assertEquals(1 + tick, renders.size(), "web and admin both changed: one render");
    }
    loops.forEach(Discovery::close);
    pipeline.close();
  }

  @Test
  void aWalkOlderThanTheWindowIsNotHandedOn() {
    Ec2MembershipSource web = source(APP, 8080);
    Ec2MembershipSource admin = source(APP, 9090);
    web.fetch();
    clock.advance(Duration.ofSeconds(7));
    FakeInstance late = ec2.fleet().launch(1, Map.of("layer", "app")).get(0);

    Snapshot adminView = admin.fetch();

    assertEquals(2, ec2.describeInstancesCalls());
    assertEquals(4, adminView.size(), "the new instance " + late.instanceId() + " is seen");
  }

  @Test
  void aFailedWalkIsNotSharedAndTheNextSourceWalksAgain() {
    Ec2MembershipSource web = source(APP, 8080);
    Ec2MembershipSource admin = source(APP, 9090);
    ec2.failNext(3, 500, "InternalError", "boom");
    assertThrows(SdkException.class, web::fetch);

    assertEquals(3, admin.fetch().size());
    assertEquals(1, walks.walkCount());
    assertEquals(
        4L, walks.requestCounts().get("DescribeInstances"), "three failed attempts and one walk");
  }

  @Test
  void aSharedWalkNeverLetsGoAMemberThatTheSourceHolds() {
    Ec2MembershipSource web = source(APP, 8080);
    Ec2MembershipSource admin = source(APP, 9090);
    Snapshot held = admin.fetch();
    // A walk that missed a member (pages shifted) is handed on; the member is looked up and kept.
    String shifted = held.members().get(0).instanceId();
    ec2.fleet().untag(shifted, "layer");
    clock.advance(Duration.ofSeconds(8));
    web.fetch();
    ec2.fleet().tag(shifted, "layer", "app");
    clock.advance(Duration.ofSeconds(1));

    Snapshot next = admin.fetch();

    assertEquals(hostPorts(held), hostPorts(next));
  }

  @Test
  void sourcesWithTheSameSettingsShareOneClient() {
    source(APP, 8080).fetch();
    source(API, 8080).fetch();
    ec2.clearRequests();
    // Closing a source that shares its client must leave the client open for the others.
    source(APP, 8080).close();
    clock.advance(Duration.ofSeconds(8));
    assertEquals(3, source(APP, 1).fetch().size());
  }
}
