package dev.muster.discovery.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.muster.testkit.FakeEc2;
import dev.muster.testkit.RecordedRequest;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Consumer;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.retries.api.BackoffStrategy;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.ec2.Ec2ClientBuilder;
import software.amazon.awssdk.services.ec2.model.DescribeInstancesRequest;
import software.amazon.awssdk.services.ec2.model.DescribeInstancesResponse;
import software.amazon.awssdk.services.ec2.model.Ec2Exception;
import software.amazon.awssdk.services.ec2.model.Filter;

/**
 * The one-operation client against the SDK's generated one, both built from the same builder
 * settings and run against the test kit's EC2: the same requests on the wire (every header but the
 * per-request ones, every parameter), the same parsed responses, the same retries and the same
 * errors. If an SDK upgrade changes what the generated client sends, this fails here first.
 */
class DescribeOnlyEc2ClientTest {
  /** What differs between any two requests: the time, the signature over it, the invocation id. */
  private static final List<String> PER_REQUEST =
      List.of("authorization", "x-amz-date", "amz-sdk-invocation-id");

  private static final Runnable NO_FAULTS = () -> {};

  private FakeEc2 ec2;

  @BeforeEach
  void start() {
    ec2 = FakeEc2.start();
  }

  @AfterEach
  void stop() {
    ec2.close();
  }

  private Ec2ClientBuilder builder() {
    return ec2.clientBuilder()
        .overrideConfiguration(
            o ->
                o.retryStrategy(
                    AwsRetryStrategy.standardRetryStrategy().toBuilder()
                        .maxAttempts(3)
                        .backoffStrategy(BackoffStrategy.retryImmediately())
                        .throttlingBackoffStrategy(BackoffStrategy.retryImmediately())
                        .build()))
        .credentialsProvider(
            StaticCredentialsProvider.create(AwsBasicCredentials.create("AKIDTEST", "secret")));
  }

  /** What each client did for {@code call}: its result (or failure) and its requests. */
  private record Outcome(Object result, List<Map<String, Object>> requests) {}

  private Outcome run(Ec2Client client, Function<Ec2Client, Object> call, Runnable faults) {
    ec2.clearRequests();
    faults.run();
    Object result;
    try {
      // The modelled fields (a response's equals also compares its request id, new each time).
      result = String.valueOf(call.apply(client));
    } catch (Ec2Exception e) {
      result =
          List.of(
              "Ec2Exception",
              e.statusCode(),
              e.awsErrorDetails().errorCode(),
              e.awsErrorDetails().errorMessage());
    } catch (SdkClientException e) {
      result = List.of("SdkClientException", e.getMessage());
    }
    if (faults != NO_FAULTS) {
      ec2.clearFaults(); // what the attempts left (and the page size, which no fault test sets)
    }
    List<Map<String, Object>> sent = new ArrayList<>();
    for (RecordedRequest r : ec2.requests()) {
      Map<String, String> headers = new HashMap<>(r.headers());
      PER_REQUEST.forEach(headers::remove);
      sent.add(
          Map.of("method", r.method(), "path", r.path(), "params", r.params(), "headers", headers));
    }
    return new Outcome(result, sent);
  }

  private void assertSameOnTheWire(Function<Ec2Client, Object> call, Runnable faults) {
    try (Ec2Client generated = builder().build();
        Ec2Client lean = DescribeOnlyEc2Client.build(builder())) {
      assertInstanceOf(DescribeOnlyEc2Client.class, lean);
      Outcome expected = run(generated, call, faults);
      Outcome actual = run(lean, call, faults);
      assertEquals(expected.requests(), actual.requests());
      assertEquals(expected.result(), actual.result());
      assertTrue(!expected.requests().isEmpty());
    }
  }

  @Test
  void theSdkInUseGivesItsBuilderConfiguration() {
    assertTrue(DescribeOnlyEc2Client.available());
    try (Ec2Client c = SdkClients.ec2("us-east-1", ec2.endpoint(), null, 3, null)) {
      assertInstanceOf(DescribeOnlyEc2Client.class, c);
      assertEquals("ec2", c.serviceName());
    }
  }

  @ParameterizedTest(name = "seed {0}")
  @ValueSource(longs = {1, 2, 3, 4, 5, 6})
  void randomRequestsAndFleetsGiveTheSameRequestsAndResponses(long seed) {
    Random random = new Random(seed);
    int count = 1 + random.nextInt(40);
    for (int i = 0; i < count; i++) {
      boolean web = random.nextInt(4) > 0;
      String zone = "us-east-1" + "abc".charAt(random.nextInt(3));
      ec2.fleet()
          .launch(1, s -> s.tag("role", web ? "web" : "api").tag("x", "a&b<c>\"é").zone(zone));
    }
    ec2.pageSize(1 + random.nextInt(10));
    DescribeInstancesRequest.Builder request = DescribeInstancesRequest.builder();
    List<Filter> filters = new ArrayList<>();
    if (random.nextBoolean()) {
      filters.add(Filter.builder().name("tag:role").values("web", "odd value&=").build());
    }
    if (random.nextBoolean()) {
      filters.add(Filter.builder().name("instance-state-name").values("running").build());
    }
    request.filters(filters);
    if (random.nextBoolean()) {
      request.maxResults(5 + random.nextInt(995));
    }
    DescribeInstancesRequest first = request.build();
    assertSameOnTheWire(c -> c.describeInstances(first), NO_FAULTS);
    // Every page, through the interface's paginator, which calls describeInstances.
    assertSameOnTheWire(
        c ->
            c.describeInstancesPaginator(first).stream()
                .map(DescribeInstancesResponse::reservations)
                .toList(),
        NO_FAULTS);
  }

  @Test
  void retriesAndErrorsAreTheGeneratedClients() {
    ec2.fleet().launch(3, Map.of("role", "web"));
    Consumer<Runnable> same =
        faults -> assertSameOnTheWire(c -> c.describeInstances(r -> r.maxResults(5)), faults);
    same.accept(() -> ec2.throttleNext(2));
    same.accept(() -> ec2.throttleNext(5));
    same.accept(() -> ec2.failNext(1, 500, "InternalError", "An internal error has occurred."));
    same.accept(() -> ec2.failNext(1, 403, "UnauthorizedOperation", "You are not authorized."));
    same.accept(() -> ec2.malformedNext(1));
  }

  @Test
  void everyOtherOperationIsUnsupported() {
    try (Ec2Client lean = DescribeOnlyEc2Client.build(builder())) {
      assertThrows(UnsupportedOperationException.class, () -> lean.terminateInstances(r -> {}));
      assertThrows(UnsupportedOperationException.class, lean::serviceClientConfiguration);
    }
  }
}
