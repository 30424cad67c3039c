package dev.muster.discovery;

import dev.muster.discovery.internal.AwsErrors;
import dev.muster.discovery.internal.Departures;
import dev.muster.discovery.internal.Ec2Pages;
import dev.muster.discovery.internal.InServiceFilter;
import dev.muster.discovery.internal.InstanceMapper;
import dev.muster.discovery.internal.SdkClients;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.services.autoscaling.AutoScalingClient;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.ec2.model.DescribeInstancesRequest;
import software.amazon.awssdk.services.ec2.model.Filter;
import software.amazon.awssdk.services.ec2.model.Instance;

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
 * <p><b>Requests.</b> Filters go to EC2 (server side); each page asks for up to 1,000 instances and
 * {@code NextToken} is followed to the end. A failure on any page fails the whole fetch: a partial
 * membership is never returned. Needs only the IAM permission {@code ec2:DescribeInstances}.
 *
 * <p><b>Streaming.</b> A client built here reads each page straight from the response bytes (StAX),
 * keeping only what members are made of, instead of the SDK's element tree and full model: at
 * 10,000 instances that is most of a poll's CPU and memory. The SDK still signs, sends, retries and
 * reports errors; a differential test holds the result to the SDK's own. A client passed in with
 * {@link Builder#client} is used as it is, with the SDK's model.
 *
 * <p><b>Departures are confirmed.</b> EC2 does not promise a consistent view across pages: an
 * instance that terminates while the pages are walked shifts the later pages, and a member that
 * still runs and matches can be on none of them. So every member of the previous fetch (and of the
 * membership the caller holds, see {@link #fetch(Snapshot)}) that is missing from this one is
 * looked up by {@code InstanceIds} with the same filters (one call per 200 missing; exact, never
 * paged, so the lookup cannot race the fleet as the walk did): one found there is kept, and only
 * the others leave, with the reason that a second lookup by id finds ({@code terminated}, {@code no
 * longer matches ...}, {@code gone} when EC2 answers {@code InvalidInstanceID.NotFound}). If a
 * lookup fails, the fetch fails.
 *
 * <p><b>Retries and timeouts.</b> A client built here uses the SDK's STANDARD retry strategy: 3
 * attempts, exponential backoff with jitter, a 1 s base delay for throttling errors such as {@code
 * RequestLimitExceeded}; {@link Builder#maxAttempts(int)} changes the count. It also retries a
 * response that cannot be parsed (a body cut short), which the SDK alone does not. Each attempt is
 * bounded (5 s to connect, 30 s per read, 60 s in all; 3 minutes per call with retries). That is
 * the only retry layer: when the attempts are spent the fetch fails and the discovery loop tries
 * again at its next tick, with its own backoff. A client passed in with {@link
 * Builder#client(Ec2Client)} keeps its own retry and timeout configuration.
 *
 * <p>Thread-safe for one caller at a time (the discovery loop); the client is shared safely.
 *
 * <p>The confirmation of departures is {@code internal.Departures}; the client this builds is
 * {@code internal.SdkClients.ec2}.
 */
public final class Ec2MembershipSource implements MembershipSource {
  private static final Logger log = LoggerFactory.getLogger("dev.muster.discovery");

  /** The tag {@link Builder#origin} puts on every member: the region it was found in. */
  public static final String REGION_TAG = "muster:region";

  /** The tag {@link Builder#origin} puts on every member: the account it was found in. */
  public static final String ACCOUNT_TAG = "muster:account";

  private final Ec2Client client;
  private final boolean ownsClient;
  private final Query query;
  private final Set<String> excluded;
  private final Clock clock;
  private final DescribeInstancesRequest request;
  private final InstanceMapper mapper;
  private final SharedWalks walks;
  private final InServiceFilter inService;
  private final Map<String, String> origin;
  private final Departures departuresLookup;
  private Set<String> previousIds = Set.of();
  private Map<String, String> departures = Map.of();

  private Ec2MembershipSource(Builder b, Ec2Client client, boolean ownsClient) {
    this.client = client;
    this.ownsClient = ownsClient;
    this.query = b.query;
    this.excluded = Set.copyOf(b.excluded);
    this.clock = b.clock;
    this.request =
        DescribeInstancesRequest.builder().filters(filters(b.query)).maxResults(b.pageSize).build();
    this.mapper = new InstanceMapper(b.mapping);
    this.walks = b.walks;
    this.origin = Map.copyOf(b.origin);
    this.inService =
        b.autoScaling == null
            ? null
            : new InServiceFilter(b.autoScaling, b.inServiceCacheFor, b.clock);
    this.departuresLookup = new Departures(client, query, request.filters(), excluded, this::add);
  }

  /**
   * A new builder. {@link Builder#query}, {@link Builder#mapping} and a client or region are
   * required.
   */
  public static Builder newBuilder() {
    return new Builder();
  }

  /**
   * Fetches every page and returns the members, sorted by instance id. Instances the mapping cannot
   * use are skipped with a warning; excluded instance ids are left out. Members of the previous
   * fetch that no page listed are looked up before they are let go (see above).
   *
   * @throws software.amazon.awssdk.core.exception.SdkException if any page or lookup fails after
   *     the SDK's retries
   */
  @Override
  public Snapshot fetch() {
    return fetch(null);
  }

  /**
   * Like {@link #fetch()}, and members of {@code known} (the membership the caller holds, for
   * example one restored after a restart) that no page listed are looked up too.
   */
  @Override
  public Snapshot fetch(Snapshot known) {
    mapper.beginFetch();
    Map<String, Member> members = new HashMap<>();
    if (walks == null) {
      walk(request, members, null);
    } else {
      add(walks.instances(client, request, () -> listAll(request)), members, null);
    }
    // Only the few that left are collected; the thousands that stayed cost one lookup each.
    Set<String> missing = new TreeSet<>();
    for (String id : previousIds) {
      if (!members.containsKey(id) && !excluded.contains(id)) {
        missing.add(id);
      }
    }
    if (known != null) {
      for (Member m : known.members()) {
        if (!members.containsKey(m.instanceId()) && !excluded.contains(m.instanceId()) && ours(m)) {
          missing.add(m.instanceId());
        }
      }
    }
    Map<String, String> reasons =
        missing.isEmpty() ? Map.of() : departuresLookup.confirm(missing, members);
    mapper.endFetch();
    previousIds = Set.copyOf(members.keySet());
    if (inService != null) {
      Map<String, String> out = inService.filter(members);
      if (!out.isEmpty()) {
        Map<String, String> all = new HashMap<>(reasons);
        all.putAll(out);
        reasons = all;
      }
    }
    departures = Map.copyOf(reasons);
    if (origin.isEmpty()) {
      return Snapshot.of(members.values(), clock.instant());
    }
    List<Member> tagged = new ArrayList<>(members.size());
    for (Member m : members.values()) {
      Member.Builder b = m.toBuilder();
      origin.forEach(b::tag);
      tagged.add(b.build());
    }
    return Snapshot.of(tagged, clock.instant());
  }

  /** Whether {@code m} may be this source's: it carries this source's origin tags, if any. */
  private boolean ours(Member m) {
    for (Map.Entry<String, String> e : origin.entrySet()) {
      if (!e.getValue().equals(m.tag(e.getKey()))) {
        return false;
      }
    }
    return true;
  }

  /** Adds the members of every page to {@code into}, and every listed id to {@code listed}. */
  private void walk(DescribeInstancesRequest walk, Map<String, Member> into, Set<String> listed) {
    Ec2Pages.each(client, walk, instances -> add(instances, into, listed));
  }

  private void add(List<Instance> instances, Map<String, Member> into, Set<String> listed) {
    for (Instance instance : instances) {
      if (listed != null) {
        listed.add(instance.instanceId());
      }
      if (excluded.contains(instance.instanceId())) {
        continue;
      }
      Member member = mapper.toMember(instance);
      if (member != null) {
        // EC2 can list an instance on two pages when the set changes mid-pagination.
        into.put(member.instanceId(), member);
      }
    }
  }

  /** Every instance of every page, for a walk that other sources share. */
  private List<Instance> listAll(DescribeInstancesRequest walk) {
    List<Instance> all = new ArrayList<>();
    Ec2Pages.each(client, walk, all::addAll);
    return all;
  }

  /**
   * Why members of the previous fetch left in the last one, as the last fetch found out ({@code
   * terminated}, {@code no longer matches ...}, {@code gone}); no request is made.
   */
  @Override
  public Map<String, String> departureReasons(Set<String> instanceIds) {
    Map<String, String> known = departures;
    Map<String, String> reasons = new HashMap<>();
    for (String id : instanceIds) {
      String reason = known.get(id);
      if (reason != null) {
        reasons.put(id, reason);
      }
    }
    return reasons;
  }

  /** AWS's HTTP status, error code, message and request id, or the causes of another failure. */
  @Override
  public String describeFailure(RuntimeException failure) {
    return AwsErrors.describe(failure);
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
    query
        .filters()
        .forEach((name, values) -> filters.add(Filter.builder().name(name).values(values).build()));
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
    private SharedWalks walks;
    private AutoScalingClient autoScaling;
    private Duration inServiceCacheFor = Duration.ofSeconds(60);
    private final Map<String, String> origin = new java.util.TreeMap<>();

    private Builder() {}

    /**
     * Tags every member with where it was found, for a backend that spans regions or accounts (see
     * {@link MembershipSource#merge}): {@code muster:region} = {@code region} and, unless null,
     * {@code muster:account} = {@code account}, replacing any tag of that name the instance has.
     * Templates see them as {@code m.tags["muster:region"]}; a member the caller holds is only
     * looked up here if it carries the same tags.
     */
    public Builder origin(String region, String account) {
      origin.clear();
      origin.put(REGION_TAG, Objects.requireNonNull(region, "region"));
      if (account != null) {
        origin.put(ACCOUNT_TAG, account);
      }
      return this;
    }

    /**
     * Keeps only instances that Auto Scaling reports {@code InService}: never one in {@code
     * Pending:Wait} (a launch hook still preparing it) or {@code Terminating:Wait} (being drained),
     * nor one in no group. Asks {@code DescribeAutoScalingInstances} through {@code client} (not
     * closed here) for 50 instances per call, and only for those not seen InService within {@code
     * cacheFor}: at 10,000 steady instances and a 60 s cache, about 200 calls a minute, spread over
     * the polls; a new or waiting instance is asked about at every fetch. {@code Duration.ZERO}
     * asks about every member at every fetch. A failed call fails the fetch.
     */
    public Builder inServiceOnly(AutoScalingClient client, Duration cacheFor) {
      this.autoScaling = Objects.requireNonNull(client, "client");
      if (cacheFor.isNegative() || cacheFor.compareTo(Duration.ofHours(1)) > 0) {
        throw new IllegalArgumentException("inServiceOnly cacheFor must be 0 to 1 h: " + cacheFor);
      }
      this.inServiceCacheFor = cacheFor;
      return this;
    }

    /**
     * Uses this client, as configured (region, credentials, retries). The source does not close it.
     * Exclusive with {@link #region}, {@link #endpoint}, {@link #credentials} and {@link
     * #maxAttempts}.
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
     * Credentials for a client built here; the SDK's default chain (environment, profile, container
     * or instance role) unless set.
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

    /**
     * Shares walks (and, for a client built here, the client) with the other sources built with
     * {@code walks} that ask the same query: see {@link SharedWalks}. Unset, every fetch walks.
     */
    public Builder sharedWalks(SharedWalks walks) {
      this.walks = Objects.requireNonNull(walks, "walks");
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
        throw new IllegalStateException(
            "mapping is not set: call mapping(MemberMapping), " + "at least with a port");
      }
      if (client != null) {
        if (region != null || endpoint != null || credentials != null) {
          throw new IllegalStateException(
              "client(...) is exclusive with region, endpoint "
                  + "and credentials: configure those on the client");
        }
        return new Ec2MembershipSource(this, client, false);
      }
      if (region == null) {
        throw new IllegalStateException(
            "region is not set: call region(\"us-east-1\"), or "
                + "InstanceIdentity.fetch().region() on EC2");
      }
      if (walks != null) {
        Ec2Client shared =
            walks.client(
                new SharedWalks.ClientKey(region, endpoint, credentials, maxAttempts),
                () -> SdkClients.ec2(region, endpoint, credentials, maxAttempts, walks.counter));
        return new Ec2MembershipSource(this, shared, false);
      }
      return new Ec2MembershipSource(
          this, SdkClients.ec2(region, endpoint, credentials, maxAttempts, null), true);
    }
  }
}
