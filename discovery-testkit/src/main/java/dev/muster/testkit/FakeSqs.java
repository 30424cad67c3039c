package dev.muster.testkit;

import com.sun.net.httpserver.HttpExchange;
import dev.muster.testkit.internal.Clients;
import dev.muster.testkit.internal.Json;
import dev.muster.testkit.internal.LoopbackServer;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import software.amazon.awssdk.protocols.jsoncore.JsonNode;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.SqsClientBuilder;

/**
 * A stand-in for Amazon SQS on 127.0.0.1, speaking the AWS JSON 1.0 protocol as the SDK 2.41 client
 * sends it ({@code POST /}, {@code X-Amz-Target: AmazonSQS.ReceiveMessage}, a JSON body,
 * SigV4-signed: a request without a SigV4 {@code Authorization} header is refused). It carries the
 * MD5 digests the SDK checks ({@code MD5OfBody} on receive, {@code MD5OfMessageBody} on send).
 *
 * <p>Semantics as SQS documents them: long polling ({@code WaitTimeSeconds} up to 20 returns as
 * soon as a message is visible), at-least-once delivery (a received message is invisible for the
 * visibility timeout, then delivered again with a new receipt handle and a higher {@code
 * ApproximateReceiveCount}), {@code DeleteMessage} by any receipt handle the message was given,
 * {@code ChangeMessageVisibility} of an in-flight message, {@code GetQueueUrl}. Faults: {@link
 * #failNext} answers the next requests with an SQS error (500 {@code InternalError}, or 400 {@code
 * RequestThrottled}, as the caller says).
 *
 * <p>Thread-safe. Close it to free the port.
 */
public final class FakeSqs implements AutoCloseable {
  private static final String ACCOUNT = "000000000000";

  private final LoopbackServer server;
  private final Map<String, Queue> queues = new LinkedHashMap<>();
  private final Deque<int[]> faults = new ArrayDeque<>();
  private final Deque<String> faultTypes = new ArrayDeque<>();
  private final List<String> actions = new ArrayList<>();
  private final AtomicLong ids = new AtomicLong();

  private static final class Queue {
    final String name;
    final Duration visibility;
    final List<Message> messages = new ArrayList<>();

    Queue(String name, Duration visibility) {
      this.name = name;
      this.visibility = visibility;
    }
  }

  private static final class Message {
    final String id;
    final String body;
    final long sentMillis;
    long visibleAtNanos;
    int receiveCount;
    final List<String> receipts = new ArrayList<>();

    Message(String id, String body) {
      this.id = id;
      this.body = body;
      this.sentMillis = System.currentTimeMillis();
    }
  }

  private FakeSqs() {
    this.server = LoopbackServer.start("fake-sqs", this::handle);
  }

  /** Starts a fake with no queue. */
  public static FakeSqs start() {
    return new FakeSqs();
  }

  /** The endpoint, {@code http://127.0.0.1:PORT}, for {@code endpointOverride}. */
  public URI endpoint() {
    return server.uri();
  }

  /**
   * Creates queue {@code name} with this default visibility timeout and returns its URL, {@code
   * http://127.0.0.1:PORT/000000000000/NAME}.
   */
  public synchronized String createQueue(String name, Duration visibility) {
    queues.putIfAbsent(name, new Queue(name, visibility));
    return url(name);
  }

  /** Puts a message on the queue at {@code queueUrl}, as a producer (EventBridge, SNS) would. */
  public synchronized String send(String queueUrl, String body) {
    Message m =
        new Message(
            UUID.nameUUIDFromBytes(("m" + ids.incrementAndGet()).getBytes(StandardCharsets.UTF_8))
                .toString(),
            body);
    queue(queueUrl).messages.add(m);
    notifyAll();
    return m.id;
  }

  /** Messages in the queue, visible or in flight (not yet deleted). */
  public synchronized int size(String queueUrl) {
    return queue(queueUrl).messages.size();
  }

  /** Messages in the queue now in flight: received and not visible again yet. */
  public synchronized int inFlight(String queueUrl) {
    long now = System.nanoTime();
    return (int)
        queue(queueUrl).messages.stream()
            .filter(m -> m.receiveCount > 0 && m.visibleAtNanos > now)
            .count();
  }

  /**
   * Answers the next {@code count} requests with an error: {@code status} 500 gives {@code
   * InternalError}, 400 gives {@code type} (for example {@code RequestThrottled}).
   */
  public synchronized FakeSqs failNext(int count, int status, String type) {
    for (int i = 0; i < count; i++) {
      faults.add(new int[] {status});
      faultTypes.add(type);
    }
    return this;
  }

  /** The actions received so far ({@code ReceiveMessage}, {@code DeleteMessage}, ...), in order. */
  public synchronized List<String> actions() {
    return List.copyOf(actions);
  }

  /** A client builder preset for this fake: endpoint, region, dummy credentials, 30 s reads. */
  public SqsClientBuilder clientBuilder() {
    return SqsClient.builder()
        .endpointOverride(endpoint())
        .region(FakeEc2.REGION)
        .credentialsProvider(Clients.credentials())
        .httpClient(Clients.http(Duration.ofSeconds(30)));
  }

  @Override
  public void close() {
    synchronized (this) {
      notifyAll();
    }
    server.close();
  }

  private String url(String name) {
    return endpoint() + "/" + ACCOUNT + "/" + name;
  }

  private Queue queue(String url) {
    if (url == null) {
      throw new SqsError(400, "MissingParameter", "QueueUrl is required");
    }
    String name = url.substring(url.lastIndexOf('/') + 1);
    Queue q = queues.get(name);
    if (q == null || !url.equals(url(name))) {
      throw new SqsError(
          400,
          "QueueDoesNotExist",
          "The specified queue does not exist.",
          "AWS.SimpleQueueService.NonExistentQueue");
    }
    return q;
  }

  private void handle(HttpExchange exchange) throws IOException {
    try (exchange) {
      String target = exchange.getRequestHeaders().getFirst("X-Amz-Target");
      String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
      String auth = exchange.getRequestHeaders().getFirst("Authorization");
      String action = target == null ? "" : target.substring(target.indexOf('.') + 1);
      int[] fault;
      String faultType;
      synchronized (this) {
        actions.add(action);
        fault = faults.poll();
        faultType = faultTypes.poll();
      }
      try {
        if (auth == null || !auth.startsWith("AWS4-HMAC-SHA256 Credential=")) {
          throw new SqsError(
              403, "MissingAuthenticationToken", "Request is missing a SigV4 signature");
        }
        if (target == null || !target.startsWith("AmazonSQS.")) {
          throw new SqsError(400, "InvalidAction", "X-Amz-Target is missing or not AmazonSQS");
        }
        if (fault != null) {
          throw fault[0] >= 500
              ? new SqsError(fault[0], "InternalError", "We encountered an internal error.")
              : new SqsError(fault[0], faultType, "Injected " + faultType);
        }
        JsonNode request = JsonNode.parser().parse(body);
        String answer =
            switch (action) {
              case "ReceiveMessage" -> receive(request);
              case "DeleteMessage" -> delete(request);
              case "ChangeMessageVisibility" -> changeVisibility(request);
              case "SendMessage" -> sendMessage(request);
              case "GetQueueUrl" -> getQueueUrl(request);
              default -> throw new SqsError(400, "InvalidAction", "Not supported here: " + action);
            };
        LoopbackServer.respond(exchange, 200, "application/x-amz-json-1.0", answer);
      } catch (SqsError e) {
        if (e.queryCode != null) {
          exchange.getResponseHeaders().set("x-amzn-query-error", e.queryCode + ";Sender");
        }
        LoopbackServer.respond(
            exchange,
            e.status,
            "application/x-amz-json-1.0",
            "{\"__type\":"
                + Json.quote("com.amazonaws.sqs#" + e.type)
                + ",\"message\":"
                + Json.quote(e.getMessage())
                + "}");
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  private String receive(JsonNode request) throws InterruptedException {
    String url = text(request, "QueueUrl");
    int max = (int) number(request, "MaxNumberOfMessages", 1);
    int wait = (int) number(request, "WaitTimeSeconds", 0);
    if (max < 1 || max > 10 || wait < 0 || wait > 20) {
      throw new SqsError(
          400, "InvalidParameterValue", "MaxNumberOfMessages 1-10, WaitTimeSeconds 0-20");
    }
    long deadline = System.nanoTime() + Duration.ofSeconds(wait).toNanos();
    synchronized (this) {
      Queue q = queue(url);
      Duration visibility =
          request.asObject().containsKey("VisibilityTimeout")
              ? Duration.ofSeconds(number(request, "VisibilityTimeout", 30))
              : q.visibility;
      while (true) {
        long now = System.nanoTime();
        List<Message> picked = new ArrayList<>();
        for (Message m : q.messages) {
          if (picked.size() < max && m.visibleAtNanos <= now) {
            picked.add(m);
          }
        }
        if (!picked.isEmpty() || now >= deadline || !server.isOpen()) {
          StringBuilder out = new StringBuilder("{\"Messages\":[");
          String comma = "";
          for (Message m : picked) {
            m.receiveCount++;
            m.visibleAtNanos = now + visibility.toNanos();
            String receipt = m.id + "#" + ids.incrementAndGet();
            m.receipts.add(receipt);
            out.append(comma)
                .append("{\"MessageId\":")
                .append(Json.quote(m.id))
                .append(",\"ReceiptHandle\":")
                .append(Json.quote(receipt))
                .append(",\"MD5OfBody\":")
                .append(Json.quote(md5(m.body)))
                .append(",\"Body\":")
                .append(Json.quote(m.body))
                .append(",\"Attributes\":{\"ApproximateReceiveCount\":")
                .append(Json.quote(Integer.toString(m.receiveCount)))
                .append(",\"SentTimestamp\":")
                .append(Json.quote(Long.toString(m.sentMillis)))
                .append("}}");
            comma = ",";
          }
          return out.append("]}").toString();
        }
        wait(Math.max(1, Math.min(100, (deadline - now) / 1_000_000)));
      }
    }
  }

  private synchronized String delete(JsonNode request) {
    Queue q = queue(text(request, "QueueUrl"));
    String receipt = text(request, "ReceiptHandle");
    Message m = byReceipt(q, receipt);
    q.messages.remove(m);
    return "{}";
  }

  private synchronized String changeVisibility(JsonNode request) {
    Queue q = queue(text(request, "QueueUrl"));
    Message m = byReceipt(q, text(request, "ReceiptHandle"));
    long now = System.nanoTime();
    if (m.visibleAtNanos <= now) {
      throw new SqsError(
          400,
          "MessageNotInflight",
          "The message is not in flight.",
          "AWS.SimpleQueueService.MessageNotInflight");
    }
    long seconds = number(request, "VisibilityTimeout", 30);
    if (seconds < 0 || seconds > 43_200) {
      throw new SqsError(400, "InvalidParameterValue", "VisibilityTimeout must be 0 to 43200");
    }
    m.visibleAtNanos = now + Duration.ofSeconds(seconds).toNanos();
    notifyAll();
    return "{}";
  }

  private synchronized String sendMessage(JsonNode request) {
    String body = text(request, "MessageBody");
    String id = send(text(request, "QueueUrl"), body);
    return "{\"MessageId\":"
        + Json.quote(id)
        + ",\"MD5OfMessageBody\":"
        + Json.quote(md5(body))
        + "}";
  }

  private synchronized String getQueueUrl(JsonNode request) {
    String name = text(request, "QueueName");
    if (!queues.containsKey(name)) {
      throw new SqsError(
          400,
          "QueueDoesNotExist",
          "The specified queue does not exist.",
          "AWS.SimpleQueueService.NonExistentQueue");
    }
    return "{\"QueueUrl\":" + Json.quote(url(name)) + "}";
  }

  private static Message byReceipt(Queue q, String receipt) {
    for (Message m : q.messages) {
      if (m.receipts.contains(receipt)) {
        return m;
      }
    }
    throw new SqsError(
        400, "ReceiptHandleIsInvalid", "The input receipt handle is invalid: " + receipt);
  }

  private static String text(JsonNode request, String field) {
    JsonNode node = request.asObject().get(field);
    return node == null || node.isNull() ? null : node.text();
  }

  private static long number(JsonNode request, String field, long fallback) {
    JsonNode node = request.asObject().get(field);
    return node == null || node.isNull() ? fallback : Long.parseLong(node.asNumber());
  }

  static String md5(String body) {
    try {
      return HexFormat.of()
          .formatHex(
              MessageDigest.getInstance("MD5").digest(body.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * An SQS error: HTTP status, the JSON {@code __type} and, for some, the query-compatible code.
   */
  private static final class SqsError extends RuntimeException {
    private static final long serialVersionUID = 1L;
    final int status;
    final String type;
    final String queryCode;

    SqsError(int status, String type, String message) {
      this(status, type, message, null);
    }

    SqsError(int status, String type, String message, String queryCode) {
      super(message);
      this.status = status;
      this.type = Objects.requireNonNull(type);
      this.queryCode = queryCode;
    }
  }
}
