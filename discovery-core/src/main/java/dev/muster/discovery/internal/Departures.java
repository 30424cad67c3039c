package dev.muster.discovery.internal;

import dev.muster.discovery.Member;
import dev.muster.discovery.Query;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.ec2.model.DescribeInstancesRequest;
import software.amazon.awssdk.services.ec2.model.Filter;
import software.amazon.awssdk.services.ec2.model.Instance;

/**
 * Confirms that members a walk did not list really left: asks EC2 for them by {@code InstanceIds}
 * (exact, never paged), keeps those that still run and match, and says why the others left.
 */
public final class Departures {
  private static final Logger log = LoggerFactory.getLogger("dev.muster.discovery");
  private static final int CHUNK = 200;

  /**
   * Adds the members of {@code instances} to {@code into}, and every listed id to {@code listed}.
   */
  @FunctionalInterface
  public interface Adder {
    void add(List<Instance> instances, Map<String, Member> into, Set<String> listed);
  }

  private final Ec2Client client;
  private final Query query;
  private final List<Filter> filters;
  private final Set<String> excluded;
  private final Adder adder;

  /**
   * @param filters the walk's filters (an instance found by id must still match them)
   * @param excluded instance ids the source leaves out
   */
  public Departures(
      Ec2Client client, Query query, List<Filter> filters, Set<String> excluded, Adder adder) {
    this.client = client;
    this.query = query;
    this.filters = List.copyOf(filters);
    this.excluded = Set.copyOf(excluded);
    this.adder = adder;
  }

  /**
   * Looks up members of the previous fetch that this walk did not list, by {@code InstanceIds}
   * (exact: no paging, so no page that shifts can hide one): those that still run and match are put
   * back into {@code members}; the others get a reason. A walk is never proof of a departure.
   */
  public Map<String, String> confirm(Set<String> missing, Map<String, Member> members) {
    List<String> ids = new ArrayList<>(missing);
    Map<String, String> reasons = new HashMap<>();
    for (int from = 0; from < ids.size(); from += CHUNK) {
      List<String> chunk = ids.subList(from, Math.min(ids.size(), from + CHUNK));
      Map<String, Member> found = new HashMap<>();
      Set<String> listed = new HashSet<>();
      Set<String> gone = new HashSet<>();
      byIds(chunk, filters, instances -> adder.add(instances, found, listed), gone);
      if (!found.isEmpty()) {
        log.info(
            "{}: kept {} member(s) that no page listed but that still run and match "
                + "(the fleet changed while the pages were read): {}",
            query,
            found.size(),
            new TreeSet<>(found.keySet()));
        members.putAll(found);
      }
      for (String id : listed) {
        if (!found.containsKey(id)) {
          reasons.put(
              id,
              excluded.contains(id)
                  ? "excluded"
                  : "still matches, but skipped (see the warning about it)");
        }
      }
      List<String> left =
          chunk.stream().filter(id -> !listed.contains(id) && !gone.contains(id)).toList();
      if (!left.isEmpty()) {
        reasons.putAll(reasons(left, gone));
      }
      gone.forEach(id -> reasons.put(id, "gone"));
    }
    return reasons;
  }

  /** Why {@code ids} do not match any more: their state, or that their tags changed. */
  private Map<String, String> reasons(List<String> ids, Set<String> gone) {
    Map<String, String> reasons = new HashMap<>();
    List<String> wanted = query.filters().get("instance-state-name");
    byIds(
        ids,
        List.of(),
        instances -> {
          for (Instance instance : instances) {
            String state = instance.state() == null ? "unknown" : instance.state().nameAsString();
            boolean stateStillWanted = wanted == null || wanted.contains(state);
            reasons.put(
                instance.instanceId(),
                stateStillWanted ? "no longer matches " + query : Validation.printable(state));
          }
        },
        gone);
    for (String id : ids) {
      if (!reasons.containsKey(id)) {
        gone.add(id);
      }
    }
    return reasons;
  }

  /**
   * The instances {@code ids} that match {@code filters}, asked by {@code InstanceIds}. EC2 fails
   * the whole call with {@code InvalidInstanceID.NotFound} when one id no longer exists: those it
   * names go into {@code gone} and the rest are asked again (one by one if it names none).
   */
  private void byIds(
      List<String> ids, List<Filter> filters, Consumer<List<Instance>> each, Set<String> gone) {
    List<String> asked = new ArrayList<>(ids);
    while (!asked.isEmpty()) {
      try {
        Ec2Pages.each(
            client,
            DescribeInstancesRequest.builder().instanceIds(asked).filters(filters).build(),
            each);
        return;
      } catch (AwsServiceException e) {
        if (e.awsErrorDetails() == null
            || !"InvalidInstanceID.NotFound".equals(e.awsErrorDetails().errorCode())) {
          throw e;
        }
        Set<String> named = new HashSet<>();
        Matcher m = INSTANCE_ID.matcher(String.valueOf(e.awsErrorDetails().errorMessage()));
        while (m.find()) {
          named.add(m.group());
        }
        named.retainAll(asked);
        if (named.isEmpty()) {
          if (asked.size() == 1) {
            gone.addAll(asked);
            return;
          }
          for (String id : asked) {
            byIds(List.of(id), filters, each, gone);
          }
          return;
        }
        gone.addAll(named);
        asked.removeAll(named);
      }
    }
  }

  private static final Pattern INSTANCE_ID = Pattern.compile("i-[0-9a-f]{8,17}");
}
