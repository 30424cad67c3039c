package dev.muster.testkit.internal;

import dev.muster.testkit.FakeInstance;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * The semantics of {@code DescribeInstances}: parameter validation with EC2's error codes,
 * server-side filters (values OR within a filter, filters AND), {@code InstanceId.N}, and {@code
 * MaxResults}/{@code NextToken} paging.
 */
public final class DescribeInstances {

  /** One page of the answer; {@code nextToken} is {@code null} on the last page. */
  public record Page(List<FakeInstance> instances, String nextToken) {}

  /** A parsed request. {@code pageNumber} is 1 for a request without a NextToken. */
  public record Request(
      List<Filter> filters,
      Set<String> instanceIds,
      Integer maxResults,
      int pageNumber,
      int offset) {}

  /** One {@code Filter.N}: a name and the values it ORs. */
  public record Filter(String name, List<String> values) {}

  private static final Map<String, Function<FakeInstance, String>> ATTRIBUTES =
      Map.ofEntries(
          Map.entry("instance-id", FakeInstance::instanceId),
          Map.entry("reservation-id", FakeInstance::reservationId),
          Map.entry("image-id", FakeInstance::imageId),
          Map.entry("instance-type", FakeInstance::instanceType),
          Map.entry("instance-state-name", i -> i.state().wireName()),
          Map.entry("instance-state-code", i -> Integer.toString(i.state().code())),
          Map.entry("private-ip-address", FakeInstance::privateIp),
          Map.entry("ip-address", FakeInstance::publicIp),
          Map.entry("private-dns-name", FakeInstance::privateDnsName),
          Map.entry("dns-name", FakeInstance::publicDnsName),
          Map.entry("availability-zone", FakeInstance::availabilityZone),
          Map.entry("subnet-id", FakeInstance::subnetId),
          Map.entry("vpc-id", FakeInstance::vpcId));

  private DescribeInstances() {}

  /**
   * Parses and validates the Query parameters.
   *
   * @throws Ec2Error {@code InvalidParameterValue} or {@code InvalidParameterCombination}, as EC2
   */
  public static Request parse(Map<String, String> params) {
    Map<Integer, String> names = new TreeMap<>();
    Map<Integer, List<String>> values = new TreeMap<>();
    Set<String> ids = new HashSet<>();
    for (Map.Entry<String, String> e : params.entrySet()) {
      String key = e.getKey();
      if (key.startsWith("Filter.")) {
        String[] parts = key.split("\\.");
        int n = index(parts[1], key);
        if (parts.length == 3 && parts[2].equals("Name")) {
          names.put(n, e.getValue());
        } else if (parts.length == 4 && parts[2].equals("Value")) {
          values.computeIfAbsent(n, k -> new ArrayList<>()).add(e.getValue());
        } else {
          throw invalid("The parameter " + key + " is not recognized");
        }
      } else if (key.startsWith("InstanceId.")) {
        index(key.substring("InstanceId.".length()), key);
        ids.add(e.getValue());
      }
    }
    List<Filter> filters = new ArrayList<>();
    for (Map.Entry<Integer, String> e : names.entrySet()) {
      String name = e.getValue();
      if (!name.startsWith("tag:")
          && !name.equals("tag-key")
          && !name.equals("tag-value")
          && !ATTRIBUTES.containsKey(name)) {
        throw invalid("The filter '" + name + "' is invalid");
      }
      List<String> filterValues = values.getOrDefault(e.getKey(), List.of());
      if (filterValues.isEmpty()) {
        throw invalid("The filter '" + name + "' has no values");
      }
      filters.add(new Filter(name, List.copyOf(filterValues)));
    }
    for (Integer n : values.keySet()) {
      if (!names.containsKey(n)) {
        throw invalid("Filter." + n + " has values but no Name");
      }
    }
    Integer maxResults = null;
    String max = params.get("MaxResults");
    if (max != null) {
      if (!ids.isEmpty()) {
        throw new Ec2Error(
            400,
            "InvalidParameterCombination",
            "The parameter instancesSet cannot be used with the parameter maxResults");
      }
      try {
        maxResults = Integer.valueOf(max);
      } catch (NumberFormatException ex) {
        throw invalid("Value (" + max + ") for parameter maxResults is invalid.");
      }
      if (maxResults < 5 || maxResults > 1000) {
        throw invalid(
            "Value ("
                + max
                + ") for parameter maxResults is invalid. "
                + "Expecting a value between 5 and 1000.");
      }
    }
    int page = 1;
    int offset = 0;
    String token = params.get("NextToken");
    if (token != null && !token.isEmpty()) {
      int[] decoded = decodeToken(token);
      page = decoded[0];
      offset = decoded[1];
    }
    return new Request(List.copyOf(filters), Set.copyOf(ids), maxResults, page, offset);
  }

  /**
   * Answers {@code request} from {@code fleet} (in launch order).
   *
   * @param forcedPageSize the most instances on one page whatever MaxResults says, or 0
   */
  public static Page answer(Request request, List<FakeInstance> fleet, int forcedPageSize) {
    return answer(request, fleet, forcedPageSize, 0);
  }

  /**
   * As {@link #answer(Request, List, int)}; with {@code sparseScan} above 0 a paged request (one
   * without {@code InstanceId.N}) is answered as EC2 answers filtered queries: each page looks at
   * {@code sparseScan} instances of the whole fleet, in instance-id order, and lists those of them
   * that match, so a page may be short or empty and still carry a token. The token holds an offset
   * into the whole fleet: an instance launched with an id that sorts before it shifts every later
   * page, and one instance that still matches is then on no page.
   */
  public static Page answer(
      Request request, List<FakeInstance> fleet, int forcedPageSize, int sparseScan) {
    if (sparseScan > 0 && request.instanceIds().isEmpty()) {
      return sparse(request, fleet, sparseScan);
    }
    Set<String> unknown = new HashSet<>(request.instanceIds());
    List<FakeInstance> matched = new ArrayList<>();
    for (FakeInstance instance : fleet) {
      unknown.remove(instance.instanceId());
      if ((request.instanceIds().isEmpty() || request.instanceIds().contains(instance.instanceId()))
          && request.filters().stream().allMatch(f -> matches(f, instance))) {
        matched.add(instance);
      }
    }
    if (!unknown.isEmpty()) {
      throw new Ec2Error(
          400,
          "InvalidInstanceID.NotFound",
          "The instance IDs '"
              + String.join(", ", new java.util.TreeSet<>(unknown))
              + "' do not exist");
    }
    int size = request.maxResults() == null ? Integer.MAX_VALUE : request.maxResults();
    if (forcedPageSize > 0) {
      size = Math.min(size, forcedPageSize);
    }
    int from = Math.min(request.offset(), matched.size());
    int to = (int) Math.min((long) from + size, matched.size());
    String next = to < matched.size() ? encodeToken(request.pageNumber() + 1, to) : null;
    return new Page(List.copyOf(matched.subList(from, to)), next);
  }

  private static Page sparse(Request request, List<FakeInstance> fleet, int scan) {
    List<FakeInstance> ordered = new ArrayList<>(fleet);
    ordered.sort(java.util.Comparator.comparing(FakeInstance::instanceId));
    int from = Math.min(request.offset(), ordered.size());
    int to = (int) Math.min((long) from + scan, ordered.size());
    List<FakeInstance> page = new ArrayList<>();
    for (FakeInstance instance : ordered.subList(from, to)) {
      if (request.filters().stream().allMatch(f -> matches(f, instance))) {
        page.add(instance);
      }
    }
    String next = to < ordered.size() ? encodeToken(request.pageNumber() + 1, to) : null;
    return new Page(List.copyOf(page), next);
  }

  static boolean matches(Filter filter, FakeInstance instance) {
    String name = filter.name();
    if (name.startsWith("tag:")) {
      String value = instance.tags().get(name.substring(4));
      return value != null && anyMatches(filter.values(), value);
    }
    if (name.equals("tag-key")) {
      return instance.tags().keySet().stream().anyMatch(k -> anyMatches(filter.values(), k));
    }
    if (name.equals("tag-value")) {
      return instance.tags().values().stream().anyMatch(v -> anyMatches(filter.values(), v));
    }
    String value = ATTRIBUTES.get(name).apply(instance);
    return value != null && anyMatches(filter.values(), value);
  }

  private static boolean anyMatches(List<String> patterns, String value) {
    for (String pattern : patterns) {
      if (Wildcard.matches(pattern, value)) {
        return true;
      }
    }
    return false;
  }

  private static String encodeToken(int page, int offset) {
    return Base64.getUrlEncoder()
        .withoutPadding()
        .encodeToString(("v1:" + page + ":" + offset).getBytes(StandardCharsets.UTF_8));
  }

  private static int[] decodeToken(String token) {
    try {
      String[] parts =
          new String(Base64.getUrlDecoder().decode(token), StandardCharsets.UTF_8).split(":");
      if (parts.length == 3 && parts[0].equals("v1")) {
        return new int[] {Integer.parseInt(parts[1]), Integer.parseInt(parts[2])};
      }
    } catch (IllegalArgumentException ex) {
      // falls through to the EC2 error below
    }
    throw invalid("Invalid NextToken: " + token);
  }

  private static int index(String text, String key) {
    try {
      int n = Integer.parseInt(text);
      if (n >= 1) {
        return n;
      }
    } catch (NumberFormatException ex) {
      // falls through to the EC2 error below
    }
    throw invalid("The parameter " + key + " is not recognized");
  }

  private static Ec2Error invalid(String message) {
    return new Ec2Error(400, "InvalidParameterValue", message);
  }
}
