package dev.muster.testkit;

import com.sun.net.httpserver.HttpExchange;
import dev.muster.testkit.internal.LoopbackServer;
import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.imds.Ec2MetadataClient;

/**
 * A stand-in for the EC2 instance metadata service (IMDSv2 only) on 127.0.0.1, describing one
 * instance of a {@link SimulatedFleet}, read afresh on every request so retagging shows.
 *
 * <p>Protocol: {@code PUT /latest/api/token} with {@code X-aws-ec2-metadata-token-ttl-seconds} (1
 * to 21600) returns a token; every GET must carry it in {@code X-aws-ec2-metadata-token}, or gets
 * 401, as an instance with IMDSv2 required answers IMDSv1 requests. Paths: {@code
 * /latest/meta-data/instance-id}, {@code .../local-ipv4}, {@code .../placement/availability-zone},
 * {@code .../placement/region}, {@code /latest/dynamic/instance-identity/document}, and, when
 * instance-metadata tags are on, {@code /latest/meta-data/tags/instance} (keys, one a line) and
 * {@code .../tags/instance/KEY}. Unknown paths, and tags while they are off, answer 404.
 *
 * <p>Faults: {@link #refuseTokens(boolean)} (403 on the token, as when IMDS is disabled or the hop
 * limit is exceeded) and {@link #hangTokens(boolean)} (the token request never answers until the
 * fake closes, at most 60 s). Thread-safe.
 */
public final class FakeImds implements AutoCloseable {
  private static final String TOKEN_TTL = "X-aws-ec2-metadata-token-ttl-seconds";
  private static final String TOKEN = "X-aws-ec2-metadata-token";

  private final Supplier<FakeInstance> self;
  private final String region;
  private final LoopbackServer server;
  private final Map<String, Long> tokens = new ConcurrentHashMap<>();
  private final AtomicLong tokenCounter = new AtomicLong();
  private final CountDownLatch closed = new CountDownLatch(1);
  private volatile boolean tagsEnabled = true;
  private volatile boolean refuseTokens;
  private volatile boolean hangTokens;

  private FakeImds(Supplier<FakeInstance> self, String region) {
    this.self = self;
    this.region = region;
    this.server = LoopbackServer.start("fake-imds", this::handle);
  }

  /** Serves the metadata of the fleet's instance {@code instanceId}, as it is at each request. */
  public static FakeImds start(SimulatedFleet fleet, String instanceId) {
    Objects.requireNonNull(fleet, "fleet");
    Objects.requireNonNull(instanceId, "instanceId");
    fleet
        .get(instanceId)
        .orElseThrow(
            () -> new IllegalArgumentException("no instance " + instanceId + " in the fleet"));
    return new FakeImds(() -> fleet.get(instanceId).orElseThrow(), fleet.region());
  }

  /** The endpoint, {@code http://127.0.0.1:PORT}, for {@code Ec2MetadataClient.endpoint}. */
  public URI endpoint() {
    return server.uri();
  }

  /** A new metadata client for this fake (1 s timeouts, no retries). The caller closes it. */
  public Ec2MetadataClient client() {
    return Ec2MetadataClient.builder()
        .endpoint(endpoint())
        .httpClient(
            UrlConnectionHttpClient.builder()
                .connectionTimeout(Duration.ofSeconds(1))
                .socketTimeout(Duration.ofSeconds(1))
                .build())
        .retryPolicy(p -> p.numRetries(0))
        .build();
  }

  /** Turns instance-metadata tags on (the default) or off. */
  public FakeImds tagsEnabled(boolean enabled) {
    this.tagsEnabled = enabled;
    return this;
  }

  /** Answers token requests with 403 while {@code refuse} is set. */
  public FakeImds refuseTokens(boolean refuse) {
    this.refuseTokens = refuse;
    return this;
  }

  /** Leaves token requests unanswered while {@code hang} is set. */
  public FakeImds hangTokens(boolean hang) {
    this.hangTokens = hang;
    return this;
  }

  /** Stops the server and releases hanging requests. */
  @Override
  public void close() {
    closed.countDown();
    server.close();
  }

  private void handle(HttpExchange exchange) throws IOException {
    try (exchange) {
      String path = exchange.getRequestURI().getPath();
      String method = exchange.getRequestMethod();
      if (path.equals("/latest/api/token")) {
        token(exchange, method);
        return;
      }
      if (!method.equals("GET")) {
        LoopbackServer.respond(exchange, 405, "text/plain", "");
        return;
      }
      String token = exchange.getRequestHeaders().getFirst(TOKEN);
      Long expiry = token == null ? null : tokens.get(token);
      if (expiry == null || expiry < System.nanoTime()) {
        LoopbackServer.respond(exchange, 401, "text/plain", "");
        return;
      }
      String body = metadata(path);
      if (body == null) {
        LoopbackServer.respond(
            exchange, 404, "text/html", "<html><body>404 - Not Found" + "</body></html>");
      } else {
        LoopbackServer.respond(exchange, 200, "text/plain", body);
      }
    }
  }

  private void token(HttpExchange exchange, String method) throws IOException {
    if (!method.equals("PUT")) {
      LoopbackServer.respond(exchange, 405, "text/plain", "");
      return;
    }
    if (hangTokens) {
      try {
        closed.await(60, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      return;
    }
    if (refuseTokens || exchange.getRequestHeaders().containsKey("X-Forwarded-For")) {
      LoopbackServer.respond(exchange, 403, "text/plain", "");
      return;
    }
    int ttl;
    try {
      ttl = Integer.parseInt(String.valueOf(exchange.getRequestHeaders().getFirst(TOKEN_TTL)));
    } catch (NumberFormatException e) {
      ttl = -1;
    }
    if (ttl < 1 || ttl > 21600) {
      LoopbackServer.respond(exchange, 400, "text/plain", "");
      return;
    }
    String token = "AQAEAMusterFakeImdsToken" + tokenCounter.incrementAndGet() + "==";
    tokens.put(token, System.nanoTime() + TimeUnit.SECONDS.toNanos(ttl));
    exchange.getResponseHeaders().set(TOKEN_TTL, Integer.toString(ttl));
    LoopbackServer.respond(exchange, 200, "text/plain", token);
  }

  private String metadata(String path) {
    FakeInstance instance = self.get();
    String tagPrefix = "/latest/meta-data/tags/instance";
    if (path.equals(tagPrefix) || path.equals(tagPrefix + "/")) {
      return tagsEnabled ? String.join("\n", instance.tags().keySet()) : null;
    }
    if (path.startsWith(tagPrefix + "/")) {
      return tagsEnabled ? instance.tags().get(path.substring(tagPrefix.length() + 1)) : null;
    }
    return switch (path) {
      case "/latest/meta-data/instance-id" -> instance.instanceId();
      case "/latest/meta-data/instance-type" -> instance.instanceType();
      case "/latest/meta-data/local-ipv4" -> instance.privateIp();
      case "/latest/meta-data/placement/availability-zone" -> instance.availabilityZone();
      case "/latest/meta-data/placement/region" -> region;
      case "/latest/dynamic/instance-identity/document" -> identityDocument(instance);
      default -> null;
    };
  }

  private String identityDocument(FakeInstance i) {
    return "{\n"
        + "  \"accountId\" : \"123456789012\",\n"
        + "  \"architecture\" : \"x86_64\",\n"
        + "  \"availabilityZone\" : \""
        + i.availabilityZone()
        + "\",\n"
        + "  \"imageId\" : \""
        + i.imageId()
        + "\",\n"
        + "  \"instanceId\" : \""
        + i.instanceId()
        + "\",\n"
        + "  \"instanceType\" : \""
        + i.instanceType()
        + "\",\n"
        + "  \"pendingTime\" : \""
        + DateTimeFormatter.ISO_INSTANT.format(i.launchTime().truncatedTo(ChronoUnit.SECONDS))
        + "\",\n"
        + "  \"privateIp\" : \""
        + i.privateIp()
        + "\",\n"
        + "  \"region\" : \""
        + region
        + "\",\n"
        + "  \"version\" : \"2017-09-30\"\n"
        + "}";
  }
}
