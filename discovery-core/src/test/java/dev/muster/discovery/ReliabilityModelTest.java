package dev.muster.discovery;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.muster.fixtures.ManualScheduler;
import dev.muster.fixtures.MutableClock;
import dev.muster.testkit.FakeEc2;
import dev.muster.testkit.FakeInstance;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.RepetitionInfo;
import org.junit.jupiter.api.io.TempDir;

/**
 * Model-based test of the whole path, through the real SDK against the test kit's EC2: random
 * sequences of fleet changes (normal change, scale-out, mass removal, staircase), wrong or failed
 * fetches (an empty answer, a failing page, pages that shift under a termination) and apply
 * outcomes (proxy down, hung socket, a restart of the agent) drive one discovery loop and its
 * pipeline, while a model proxy checks after every apply that:
 *
 * <ol>
 *   <li>it never holds fewer than {@code minMembers} members;
 *   <li>no member that still runs and matches is ever removed from it;
 *   <li>once fetches and applies can succeed again, it holds exactly the running, matching fleet
 *       within one hold period plus one retry period.
 * </ol>
 *
 * Time is driven by hand; each sequence is repeatable from its seed.
 */
class ReliabilityModelTest {
  private static final Duration INTERVAL = Duration.ofSeconds(10);
  private static final Duration HOLD_MIN = Duration.ofSeconds(60);
  private static final Duration RETRY_MAX = Duration.ofSeconds(30);
  private static final int MIN_MEMBERS = 1;

  @TempDir Path dir;

  private FakeEc2 ec2;
  private final MutableClock clock = new MutableClock();
  private final ManualScheduler scheduler = new ManualScheduler(clock);
  private final ModelProxy proxy = new ModelProxy();
  private Discovery discovery;
  private ConfigPipeline pipeline;
  private Random random;
  private int wrongEmptyFetches;
  private final List<String> trace = new ArrayList<>();

  /** The proxy: holds the ids of the last applied file; checks the invariants on each apply. */
  private final class ModelProxy implements Target {
    Set<String> live = Set.of();
    String failure; // non-null: applies fail with this message
    final List<String> violations = new ArrayList<>();

    @Override
    public ApplyResult apply(String content) {
      if (failure != null) {
        throw new ApplyException(failure);
      }
      Set<String> next = content.isEmpty() ? Set.of() : new TreeSet<>(List.of(content.split("\n")));
      if (next.size() < MIN_MEMBERS) {
        violations.add("holds " + next.size() + " members, fewer than minMembers");
      }
      Set<String> running = running();
      for (String id : live) {
        if (!next.contains(id) && running.contains(id)) {
          violations.add("removed " + id + ", which still runs and matches");
        }
      }
      boolean changed = !next.equals(live);
      live = next;
      return changed ? new ApplyResult(ApplyResult.Outcome.APPLIED, "") : ApplyResult.UNCHANGED;
    }
  }

  @BeforeEach
  void start() {
    ec2 = FakeEc2.start();
    ec2.pageSize(7);
  }

  @AfterEach
  void stop() {
    stopAgent();
    ec2.close();
  }

  private Set<String> running() {
    return ec2.fleet().running().stream()
        .filter(i -> "web".equals(i.tags().get("role")))
        .map(FakeInstance::instanceId)
        .collect(Collectors.toCollection(TreeSet::new));
  }

  private void startAgent() {
    Ec2MembershipSource ec2Source =
        Ec2MembershipSource.newBuilder()
            .client(ec2.client())
            .query(Query.newBuilder().tag("role", "web").build())
            .mapping(MemberMapping.newBuilder().port(80).build())
            .clock(clock)
            .build();
    MembershipSource source =
        new MembershipSource() {
          @Override
          public Snapshot fetch() {
            return fetch(null);
          }

          @Override
          public Snapshot fetch(Snapshot known) {
            if (wrongEmptyFetches > 0) {
              wrongEmptyFetches--;
              return Snapshot.empty(clock.instant()); // as from a wrong region or a tag typo
            }
            return ec2Source.fetch(known);
          }

          @Override
          public Map<String, String> departureReasons(Set<String> ids) {
            return ec2Source.departureReasons(ids);
          }
        };
    pipeline =
        ConfigPipeline.newBuilder()
            .name("model")
            .clock(clock)
            .scheduler(scheduler)
            .random(new Random(random.nextLong()))
            .retryBackoff(Duration.ofSeconds(1), RETRY_MAX)
            .renderer(
                m ->
                    m.get("web").members().stream()
                        .map(Member::instanceId)
                        .collect(Collectors.joining("\n")))
            .target(proxy)
            .build();
    discovery =
        Discovery.newBuilder()
            .name("web")
            .source(source)
            .clock(clock)
            .scheduler(scheduler)
            .random(new Random(random.nextLong()))
            .interval(INTERVAL)
            .holdMin(HOLD_MIN)
            .confirmations(3)
            .minMembers(MIN_MEMBERS)
            .waitMin(random.nextBoolean() ? Duration.ZERO : Duration.ofSeconds(5))
            .stateFile(dir.resolve("web.state"))
            .listener(pipeline.backend("web"))
            .build();
    discovery.start();
    scheduler.runDue();
  }

  private void stopAgent() {
    if (discovery != null) {
      discovery.close();
      discovery = null;
    }
    if (pipeline != null) {
      pipeline.close();
      pipeline = null;
    }
  }

  private List<FakeInstance> launch(int count) {
    return ec2.fleet().launch(count, Map.of("role", "web"));
  }

  private void terminate(int count) {
    List<String> ids = new ArrayList<>(running());
    java.util.Collections.shuffle(ids, random);
    for (String id : ids.subList(0, Math.min(count, ids.size() - 1))) { // keep one
      ec2.fleet().terminate(id);
    }
  }

  @RepeatedTest(40)
  void invariantsHoldUnderRandomFaults(RepetitionInfo info) {
    random = new Random(info.getCurrentRepetition() * 7919L);
    launch(5 + random.nextInt(30));
    startAgent();
    for (int step = 0; step < 30; step++) {
      ec2.clearFaults();
      ec2.pageSize(7);
      proxy.failure = null;
      int event = random.nextInt(12);
      trace.add(step + ": event " + event + ", " + running().size() + " running");
      switch (event) {
        case 0 -> launch(1 + random.nextInt(3));
        case 1 -> terminate(1 + random.nextInt(2));
        case 2 -> terminate(running().size() * (6 + random.nextInt(3)) / 10); // mass removal
        case 3 -> terminate(running().size() * 45 / 100); // a staircase step
        case 4 -> wrongEmptyFetches = 1 + random.nextInt(8);
        case 5 -> ec2.failPage(2);
        case 6 -> {
          List<String> ids = new ArrayList<>(running());
          String leaving = ids.get(random.nextInt(ids.size()));
          if (ids.size() > 1) {
            ec2.beforePage(2, fleet -> fleet.terminate(leaving)); // pages shift
          }
        }
        case 7 -> proxy.failure = "reload failed: master CLI: Broken pipe";
        case 8 -> proxy.failure = "reload failed: master.sock did not answer within 5000 ms";
        case 9 -> {
          stopAgent(); // a crash: the proxy keeps what it has, the state file stays
          startAgent();
        }
        case 10 -> launch(5);
        default -> {}
      }
      scheduler.advance(Duration.ofSeconds(1 + random.nextInt(30)));
      assertEquals(List.of(), proxy.violations, String.join("\n", trace));
    }

    // Heal: fetches and applies succeed from now on.
    ec2.clearFaults();
    wrongEmptyFetches = 0;
    proxy.failure = null;
    scheduler.advance(HOLD_MIN.plus(INTERVAL.multipliedBy(4)).plus(RETRY_MAX));

    assertEquals(List.of(), proxy.violations, String.join("\n", trace));
    assertEquals(running(), proxy.live, "converged to the fleet\n" + String.join("\n", trace));
  }
}
