package dev.muster.discovery.internal;

import dev.muster.discovery.Member;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.services.autoscaling.AutoScalingClient;
import software.amazon.awssdk.services.autoscaling.model.AutoScalingInstanceDetails;
import software.amazon.awssdk.services.autoscaling.model.DescribeAutoScalingInstancesResponse;

/**
 * Keeps only members that Auto Scaling reports {@code InService}, so that an instance held in
 * {@code Pending:Wait} (not ready yet) or {@code Terminating:Wait} (being drained) is never routed
 * to. Asks {@code DescribeAutoScalingInstances} for 50 instance ids per call (the API's limit), and
 * only for those it does not know to be InService from the last {@code cacheFor}: an instance seen
 * InService is asked about again when its entry is that old, one in any other state at every fetch.
 * An instance that belongs to no group has no lifecycle state and is left out (warned once). A
 * failed call fails the fetch (the last good membership stays), as any failed page does.
 */
public final class InServiceFilter {
  private static final Logger log = LoggerFactory.getLogger("dev.muster.discovery");
  static final int BATCH = 50;
  static final String IN_SERVICE = "InService";

  private record Known(String state, Instant at) {}

  private final AutoScalingClient client;
  private final Duration cacheFor;
  private final Clock clock;
  private Map<String, Known> known = new HashMap<>();
  private long calls;

  /** A filter asking {@code client}, trusting an InService answer for {@code cacheFor}. */
  public InServiceFilter(AutoScalingClient client, Duration cacheFor, Clock clock) {
    this.client = client;
    this.cacheFor = cacheFor;
    this.clock = clock;
  }

  /**
   * Removes from {@code members} those not InService.
   *
   * @return why each removed member was removed, by instance id
   * @throws software.amazon.awssdk.core.exception.SdkException if a call fails after retries
   */
  public Map<String, String> filter(Map<String, Member> members) {
    Instant now = clock.instant();
    List<String> ask = new ArrayList<>();
    Map<String, Known> next = new HashMap<>(members.size() * 2);
    for (String id : members.keySet()) {
      Known k = known.get(id);
      if (k != null
          && k.state().equals(IN_SERVICE)
          && Duration.between(k.at(), now).compareTo(cacheFor) < 0) {
        next.put(id, k);
      } else {
        ask.add(id);
      }
    }
    for (int from = 0; from < ask.size(); from += BATCH) {
      List<String> batch = ask.subList(from, Math.min(ask.size(), from + BATCH));
      DescribeAutoScalingInstancesResponse response =
          client.describeAutoScalingInstances(b -> b.instanceIds(batch).maxRecords(BATCH));
      calls++;
      for (AutoScalingInstanceDetails d : response.autoScalingInstances()) {
        next.put(d.instanceId(), new Known(d.lifecycleState(), now));
      }
    }
    Map<String, String> removed = new TreeMap<>();
    for (var it = members.keySet().iterator(); it.hasNext(); ) {
      String id = it.next();
      Known k = next.get(id);
      if (k == null || !k.state().equals(IN_SERVICE)) {
        String why =
            k == null
                ? "in no Auto Scaling group (no lifecycle state)"
                : "Auto Scaling lifecycle state " + k.state();
        Known before = known.get(id);
        if (before == null || !before.state().equals(k == null ? "" : k.state())) {
          log.info("{}: left out, {} (only InService instances are members)", id, why);
        }
        next.putIfAbsent(id, new Known("", now));
        removed.put(id, why);
        it.remove();
      }
    }
    known = next;
    return removed;
  }

  /** {@code DescribeAutoScalingInstances} calls so far. */
  public long calls() {
    return calls;
  }
}
