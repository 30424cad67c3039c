package dev.muster.agent;

import dev.muster.discovery.ApplyException;
import dev.muster.discovery.ConfigPipeline;
import dev.muster.discovery.Discovery;
import dev.muster.discovery.Drain;
import dev.muster.events.EventIntake;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;

/**
 * What the agent does for fleet events: a refresh makes every loop fetch now (with a fresh walk); a
 * drain takes the instance out of every output that holds it and returns once each applied that and
 * the sessions that outlive the apply ended, as the output's sink counts them ({@link
 * dev.muster.discovery.Sink#drain}: old workers, calls; HAProxy's runtime API waits inside its
 * apply), bounded by the drain timeout; a launching instance is ready once every output that holds
 * it applied it (HAProxy runtime mode applies a new member only after its check passed). Time is
 * the given clock and sleeper.
 */
final class FleetEvents implements EventIntake.Handler {
  private static final Logger log = LoggerFactory.getLogger("dev.muster.agent");

  private final Assembly assembly;
  private final Duration drainTimeout;
  private final Duration refreshSpread;

  private final Clock clock;
  private final Drain.Sleeper sleeper;

  FleetEvents(
      Assembly assembly,
      Duration drainTimeout,
      Duration refreshSpread,
      Clock clock,
      Drain.Sleeper sleeper) {
    this.assembly = assembly;
    this.drainTimeout = drainTimeout;
    this.refreshSpread = refreshSpread;
    this.clock = clock;
    this.sleeper = sleeper;
  }

  /**
   * The event intake of {@code assembly}'s {@code events} settings, in its region with {@code
   * credentials} ({@code null}: the SDK's chain), its handler a {@code FleetEvents} on the system
   * clock; not started.
   *
   * @throws IllegalArgumentException naming the setting the intake's builder refused
   */
  static EventIntake intake(Assembly assembly, AwsCredentialsProvider credentials) {
    AgentConfig config = assembly.config;
    AgentConfig.Events events = config.events();
    EventIntake.Builder intake =
        EventIntake.newBuilder()
            .region(assembly.region)
            .endpoints(config.aws().sqsEndpoint(), config.aws().autoScalingEndpoint())
            .queueUrl(events.queue().toString())
            .lifecycleHook(events.lifecycleHook())
            .drainTimeout(events.drainTimeout())
            .heartbeatInterval(events.heartbeatInterval())
            .visibilityTimeout(events.visibilityTimeout())
            .launchActions(events.launchActions())
            .handler(
                new FleetEvents(
                    assembly,
                    events.drainTimeout(),
                    events.refreshSpread(),
                    Clock.systemUTC(),
                    Drain.Sleeper.SYSTEM));
    if (credentials != null) {
      intake.credentials(credentials);
    }
    return intake.build();
  }

  /**
   * Every loop fetches with a fresh walk: at once, or at a random moment within the refresh spread,
   * so that a thousand hosts that get the same event do not spend the account's API budget in one
   * second.
   */
  @Override
  public void refresh(Set<String> instanceIds) {
    if (refreshSpread.isZero()) {
      refreshNow();
      return;
    }
    long delay = ThreadLocalRandom.current().nextLong(refreshSpread.toMillis() + 1);
    CompletableFuture.runAsync(
        this::refreshNow, CompletableFuture.delayedExecutor(delay, TimeUnit.MILLISECONDS));
  }

  private void refreshNow() {
    assembly.walks.invalidate();
    for (Discovery loop : assembly.loops.values()) {
      try {
        loop.refresh();
      } catch (IllegalStateException closed) {
        return; // a SIGHUP replaced this assembly meanwhile
      }
    }
  }

  /**
   * How long a drained member stays out while EC2 still lists it: the drain timeout (the action is
   * completed by then), then a minute and two polls of the slowest backend for the termination to
   * show. Past that no termination is coming (a forged or replayed message, a Spot warning that
   * came to nothing) and the member is given back.
   */
  Duration giveBackAfter() {
    return giveBackAfter(assembly.config, drainTimeout);
  }

  /** {@link #giveBackAfter()} for {@code config}'s drain timeout (300 s without events). */
  static Duration giveBackAfter(AgentConfig config) {
    return giveBackAfter(
        config, config.events() == null ? Duration.ofSeconds(300) : config.events().drainTimeout());
  }

  private static Duration giveBackAfter(AgentConfig config, Duration drainTimeout) {
    Duration slowest =
        config.backends().values().stream()
            .map(b -> b.loop().interval())
            .max(Duration::compareTo)
            .orElse(Duration.ZERO);
    return drainTimeout.plus(GIVE_BACK_GRACE).plus(slowest.multipliedBy(2));
  }

  private static final Duration GIVE_BACK_GRACE = Duration.ofMinutes(1);

  @Override
  public void drain(String instanceId) throws InterruptedException {
    Instant deadline = clock.instant().plus(drainTimeout);
    Set<String> ids = Set.of(instanceId);
    for (Map.Entry<String, ConfigPipeline> e : assembly.pipelines.entrySet()) {
      ConfigPipeline pipeline = e.getValue();
      if (!holds(pipeline, instanceId)) {
        continue;
      }
      // What outlives the apply (old workers, calls), as the output's proxy counts it.
      Drain sessions = pipeline.prepareDrain(ids);
      if (assembly.config.outputs().get(e.getKey()).keepsDrainingMembers()) {
        sessions.await(deadline);
        log.info("output {}: {} drained, kept until it is gone", e.getKey(), instanceId);
        continue;
      }
      while (true) {
        try {
          pipeline.drain(ids, giveBackAfter());
          log.info("output {}: {} drained", e.getKey(), instanceId);
          sessions.await(deadline);
          break;
        } catch (ApplyException refused) {
          if (clock.instant().isAfter(deadline)) {
            log.warn("output {}: {} not drained: {}", e.getKey(), instanceId, refused.getMessage());
            break;
          }
          // The last member of a backend, or the proxy not answering: wait for a replacement to
          // join (the refresh fetches it) or the proxy to come back.
          log.info(
              "output {}: draining {} waits: {}", e.getKey(), instanceId, refused.getMessage());
          refresh(ids);
          sleeper.sleep(RETRY);
        }
      }
    }
  }

  private static final Duration RETRY = Duration.ofSeconds(2);

  @Override
  public boolean ready(String instanceId) {
    boolean held = false;
    for (ConfigPipeline pipeline : assembly.pipelines.values()) {
      if (holds(pipeline, instanceId)) {
        held = true;
        if (pipeline.pendingSince() != null || pipeline.lastResult() == null) {
          return false;
        }
      }
    }
    return held;
  }

  private static boolean holds(ConfigPipeline pipeline, String instanceId) {
    return pipeline.memberships().values().stream().anyMatch(s -> s.member(instanceId).isPresent());
  }
}
