package dev.muster.testkit;

import com.sun.net.httpserver.HttpExchange;
import dev.muster.testkit.internal.Clients;
import dev.muster.testkit.internal.FormBody;
import dev.muster.testkit.internal.LoopbackServer;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import software.amazon.awssdk.services.sts.StsClient;
import software.amazon.awssdk.services.sts.StsClientBuilder;

/**
 * A stand-in for AWS STS on 127.0.0.1: {@code AssumeRole} in the Query protocol ({@code
 * Action=AssumeRole&Version=2011-06-15}, SigV4-signed, XML answers). Roles are trusted with {@link
 * #role}, each with the external id it demands (or none). Each call issues fresh temporary
 * credentials ({@code ASIA...} with a session token) that expire after {@link #sessionLength}, and
 * tells the {@link FakeEc2} it was started with which account they belong to (the account in the
 * role's ARN), so that EC2 requests they sign see that account's fleet.
 *
 * <p>Thread-safe. Close it to free the port.
 */
public final class FakeSts implements AutoCloseable {
  private static final Pattern ROLE_ARN =
      Pattern.compile("arn:aws:iam::([0-9]{12}):role/[A-Za-z0-9+=,.@_/-]{1,512}");

  /** One {@code AssumeRole} call as the stand-in saw it. */
  public record Call(String roleArn, String externalId, String sessionName, String accessKeyId) {}

  private final FakeEc2 ec2;
  private final LoopbackServer server;
  private final Map<String, String> roles = new HashMap<>();
  private final List<Call> calls = new ArrayList<>();
  private final AtomicLong ids = new AtomicLong();
  private Duration sessionLength = Duration.ofHours(1);

  private FakeSts(FakeEc2 ec2) {
    this.ec2 = ec2;
    this.server = LoopbackServer.start("fake-sts", this::handle);
  }

  /** Starts a stand-in whose credentials sign requests to {@code ec2}'s account fleets. */
  public static FakeSts start(FakeEc2 ec2) {
    return new FakeSts(Objects.requireNonNull(ec2, "ec2"));
  }

  /** The endpoint, {@code http://127.0.0.1:PORT}. */
  public URI endpoint() {
    return server.uri();
  }

  /** A builder preset for this stand-in: endpoint, region, dummy credentials, timeouts. */
  public StsClientBuilder clientBuilder() {
    return StsClient.builder()
        .endpointOverride(endpoint())
        .region(FakeEc2.REGION)
        .credentialsProvider(Clients.credentials())
        .httpClient(Clients.http(Duration.ofSeconds(5)));
  }

  /**
   * Trusts {@code roleArn} ({@code arn:aws:iam::ACCOUNT:role/NAME}) for callers that give {@code
   * externalId}; {@code null} for a role that demands none.
   */
  public synchronized FakeSts role(String roleArn, String externalId) {
    if (!ROLE_ARN.matcher(roleArn).matches()) {
      throw new IllegalArgumentException("not a role ARN: " + roleArn);
    }
    roles.put(roleArn, externalId == null ? "" : externalId);
    return this;
  }

  /** How long issued credentials last; one hour unless set (the SDK refreshes them before). */
  public synchronized FakeSts sessionLength(Duration length) {
    this.sessionLength = Objects.requireNonNull(length, "length");
    return this;
  }

  /** Every successful {@code AssumeRole} so far, in order. */
  public synchronized List<Call> calls() {
    return List.copyOf(calls);
  }

  @Override
  public void close() {
    server.close();
  }

  private void handle(HttpExchange exchange) throws IOException {
    try (exchange) {
      Map<String, String> params = new TreeMap<>();
      FormBody.parse(
          new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8), params);
      String requestId = String.format("%08d-0000-4000-8000-00000000sts0", ids.incrementAndGet());
      String auth = exchange.getRequestHeaders().getFirst("Authorization");
      try {
        if (auth == null || !auth.startsWith("AWS4-HMAC-SHA256 Credential=")) {
          throw new StsError(403, "MissingAuthenticationToken", "Request is missing a signature");
        }
        if (!"AssumeRole".equals(params.get("Action"))
            || !"2011-06-15".equals(params.get("Version"))) {
          throw new StsError(400, "InvalidAction", "Not supported here: " + params.get("Action"));
        }
        LoopbackServer.respond(exchange, 200, "text/xml", assumeRole(params, requestId));
      } catch (StsError e) {
        LoopbackServer.respond(
            exchange,
            e.status,
            "text/xml",
            "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><Error><Type>"
                + "Sender</Type><Code>"
                + e.code
                + "</Code><Message>"
                + e.getMessage().replace("&", "&amp;").replace("<", "&lt;")
                + "</Message></Error><RequestId>"
                + requestId
                + "</RequestId></ErrorResponse>");
      }
    }
  }

  private synchronized String assumeRole(Map<String, String> params, String requestId) {
    String arn = params.getOrDefault("RoleArn", "");
    String session = params.getOrDefault("RoleSessionName", "");
    String external = params.get("ExternalId");
    String wanted = roles.get(arn);
    if (session.isEmpty()) {
      throw new StsError(400, "ValidationError", "RoleSessionName is required");
    }
    if (wanted == null || !wanted.equals(external == null ? "" : external)) {
      throw new StsError(
          403, "AccessDenied", "User is not authorized to perform: sts:AssumeRole on " + arn);
    }
    Matcher m = ROLE_ARN.matcher(arn);
    if (!m.matches()) {
      throw new StsError(400, "ValidationError", "not a role ARN: " + arn);
    }
    String account = m.group(1);
    long n = ids.incrementAndGet();
    String key = String.format("ASIA%s%04d", account, n % 10_000);
    ec2.accessKey(key, account);
    calls.add(new Call(arn, external, session, key));
    Instant expires = Instant.now().plus(sessionLength).truncatedTo(ChronoUnit.SECONDS);
    return "<AssumeRoleResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">"
        + "<AssumeRoleResult><Credentials>"
        + "<AccessKeyId>"
        + key
        + "</AccessKeyId><SecretAccessKey>secret-"
        + n
        + "</SecretAccessKey><SessionToken>token-"
        + n
        + "</SessionToken><Expiration>"
        + expires
        + "</Expiration></Credentials><AssumedRoleUser><AssumedRoleId>AROA"
        + account
        + ":"
        + session
        + "</AssumedRoleId><Arn>arn:aws:sts::"
        + account
        + ":assumed-role/"
        + arn.substring(arn.indexOf(":role/") + 6)
        + "/"
        + session
        + "</Arn></AssumedRoleUser></AssumeRoleResult>"
        + "<ResponseMetadata><RequestId>"
        + requestId
        + "</RequestId></ResponseMetadata></AssumeRoleResponse>";
  }

  private static final class StsError extends RuntimeException {
    private final int status;
    private final String code;

    StsError(int status, String code, String message) {
      super(message);
      this.status = status;
      this.code = code;
    }
  }
}
