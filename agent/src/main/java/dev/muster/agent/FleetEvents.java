package dev.muster.agent;

import dev.muster.discovery.ApplyException;
import dev.muster.discovery.ConfigPipeline;
import dev.muster.discovery.Discovery;
import dev.muster.discovery.Member;
import dev.muster.events.EventIntake;
import dev.muster.haproxy.Haproxy;
import dev.muster.kamailio.DispatcherReloader;
import dev.muster.kamailio.Kamailio;
import dev.muster.nginx.Nginx;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.IntSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the agent does for fleet events: a refresh makes every loop fetch now (with a fresh walk); a
 * drain takes the instance out of every output that holds it and returns once each applied that
 * (HAProxy runtime mode: its sessions reached 0 or the output's drain timeout passed; HAProxy file
 * mode with a master socket and nginx: the proxy reloaded without it and its old workers, which
 * finish the connections they had, exited; Kamailio: reloaded without it, then every call through
 * it ended, as the dialog module counts them); a launching instance is ready once every output that
 * holds it applied it (HAProxy runtime mode applies a new member only after its check passed).
 */
final class FleetEvents implements EventIntake.Handler {
  private static final Logger log = LoggerFactory.getLogger("dev.muster.agent");

  private final Assembly assembly;
  private final Duration drainTimeout;
  private final Duration refreshSpread;

  FleetEvents(Assembly assembly, Duration drainTimeout, Duration refreshSpread) {
    this.assembly = assembly;
    this.drainTimeout = drainTimeout;
    this.refreshSpread = refreshSpread;
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
    Duration slowest =
        assembly.config.backends().values().stream()
            .map(b -> b.loop().interval())
            .max(Duration::compareTo)
            .orElse(Duration.ZERO);
    return drainTimeout.plus(GIVE_BACK_GRACE).plus(slowest.multipliedBy(2));
  }

  private static final Duration GIVE_BACK_GRACE = Duration.ofMinutes(1);

  @Override
  public void drain(String instanceId) throws InterruptedException {
    Instant deadline = Instant.now().plus(drainTimeout);
    for (Map.Entry<String, ConfigPipeline> e : assembly.pipelines.entrySet()) {
      ConfigPipeline pipeline = e.getValue();
      if (!holds(pipeline, instanceId)) {
        continue;
      }
      // Where the member is, for proxies whose sessions outlive the reload (Kamailio's calls).
      Member member =
          pipeline.memberships().values().stream()
              .map(s -> s.member(instanceId))
              .flatMap(Optional::stream)
              .findFirst()
              .orElse(null);
      AgentConfig.Output output = assembly.config.outputs().get(e.getKey());
      // nginx's workers before the reload: the drain ends when the last of them exited.
      Set<Long> workersBefore = nginxWorkers(output);
      while (true) {
        try {
          pipeline.drain(Set.of(instanceId), giveBackAfter());
          log.info("output {}: {} drained", e.getKey(), instanceId);
          if (output != null) {
            awaitSessionsEnded(output, member, workersBefore, deadline);
          }
          break;
        } catch (ApplyException refused) {
          if (Instant.now().isAfter(deadline)) {
            log.warn("output {}: {} not drained: {}", e.getKey(), instanceId, refused.getMessage());
            break;
          }
          // The last member of a backend, or the proxy not answering: wait for a replacement to
          // join (the refresh fetches it) or the proxy to come back.
          log.info(
              "output {}: draining {} waits: {}", e.getKey(), instanceId, refused.getMessage());
          refresh(Set.of(instanceId));
          Thread.sleep(2_000);
        }
      }
    }
  }

  /**
   * After the output applied the drain: file outputs wait for the proxy's old workers (which finish
   * the connections they had at the reload), Kamailio for the member's calls to end; each bounded
   * by the deadline. HAProxy runtime mode waited for its sessions inside the apply.
   */
  private static void awaitSessionsEnded(
      AgentConfig.Output output, Member member, Set<Long> workersBefore, Instant deadline)
      throws InterruptedException {
    switch (output.type()) {
      case "kamailio" -> {
        if (member != null) {
          awaitCallsEnded(output, member, deadline);
        }
      }
      case "nginx" ->
          awaitZero(
              () -> {
                Set<Long> left = new java.util.HashSet<>(workersBefore);
                left.retainAll(Nginx.workers(output.mainConfig()));
                return left.size();
              },
              output,
              "old nginx workers",
              deadline,
              200);
      case "haproxy" -> {
        if (output.mode().equals("file")
            && output.reload() != null
            && output.reload().masterSocket() != null) {
          Path socket = output.reload().masterSocket();
          awaitZero(() -> Haproxy.oldWorkers(socket), output, "old HAProxy workers", deadline, 200);
        }
      }
      default -> {}
    }
  }

  private static Set<Long> nginxWorkers(AgentConfig.Output output) {
    if (output == null || !output.type().equals("nginx")) {
      return Set.of();
    }
    try {
      return Nginx.workers(output.mainConfig());
    } catch (ApplyException e) {
      log.warn("output {}: cannot list nginx's workers: {}", output.name(), e.getMessage());
      return Set.of();
    }
  }

  /** Polls {@code count} every {@code periodMillis} until it is 0 or the deadline passes. */
  private static void awaitZero(
      IntSupplier count,
      AgentConfig.Output output,
      String what,
      Instant deadline,
      long periodMillis)
      throws InterruptedException {
    int left = -1;
    while (Instant.now().isBefore(deadline)) {
      try {
        left = count.getAsInt();
      } catch (ApplyException e) {
        log.warn("output {}: cannot count {}: {}", output.name(), what, e.getMessage());
        return;
      }
      if (left == 0) {
        log.info("output {}: no {} left", output.name(), what);
        return;
      }
      Thread.sleep(periodMillis);
    }
    log.warn("output {}: {} {} still running at the drain timeout", output.name(), left, what);
  }

  /**
   * Kamailio keeps routing a call's in-dialog requests to the destination that answered it, after
   * the destination left the list: waits until the dialog module counts no call through it (or the
   * deadline), polling {@code dlg.profile_get_size} every second.
   */
  private static void awaitCallsEnded(AgentConfig.Output output, Member member, Instant deadline)
      throws InterruptedException {
    DispatcherReloader rpc = Kamailio.reloader(output.rpc(), output.file()).build();
    String destination = "sip:" + member.hostPort();
    awaitZero(
        () -> (int) Math.min(Integer.MAX_VALUE, rpc.activeCalls(destination)),
        output,
        "call(s) through " + destination,
        deadline,
        1_000);
  }

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
