package dev.muster.discovery;

import dev.muster.discovery.internal.Validation;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.StringJoiner;

/**
 * Which instances belong: a set of EC2 {@code DescribeInstances} filters, applied server side.
 * Values within one filter are ORed; filters are ANDed. Values are case-sensitive, and {@code *}
 * and {@code ?} are wildcards (a backslash escapes them), exactly as in EC2.
 *
 * <pre>{@code
 * Query web = Query.newBuilder()
 *     .tag("role", "web", "api")          // tag:role = web OR api
 *     .tag("env", "prod-*")               // AND tag:env starts with prod-
 *     .availabilityZone("us-east-1a")     // AND in this zone
 *     .build();                           // AND instance-state-name = running (default)
 * }</pre>
 *
 * <p>Immutable and thread-safe.
 */
public final class Query {
  /** The filter name for the EC2 Auto Scaling group tag. */
  public static final String AUTO_SCALING_GROUP_FILTER = "tag:aws:autoscaling:groupName";

  private static final String STATE_FILTER = "instance-state-name";

  private final Map<String, List<String>> filters;

  private Query(Map<String, List<String>> filters) {
    this.filters = filters;
  }

  /** A new builder; without further calls it matches every running instance. */
  public static Builder newBuilder() {
    return new Builder();
  }

  /**
   * The filters as sent to EC2, in the order they were given, ending with {@code
   * instance-state-name} unless {@link Builder#anyState()} was used. Unmodifiable.
   */
  public Map<String, List<String>> filters() {
    return filters;
  }

  /** For example {@code tag:role=web|api, instance-state-name=running}. */
  @Override
  public String toString() {
    StringJoiner joiner = new StringJoiner(", ");
    filters.forEach((name, values) -> joiner.add(name + "=" + String.join("|", values)));
    return joiner.toString();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Query q && q.filters.equals(filters);
  }

  @Override
  public int hashCode() {
    return filters.hashCode();
  }

  /** Builds a {@link Query}. Each filter may be given once. Not thread-safe. */
  public static final class Builder {
    private final Map<String, List<String>> filters = new LinkedHashMap<>();
    private List<String> states = List.of("running");

    private Builder() {}

    /** Instances whose tag {@code key} has one of {@code values} (filter {@code tag:KEY}). */
    public Builder tag(String key, String... values) {
      requireText("tag key", key);
      return filter("tag:" + key, values);
    }

    /** Instances that carry the tag {@code key} with any value (filter {@code tag-key}). */
    public Builder tagKey(String... keys) {
      return filter("tag-key", keys);
    }

    /**
     * Members of these EC2 Auto Scaling groups (their {@code aws:autoscaling:groupName} tag). Group
     * names are matched exactly: {@code *}, {@code ?} and {@code \} in a name are escaped, so
     * {@code web*} does not also match {@code web-canary}.
     */
    public Builder autoScalingGroup(String... groupNames) {
      List<String> names = values(AUTO_SCALING_GROUP_FILTER, groupNames);
      return filter(
          AUTO_SCALING_GROUP_FILTER, names.stream().map(Builder::literal).toArray(String[]::new));
    }

    /** {@code value} with EC2's filter wildcards escaped, to match only itself. */
    static String literal(String value) {
      StringBuilder out = new StringBuilder(value.length() + 4);
      for (int i = 0; i < value.length(); i++) {
        char c = value.charAt(i);
        if (c == '*' || c == '?' || c == '\\') {
          out.append('\\');
        }
        out.append(c);
      }
      return out.toString();
    }

    /** Instances in one of these VPCs. */
    public Builder vpcId(String... vpcIds) {
      return filter("vpc-id", vpcIds);
    }

    /** Instances in one of these subnets. */
    public Builder subnetId(String... subnetIds) {
      return filter("subnet-id", subnetIds);
    }

    /** Instances in one of these availability zones. */
    public Builder availabilityZone(String... zones) {
      return filter("availability-zone", zones);
    }

    /**
     * Instances in one of these states ({@code pending}, {@code running}, {@code shutting-down},
     * {@code terminated}, {@code stopping}, {@code stopped}). The default is {@code running} alone.
     */
    public Builder states(String... stateNames) {
      List<String> checked = values(STATE_FILTER, stateNames);
      for (String state : checked) {
        if (!List.of("pending", "running", "shutting-down", "terminated", "stopping", "stopped")
            .contains(state)) {
          throw new IllegalArgumentException(
              "instance-state-name: unknown state '" + Validation.printable(state) + "'");
        }
      }
      this.states = checked;
      return this;
    }

    /** Drops the state filter: instances in every state, terminated ones included. */
    public Builder anyState() {
      this.states = List.of();
      return this;
    }

    /**
     * Any other {@code DescribeInstances} filter, for example {@code filter("instance-type",
     * "c7g.*")}. The name is passed to EC2 as it is.
     */
    public Builder filter(String name, String... values) {
      requireText("filter name", name);
      if (name.equals(STATE_FILTER)) {
        return states(values);
      }
      if (filters.containsKey(name)) {
        throw new IllegalArgumentException(
            "filter "
                + name
                + " is given twice; "
                + "give all its values in one call (they are ORed)");
      }
      filters.put(name, values(name, values));
      return this;
    }

    /** Builds the query. */
    public Query build() {
      Map<String, List<String>> all = new LinkedHashMap<>(filters);
      if (!states.isEmpty()) {
        all.put(STATE_FILTER, states);
      }
      return new Query(Collections.unmodifiableMap(all));
    }

    private static List<String> values(String name, String... values) {
      Objects.requireNonNull(values, name);
      if (values.length == 0) {
        throw new IllegalArgumentException(name + ": at least one value is required");
      }
      List<String> list = new ArrayList<>(values.length);
      for (String value : values) {
        requireText(name + " value", value);
        list.add(value);
      }
      return List.copyOf(list);
    }

    private static void requireText(String what, String text) {
      Objects.requireNonNull(text, what);
      if (text.isEmpty()) {
        throw new IllegalArgumentException(what + " must not be empty");
      }
      String problem = Validation.characterProblem(text);
      if (problem != null) {
        throw new IllegalArgumentException(
            what + " '" + Validation.printable(text) + "': " + problem);
      }
    }
  }
}
