package dev.muster.discovery;

import dev.muster.discovery.internal.InstanceMapper;
import dev.muster.discovery.internal.Validation;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.ec2.Ec2ClientBuilder;
import software.amazon.awssdk.services.ec2.model.DescribeInstancesRequest;
import software.amazon.awssdk.services.ec2.model.DescribeInstancesResponse;
import software.amazon.awssdk.services.ec2.model.Filter;
import software.amazon.awssdk.services.ec2.model.Instance;
import software.amazon.awssdk.services.ec2.model.Reservation;

/**
 * Membership from EC2: every page of {@code DescribeInstances} for a {@link Query}, mapped to
 * members by a {@link MemberMapping}.
 *
 * <pre>{@code
 * Ec2MembershipSource source = Ec2MembershipSource.newBuilder()
 *     .region("us-east-1")
 *     .query(Query.newBuilder().tag("role", "web").build())
 *     .mapping(MemberMapping.newBuilder().port(8080).build())
 *     .build();
 * }</pre>
 *
 * <p><b>Requests.</b> Filters go to EC2 (server side); each page asks for up to 1,000
 * instances and the SDK paginator follows {@code NextToken} to the end. A failure on any page
 * fails the whole fetch: a partial membership is never returned. Needs only the IAM permission
 * {@code ec2:DescribeInstances}.
 *
 * <p><b>Retries.</b> A client built here uses the SDK's STANDARD retry strategy: 3 attempts,
 * exponential backoff with jitter, a 1 s base delay for throttling errors such as
 * {@code RequestLimitExceeded}; {@link Builder#maxAttempts(int)} changes the count. That is the
 * only retry layer: when the attempts are spent the fetch fails and the discovery loop tries
 * again at its next tick, with its own backoff. A client passed in with
 * {@link Builder#client(Ec2Client)} keeps its own retry configuration.
 *
 * <p>Thread-safe for one caller at a time (the discovery loop); the client is shared safely.
 */
public final class Ec2MembershipSource implements MembershipSource {
  private static final int DEPARTURE_CHUNK = 200;

  private final Ec2Client client;
  private final boolean ownsClient;
  private final Query query;
  private final Set<String> excluded;
  private final Clock clock;
  private final DescribeInstancesRequest request;
  private final InstanceMapper mapper;

  private Ec2MembershipSource(Builder b, Ec2Client client, boolean ownsClient) {
    this.client = client;
    this.ownsClient = ownsClient;
    this.query = b.query;
    this.excluded = Set.copyOf(b.excluded);
    this.clock = b.clock;
    this.request = DescribeInstancesRequest.builder()
        .filters(filters(b.query))
        .maxResults(b.pageSize)
        .build();
    this.mapper = new InstanceMapper(b.mapping);
  }

  /** A new builder. {@link Builder#query}, {@link Builder#mapping} and a client or region
   *  are required. */
  public static Builder newBuilder() {
    return new Builder();
  }

  /**
   * Fetches every page and returns the members, sorted by instance id. Instances the mapping
   * cannot use are skipped with a warning; excluded instance ids are left out.
   *
   * @throws software.amazon.awssdk.core.exception.SdkException if any page fails after the
   *     SDK's retries
   */
  @Override
  public Snapshot fetch() {
    mapper.beginFetch();
    Map<String, Member> members = new HashMap<>();
    for (DescribeInstancesResponse page : client.describeInstancesPaginator(request)) {
      for (Reservation reservation : page.reservations()) {
        for (Instance instance : reservation.instances()) {
          if (excluded.contains(instance.instanceId())) {
            continue;
          }
          Member member = mapper.toMember(instance);
          if (member != null) {
            // EC2 can list an instance on two pages when the set changes mid-pagination.
            members.put(member.instanceId(), member);
          }
        }
      }
    }
    mapper.endFetch();
    return Snapshot.of(members.values(), clock.instant());
  }

  /**
   * Looks the departed instances up (one request per 200, filtered by {@code instance-id}) to
   * say why they left: their state if no longer running (for example {@code terminated}),
   * {@code no longer matches the query} if they are but their tags changed, or {@code gone}.
   * Returns what it could find; never throws.
   */
  @Override
  public Map<String, String> departureReasons(Set<String> instanceIds) {
    Map<String, String> reasons = new HashMap<>();
    List<String> ids = new ArrayList<>(new LinkedHashSet<>(instanceIds));
    try {
      for (int from = 0; from < ids.size(); from += DEPARTURE_CHUNK) {
        List<String> chunk = ids.subList(from, Math.min(ids.size(), from + DEPARTURE_CHUNK));
        Set<String> unseen = new HashSet<>(chunk);
        DescribeInstancesRequest lookup = DescribeInstancesRequest.builder()
            .filters(Filter.builder().name("instance-id").values(chunk).build())
            .build();
        for (DescribeInstancesResponse page : client.describeInstancesPaginator(lookup)) {
          for (Reservation reservation : page.reservations()) {
            for (Instance instance : reservation.instances()) {
              unseen.remove(instance.instanceId());
              String state = instance.state() == null ? "unknown"
                  : instance.state().nameAsString();
              List<String> wanted = query.filters().get("instance-state-name");
              boolean stateStillWanted = wanted == null || wanted.contains(state);
              reasons.put(instance.instanceId(), stateStillWanted
                  ? "no longer matches " + query : Validation.printable(state));
            }
          }
        }
        for (String id : unseen) {
          reasons.put(id, "gone");
        }
      }
    } catch (RuntimeException e) {
      // Best effort only: the change log then shows no reason.
    }
    return reasons;
  }

  @Override
  public String describe() {
    return "EC2 " + query;
  }

  /** Closes the EC2 client if this source built it. */
  @Override
  public void close() {
    if (ownsClient) {
      client.close();
    }
  }

  private static List<Filter> filters(Query query) {
    List<Filter> filters = new ArrayList<>();
    query.filters().forEach((name, values) ->
        filters.add(Filter.builder().name(name).values(values).build()));
    return filters;
  }

  /** Builds an {@link Ec2MembershipSource}. Not thread-safe. */
  public static final class Builder {
    private Ec2Client client;
    private String region;
    private URI endpoint;
    private AwsCredentialsProvider credentials;
    private int maxAttempts = 3;
    private Query query;
    private MemberMapping mapping;
    private final Set<String> excluded = new HashSet<>();
    private int pageSize = 1000;
    private Clock clock = Clock.systemUTC();

    private Builder() {}

    /**
     * Uses this client, as configured (region, credentials, retries). The source does not
     * close it. Exclusive with {@link #region}, {@link #endpoint}, {@link #credentials} and
     * {@link #maxAttempts}.
     */
    public Builder client(Ec2Client client) {
      this.client = Objects.requireNonNull(client, "client");
      return this;
    }

    /** Builds a client for this region, for example {@code us-east-1}. */
    public Builder region(String region) {
      this.region = Objects.requireNonNull(region, "region");
      return this;
    }

    /**
     * Sends requests to this endpoint instead of the region's default: a VPC endpoint, a FIPS
     * endpoint, or a test stand-in.
     */
    public Builder endpoint(URI endpoint) {
      this.endpoint = Objects.requireNonNull(endpoint, "endpoint");
      return this;
    }

    /**
     * Credentials for a client built here; the SDK's default chain (environment, profile,
     * container or instance role) unless set.
     */
    public Builder credentials(AwsCredentialsProvider credentials) {
      this.credentials = Objects.requireNonNull(credentials, "credentials");
      return this;
    }

    /** Attempts per request, first one included, for a client built here; 3 unless set. */
    public Builder maxAttempts(int maxAttempts) {
      if (maxAttempts < 1 || maxAttempts > 20) {
        throw new IllegalArgumentException("maxAttempts must be 1 to 20: " + maxAttempts);
      }
      this.maxAttempts = maxAttempts;
      return this;
    }

    /** Which instances belong. Required. */
    public Builder query(Query query) {
      this.query = Objects.requireNonNull(query, "query");
      return this;
    }

    /** How instances become members (address, port, weight). Required. */
    public Builder mapping(MemberMapping mapping) {
      this.mapping = Objects.requireNonNull(mapping, "mapping");
      return this;
    }

    /** Leaves these instances out, for example the proxy's own instance. */
    public Builder exclude(String... instanceIds) {
      for (String id : instanceIds) {
        excluded.add(Objects.requireNonNull(id, "instanceId"));
      }
      return this;
    }

    /** Instances per page, 5 to 1000; 1000 unless set. */
    public Builder pageSize(int pageSize) {
      if (pageSize < 5 || pageSize > 1000) {
        throw new IllegalArgumentException("pageSize must be 5 to 1000: " + pageSize);
      }
      this.pageSize = pageSize;
      return this;
    }

    /** The clock that stamps snapshots; the system clock unless set. */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /**
     * Builds the source, and an EC2 client unless one was given.
     *
     * @throws IllegalStateException naming the missing or conflicting setting
     */
    public Ec2MembershipSource build() {
      if (query == null) {
        throw new IllegalStateException("query is not set: call query(Query)");
      }
      if (mapping == null) {
        throw new IllegalStateException("mapping is not set: call mapping(MemberMapping), "
            + "at least with a port");
      }
      if (client != null) {
        if (region != null || endpoint != null || credentials != null) {
          throw new IllegalStateException("client(...) is exclusive with region, endpoint "
              + "and credentials: configure those on the client");
        }
        return new Ec2MembershipSource(this, client, false);
      }
      if (region == null) {
        throw new IllegalStateException("region is not set: call region(\"us-east-1\"), or "
            + "InstanceIdentity.fetch().region() on EC2");
      }
      Ec2ClientBuilder builder = Ec2Client.builder()
          .region(Region.of(region))
          .credentialsProvider(credentials != null ? credentials
              : DefaultCredentialsProvider.builder().build())
          .httpClient(UrlConnectionHttpClient.builder()
              .connectionTimeout(Duration.ofSeconds(5))
              .socketTimeout(Duration.ofSeconds(30))
              .build())
          .overrideConfiguration(o -> o.retryStrategy(AwsRetryStrategy.standardRetryStrategy()
              .toBuilder().maxAttempts(maxAttempts).build()));
      if (endpoint != null) {
        builder.endpointOverride(endpoint);
      }
      return new Ec2MembershipSource(this, builder.build(), true);
    }
  }
}
