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
 * fetches (an empty answer, a partial answer as from an EC2 glitch, a failing page, pages that
 * shift under a termination, sparse pages that shift under churn in the account), drains (from a
 * real termination, or from a message no termination follows), configuration reloads (SIGHUP, with
 * and without a state file) and apply outcomes (proxy down, hung socket, a restart of the agent)
 * drive one discovery loop and its pipeline, while a model proxy checks after every apply that:
 *
 * <ol>
 *   <li>it never holds fewer than {@code minMembers} members;
 *   <li>no member it held that still runs and matches is ever missing from it, unless drained;
 *   <li>a wrong view (a glitch shorter than the hold) is never applied, across reloads too: a
 *       reload never changes what the guard would publish;
 * </ol>
 *
 * and after every step that no member stays drained past its give-back time while EC2 lists it; and
 * once fetches and applies can succeed again, that the proxy holds exactly the running, matching
 * fleet within one hold period plus one retry period. {@link #SEEDS} seeds of {@link #STEPS} steps
 * each. Time is driven by hand; each sequence is repeatable from its seed.
 */
class ReliabilityModelTest {
  private static final Duration INTERVAL = Duration.ofSeconds(10);
  private static final Duration HOLD_MIN = Duration.ofSeconds(60);
  private static final Duration RETRY_MAX = Duration.ofSeconds(30);
  private static final int MIN_MEMBERS = 1;
  private static final Duration GIVE_BACK = Duration.ofMinutes(2);
  static final int SEEDS = 60;
  static final int STEPS = 40;

  @TempDir Path dir;

  private FakeEc2 ec2;
  private final MutableClock clock = new MutableClock();
  private final ManualScheduler scheduler = new ManualScheduler(clock);
  private final ModelProxy proxy = new ModelProxy();
  private Discovery discovery;
  private ConfigPipeline pipeline;
  private Random random;
  private int wrongEmptyFetches;
  private int wrongPartialFetches;
  private boolean stateFile;
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
      Set<String> drained = pipeline == null ? Set.of() : pipeline.drainingMembers();
      for (String id : live) {
        if (!next.contains(id) && running.contains(id) && !drained.contains(id)) {
          violations.add("removed " + id + ", which still runs and matches");
        }
      }
      boolean changed = !next.equals(live);
      if (changed) {
        Set<String> gone = new TreeSet<>(live);
        gone.removeAll(next);
        Set<String> added = new TreeSet<>(next);
        added.removeAll(live);
        trace.add(
            "  applied " + next.size() + " at " + clock.instant() + ": +" + added + " -" + gone);
      }
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
    startAgent(null, null);
  }

  /** A configuration reload: new loop and pipeline, continuing from the old ones. */
  private void reload() {
    Discovery oldLoop = discovery;
    ConfigPipeline oldPipeline = pipeline;
    startAgent(oldLoop, oldPipeline);
  }

  private void startAgent(Discovery previousLoop, ConfigPipeline previousPipeline) {
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
            if (wrongPartialFetches > 0 && known != null) {
              wrongPartialFetches--;
              // An EC2 glitch: 40% of what is published, a removal the guard must hold.
              List<Member> part = known.members().subList(0, known.size() * 4 / 10);
              return Snapshot.of(part, clock.instant());
            }
            return ec2Source.fetch(known);
          }

          @Override
          public Map<String, String> departureReasons(Set<String> ids) {
            return ec2Source.departureReasons(ids);
          }
        };
    ConfigPipeline.Builder pipelineBuilder =
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
            .target(proxy);
    if (previousPipeline != null) {
      pipelineBuilder.after(previousPipeline);
    }
    ConfigPipeline nextPipeline = pipelineBuilder.build();
    Discovery.Builder loop =
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
            .listener(nextPipeline.backend("web"));
    if (stateFile) {
      loop.stateFile(dir.resolve("web.state"));
    }
    if (previousLoop != null) {
      loop.after(previousLoop);
    }
    Discovery next = loop.build();
    if (previousLoop != null) {
      previousLoop.close();
      previousPipeline.close();
    }
    pipeline = nextPipeline;
    discovery = next;
    discovery.start();
    scheduler.runDue();
  }

  /** Drained members must be back once their give-back time passed, if EC2 still lists them. */
  private void checkDrains() {
    Set<String> running = running();
    pipeline
        .drains()
        .forEach(
            (id, drain) -> {
              if (running.contains(id) && clock.instant().isAfter(drain.giveBackAt())) {
                proxy.violations.add(id + " still drained past " + drain.giveBackAt());
              }
            });
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

  @RepeatedTest(SEEDS)
  void invariantsHoldUnderRandomFaults(RepetitionInfo info) {
    random = new Random(info.getCurrentRepetition() * 7919L);
    stateFile = random.nextInt(3) > 0;
    launch(5 + random.nextInt(30));
    ec2.fleet().launch(20, Map.of("role", "db")); // another service in the account
    startAgent();
    for (int step = 0; step < STEPS; step++) {
      ec2.clearFaults();
      ec2.pageSize(7);
      proxy.failure = null;
      int event = random.nextInt(17);
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
          if (stateFile) {
            stopAgent(); // a crash: the proxy keeps what it has, the state file stays
            startAgent();
          }
        }
        case 10 -> launch(5);
        case 11 -> {
          ec2.pageSize(0);
          ec2.sparsePages(5); // EC2's filtered paging, with churn shifting every page
          ec2.churnBetweenPages(Map.of("role", "db"));
        }
        case 12 -> wrongPartialFetches = 1 + random.nextInt(4); // seen for less than the hold
        case 13 -> reload(); // SIGHUP
        case 14 -> {
          // A drain no termination follows: a forged, replayed or misrouted message.
          List<String> ids = new ArrayList<>(proxy.live);
          if (ids.size() > 1) {
            drain(ids.get(random.nextInt(ids.size())));
          }
        }
        case 15 -> {
          // A real scale-in: drained, then terminated.
          List<String> ids = new ArrayList<>(proxy.live);
          ids.retainAll(running());
          if (ids.size() > 1) {
            String leaving = ids.get(random.nextInt(ids.size()));
            drain(leaving);
            scheduler.advance(Duration.ofSeconds(1 + random.nextInt(20)));
            ec2.fleet().terminate(leaving);
          }
        }
        default -> {}
      }
      scheduler.advance(Duration.ofSeconds(1 + random.nextInt(30)));
      checkDrains();
      assertEquals(List.of(), proxy.violations, String.join("\n", trace));
    }

    // Heal: fetches and applies succeed from now on.
    ec2.clearFaults();
    wrongEmptyFetches = 0;
    wrongPartialFetches = 0;
    proxy.failure = null;
    scheduler.advance(HOLD_MIN.plus(INTERVAL.multipliedBy(4)).plus(RETRY_MAX));
    scheduler.advance(GIVE_BACK);
    checkDrains();

    assertEquals(List.of(), proxy.violations, String.join("\n", trace));
    assertEquals(running(), proxy.live, "converged to the fleet\n" + String.join("\n", trace));
  }

  private void drain(String id) {
    try {
      pipeline.drain(Set.of(id), GIVE_BACK);
    } catch (ApplyException e) {
      // Refused (the last member) or the proxy is down: retried by the pipeline, as in the agent.
    }
  }
}
