package dev.muster.agent;

import dev.muster.discovery.ApplyException;
import dev.muster.discovery.ConfigPipeline;
import dev.muster.discovery.Discovery;
import dev.muster.discovery.Member;
import dev.muster.events.EventIntake;
import dev.muster.kamailio.DispatcherReloader;
import dev.muster.kamailio.Kamailio;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the agent does for fleet events: a refresh makes every loop fetch now (with a fresh walk); a
 * drain takes the instance out of every output that holds it and returns once each applied that
 * (HAProxy runtime mode: its sessions reached 0 or the output's drain timeout passed; file outputs:
 * the proxy reloaded without it; Kamailio: reloaded without it, then every call through it ended,
 * as the dialog module counts them); a launching instance is ready once every output that holds it
 * applied it (HAProxy runtime mode applies a new member only after its check passed).
 */
final class FleetEvents implements EventIntake.Handler {
  private static final Logger log = LoggerFactory.getLogger("dev.muster.agent");

  private final Assembly assembly;
  private final Duration drainTimeout;

  FleetEvents(Assembly assembly, Duration drainTimeout) {
    this.assembly = assembly;
    this.drainTimeout = drainTimeout;
  }

  @Override
  public void refresh(Set<String> instanceIds) {
    assembly.walks.invalidate();
    assembly.loops.values().forEach(Discovery::refresh);
  }

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
      while (true) {
        try {
          pipeline.drain(Set.of(instanceId));
          log.info("output {}: {} drained", e.getKey(), instanceId);
          AgentConfig.Output output = assembly.config.outputs().get(e.getKey());
          if (member != null && output != null && output.type().equals("kamailio")) {
            awaitCallsEnded(output, member, deadline);
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
   * Kamailio keeps routing a call's in-dialog requests to the destination that answered it, after
   * the destination left the list: waits until the dialog module counts no call through it (or the
   * deadline), polling {@code dlg.profile_get_size} every second.
   */
  private static void awaitCallsEnded(AgentConfig.Output output, Member member, Instant deadline)
      throws InterruptedException {
    DispatcherReloader rpc = Kamailio.reloader(output.rpc(), output.file()).build();
    String destination = "sip:" + member.hostPort();
    long calls = -1;
    while (Instant.now().isBefore(deadline)) {
      try {
        calls = rpc.activeCalls(destination);
      } catch (ApplyException e) {
        log.warn(
            "output {}: cannot count the calls through {}: {}",
            output.name(),
            destination,
            e.getMessage());
        return;
      }
      if (calls == 0) {
        log.info("output {}: no call left through {}", output.name(), destination);
        return;
      }
      Thread.sleep(1_000);
    }
    log.warn(
        "output {}: {} call(s) still through {} at the drain timeout",
        output.name(),
        calls,
        destination);
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
