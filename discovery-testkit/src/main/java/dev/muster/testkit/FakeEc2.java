package dev.muster.testkit;

import com.sun.net.httpserver.HttpExchange;
import dev.muster.testkit.internal.AccountFleets;
import dev.muster.testkit.internal.Clients;
import dev.muster.testkit.internal.DescribeInstances;
import dev.muster.testkit.internal.Ec2Error;
import dev.muster.testkit.internal.Ec2Xml;
import dev.muster.testkit.internal.LoopbackServer;
import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.retries.api.BackoffStrategy;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.ec2.Ec2ClientBuilder;

/**
 * A stand-in for the EC2 Query API on 127.0.0.1, serving {@code DescribeInstances} from a {@link
 * SimulatedFleet} in the wire format the real AWS SDK parses, so the SDK's signing, retries,
 * pagination and XML unmarshalling all run for real.
 *
 * <pre>{@code
 * try (FakeEc2 ec2 = FakeEc2.start()) {
 *   ec2.fleet().launch(3, Map.of("role", "web"));
 *   Ec2Client client = ec2.client();
 *   // ... code under test calls client.describeInstancesPaginator(...)
 * }
 * }</pre>
 *
 * <p>What it serves: server-side filters ({@code tag:KEY}, {@code tag-key}, {@code tag-value},
 * {@code instance-state-name}, {@code instance-state-code}, {@code instance-id}, {@code vpc-id},
 * {@code subnet-id}, {@code availability-zone}, {@code private-ip-address}, {@code ip-address},
 * {@code instance-type}, {@code image-id}, {@code reservation-id}, {@code private-dns-name}, {@code
 * dns-name}) with {@code *} and {@code ?} wildcards; {@code InstanceId.N}; {@code MaxResults} (5 to
 * 1000) and {@code NextToken} paging; EC2's error bodies. An unknown filter name is an {@code
 * InvalidParameterValue} error, as in EC2.
 *
 * <p>Faults for tests: {@link #throttleNext(int)}, {@link #failNext(int, int, String, String)},
 * {@link #failPage(int)}, {@link #malformedNext(int)}, {@link #delay(Duration)}, a forced small
 * page size ({@link #pageSize(int)}), sparse pages ({@link #sparsePages(int)}) and churn between
 * pages ({@link #churnBetweenPages(Map)}). Every request is recorded ({@link #requests()}).
 *
 * <p>Thread-safe. Close it to free the port; the client from {@link #client()} closes with it.
 */
public final class FakeEc2 implements AutoCloseable {

  /** The region the fake's clients are configured for. */
  public static final Region REGION = Region.US_EAST_1;

  private final SimulatedFleet fleet;
  private final LoopbackServer server;
  private final AtomicLong requestIds = new AtomicLong();
  private final Deque<Fault> nextFaults = new ArrayDeque<>();
  private final Map<Integer, Consumer<SimulatedFleet>> pageChanges = new HashMap<>();
  private final Set<Integer> failingPages = new HashSet<>();
  private final List<RecordedRequest> requests = new ArrayList<>();
  private Duration delay = Duration.ZERO;
  private volatile boolean oddTokens;
  private volatile ApiBudget budget;
  private final AccountFleets accounts;

  /** What {@link #oddTokens} puts before every token: markup, quotes, spaces and non-ASCII. */
  private static final String ODD_TOKEN = "<odd & \"token\"> +/= \u00e9\u2028 ";

  private int pageSize;
  private int sparseScan;
  private Map<String, String> churnTags;
  private Ec2Client client;

  private sealed interface Fault permits ErrorFault, MalformedFault {}

  private record ErrorFault(int status, String code, String message) implements Fault {}

  private record MalformedFault() implements Fault {}

  private FakeEc2(SimulatedFleet fleet) {
    this.fleet = fleet;
    this.accounts = new AccountFleets(fleet);
    this.server = LoopbackServer.start("fake-ec2", this::handle);
  }

  /** Starts a fake with a new, empty fleet in {@code us-east-1}. */
  public static FakeEc2 start() {
    return start(new SimulatedFleet(REGION.id()));
  }

  /** Starts a fake serving {@code fleet}. */
  public static FakeEc2 start(SimulatedFleet fleet) {
    return new FakeEc2(Objects.requireNonNull(fleet, "fleet"));
  }

  /** The fleet this fake serves; change it at any time. */
  public SimulatedFleet fleet() {
    return fleet;
  }

  /**
   * The fleet of another AWS account in {@code region}: requests signed with an access key of that
   * account ({@link #accessKey}, which {@link FakeSts} calls for the keys it issues) and for that
   * region (the SigV4 credential scope) see it instead of {@link #fleet()}. Created empty on first
   * use.
   */
  public SimulatedFleet fleet(String account, String region) {
    return accounts.fleet(account, region);
  }

  /**
   * Says that {@code accessKeyId} belongs to {@code account}: requests it signs see that account's
   * fleets, and must carry a session token if the key is temporary ({@code ASIA...}).
   */
  public FakeEc2 accessKey(String accessKeyId, String account) {
    accounts.accessKey(accessKeyId, account);
    return this;
  }

  /**
   * The account whose key signed {@code request}, or {@code null} for a key no account claimed (the
   * default fleet's).
   */
  public String accountOf(RecordedRequest request) {
    return accounts.accountOf(request.headers().get("authorization"));
  }

  /** The endpoint, {@code http://127.0.0.1:PORT}, for {@code endpointOverride}. */
  public URI endpoint() {
    return server.uri();
  }

  /**
   * A builder preset for this fake: endpoint, region {@code us-east-1}, static dummy credentials
   * and the URLConnection HTTP client with 5 s timeouts. Nothing else is set, so the SDK's own
   * retry defaults apply unless the caller sets a strategy.
   */
  public Ec2ClientBuilder clientBuilder() {
    return Ec2Client.builder()
        .endpointOverride(endpoint())
        .region(REGION)
        .credentialsProvider(Clients.credentials())
        .httpClient(Clients.http(Duration.ofSeconds(5)));
  }

  /**
   * A shared client for this fake, built on first use from {@link #clientBuilder()} with the SDK's
   * standard retry strategy (3 attempts, throttling recognised) but backoffs of 10 to 100 ms
   * instead of seconds, so tests that throttle stay fast. Closed by {@link #close()}.
   */
  public synchronized Ec2Client client() {
    if (client == null) {
      client =
          clientBuilder()
              .overrideConfiguration(
                  o ->
                      o.retryStrategy(
                          AwsRetryStrategy.standardRetryStrategy().toBuilder()
                              .backoffStrategy(
                                  BackoffStrategy.exponentialDelay(
                                      Duration.ofMillis(10), Duration.ofMillis(100)))
                              .throttlingBackoffStrategy(
                                  BackoffStrategy.exponentialDelay(
                                      Duration.ofMillis(10), Duration.ofMillis(100)))
                              .build()))
              .build();
    }
    return client;
  }

  /**
   * Throttles like EC2: every {@code DescribeInstances} takes a token from {@code budget} (which
   * may be shared by several fakes, as an account's is by every caller), and one that finds it
   * empty gets HTTP 503 {@code RequestLimitExceeded}, which the SDK retries with its throttling
   * backoff. {@code null} removes the limit.
   */
  public FakeEc2 apiBudget(ApiBudget budget) {
    this.budget = budget;
    return this;
  }

  /**
   * Makes every {@code NextToken} odd (markup, quotes, spaces, {@code +/=} and non-ASCII text, all
   * of which EC2 does not promise to avoid), so that clients must carry it byte for byte.
   */
  public FakeEc2 oddTokens(boolean odd) {
    this.oddTokens = odd;
    return this;
  }

  /**
   * Caps every page at {@code size} instances whatever {@code MaxResults} asks, as EC2 may return
   * fewer than asked; 0 removes the cap.
   */
  public synchronized FakeEc2 pageSize(int size) {
    if (size < 0) {
      throw new IllegalArgumentException("page size must not be negative: " + size);
    }
    this.pageSize = size;
    return this;
  }

  /**
   * Answers paged requests as EC2 answers filtered queries: each page looks at {@code scan}
   * instances of the whole fleet (every state, in instance-id order) and lists those that match, so
   * pages are short or empty and still carry a token; 0 turns it off. Tokens hold an offset into
   * the whole fleet, so an instance launched while a client pages shifts the later pages (with
   * {@link #beforePage}, or any launch between two pages). Requests with {@code InstanceId.N} are
   * answered whole, as EC2 does.
   */
  public synchronized FakeEc2 sparsePages(int scan) {
    if (scan < 0) {
      throw new IllegalArgumentException("scan must not be negative: " + scan);
    }
    this.sparseScan = scan;
    return this;
  }

  /**
   * Churns the account between pages until {@link #clearFaults()}: before every page from the
   * second on, of every paged walk, the oldest instance carrying {@code tags} leaves the listing
   * (as a long-terminated instance does, shifting later pages back by one) and a new one with those
   * tags launches. With {@link #sparsePages}, that is EC2's filtered paging in a busy account.
   */
  public synchronized FakeEc2 churnBetweenPages(Map<String, String> tags) {
    this.churnTags = Map.copyOf(tags);
    return this;
  }

  /** Answers the next {@code count} requests with 503 {@code RequestLimitExceeded}. */
  public FakeEc2 throttleNext(int count) {
    return failNext(count, 503, "RequestLimitExceeded", "Request limit exceeded.");
  }

  /**
   * Answers the next {@code count} requests with an EC2 error body, for example 500 {@code
   * InternalError} or 400 {@code UnauthorizedOperation}.
   */
  public synchronized FakeEc2 failNext(int count, int status, String code, String message) {
    for (int i = 0; i < count; i++) {
      nextFaults.add(new ErrorFault(status, code, message));
    }
    return this;
  }

  /** Answers the next {@code count} requests with 200 and a truncated XML body. */
  public synchronized FakeEc2 malformedNext(int count) {
    for (int i = 0; i < count; i++) {
      nextFaults.add(new MalformedFault());
    }
    return this;
  }

  /**
   * Fails every request for page {@code page} (1 is the first page) with 500 {@code InternalError},
   * retries included, until {@link #clearFaults()}.
   */
  public synchronized FakeEc2 failPage(int page) {
    if (page < 1) {
      throw new IllegalArgumentException("pages count from 1: " + page);
    }
    failingPages.add(page);
    return this;
  }

  /**
   * Changes the fleet once, just before page {@code page} (2 or later) of the next paged walk is
   * answered, as when an instance terminates while a client pages through {@code
   * DescribeInstances}. Tokens hold an offset into the matching instances, as EC2's do not promise
   * a consistent view across pages: an instance that leaves an earlier page shifts the later ones,
   * so one instance that still matches is on no page at all.
   */
  public synchronized FakeEc2 beforePage(int page, Consumer<SimulatedFleet> change) {
    if (page < 2) {
      throw new IllegalArgumentException("page must be 2 or later: " + page);
    }
    pageChanges.put(page, Objects.requireNonNull(change, "change"));
    return this;
  }

  /** Delays every answer by {@code delay} until {@link #clearFaults()}. */
  public synchronized FakeEc2 delay(Duration delay) {
    this.delay = Objects.requireNonNull(delay, "delay");
    return this;
  }

  /** Removes every pending and standing fault and the page-size cap. */
  public synchronized FakeEc2 clearFaults() {
    nextFaults.clear();
    pageChanges.clear();
    failingPages.clear();
    delay = Duration.ZERO;
    pageSize = 0;
    sparseScan = 0;
    churnTags = null;
    return this;
  }

  /** Every request received so far, in order of arrival. */
  public synchronized List<RecordedRequest> requests() {
    return List.copyOf(requests);
  }

  /** How many {@code DescribeInstances} requests arrived so far, retries included. */
  public synchronized int describeInstancesCalls() {
    return (int) requests.stream().filter(r -> "DescribeInstances".equals(r.action())).count();
  }

  /** Forgets the recorded requests. */
  public synchronized void clearRequests() {
    requests.clear();
  }

  /** Stops the server and closes the shared client. */
  @Override
  public void close() {
    Ec2Client c;
    synchronized (this) {
      c = client;
      client = null;
    }
    if (c != null) {
      c.close();
    }
    server.close();
  }

  private void handle(HttpExchange exchange) throws IOException {
    try (exchange) {
      Map<String, String> params = LoopbackServer.params(exchange);
      Map<String, String> headers = LoopbackServer.headers(exchange);
      String requestId =
          String.format("00000000-0000-4000-8000-%012d", requestIds.incrementAndGet());

      Fault fault;
      Duration wait;
      int cap;
      int scan;
      synchronized (this) {
        requests.add(
            new RecordedRequest(
                exchange.getRequestMethod(), exchange.getRequestURI().getPath(), params, headers));
        fault = nextFaults.poll();
        wait = delay;
        cap = pageSize;
        scan = sparseScan;
      }
      if (!wait.isZero()) {
        try {
          Thread.sleep(wait.toMillis());
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return;
        }
      }
      ApiBudget limit = budget;
      if (fault == null && limit != null && !limit.tryTake()) {
        fault = new ErrorFault(503, "RequestLimitExceeded", "Request limit exceeded.");
      }
      if (fault instanceof ErrorFault error) {
        respond(exchange, error.status(), Ec2Xml.error(requestId, error.code(), error.message()));
        return;
      }
      if (fault instanceof MalformedFault) {
        respond(exchange, 200, Ec2Xml.cutShort());
        return;
      }
      try {
        respond(exchange, 200, answer(requestId, params, cap, scan, accounts.fleetFor(headers)));
      } catch (Ec2Error error) {
        respond(
            exchange, error.status(), Ec2Xml.error(requestId, error.code(), error.getMessage()));
      }
    }
  }

  private static void respond(HttpExchange exchange, int status, String xml) throws IOException {
    LoopbackServer.respond(exchange, status, "text/xml;charset=UTF-8", xml);
  }

  private String answer(
      String requestId, Map<String, String> params, int cap, int scan, SimulatedFleet fleet) {
    String action = params.get("Action");
    if ("DescribeAvailabilityZones".equals(action)) {
      // What Prometheus' EC2 discovery asks first, to map zone ids: the fleet's region's zones.
      return Ec2Xml.availabilityZones(requestId, fleet.region());
    }
    if (!"DescribeInstances".equals(action)) {
      throw new Ec2Error(
          400, "InvalidAction", "The action " + action + " is not valid for this web service.");
    }
    if (!"2016-11-15".equals(params.get("Version"))) {
      throw new Ec2Error(
          400, "InvalidParameterValue", "Unsupported API version: " + params.get("Version"));
    }
    String token = params.get("NextToken");
    if (token != null && token.startsWith(ODD_TOKEN)) {
      params.put("NextToken", token.substring(ODD_TOKEN.length()));
    }
    DescribeInstances.Request request = DescribeInstances.parse(params);
    Consumer<SimulatedFleet> change;
    Map<String, String> churn;
    synchronized (this) {
      change = pageChanges.remove(request.pageNumber());
      churn = request.pageNumber() >= 2 ? churnTags : null;
    }
    if (change != null) {
      change.accept(fleet);
    }
    if (churn != null) {
      fleet.instances().stream()
          .filter(i -> i.tags().entrySet().containsAll(churn.entrySet()))
          .findFirst()
          .ifPresent(old -> fleet.remove(old.instanceId()));
      fleet.launch(1, churn);
    }
    synchronized (this) {
      if (failingPages.contains(request.pageNumber())) {
        throw new Ec2Error(
            500,
            "InternalError",
            "An internal error has occurred (injected on page " + request.pageNumber() + ").");
      }
    }
    DescribeInstances.Page page;
    synchronized (fleet) {
      page = DescribeInstances.answer(request, fleet.instances(), cap, scan);
    }
    String next = page.nextToken();
    if (next != null && oddTokens) {
      next = ODD_TOKEN + next;
    }
    return Ec2Xml.describeInstances(requestId, page.instances(), next);
  }
}
