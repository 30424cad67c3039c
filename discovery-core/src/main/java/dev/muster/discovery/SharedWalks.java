package dev.muster.discovery;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Supplier;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.core.interceptor.SdkExecutionAttribute;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.ec2.model.DescribeInstancesRequest;
import software.amazon.awssdk.services.ec2.model.Instance;

/**
 * One {@code DescribeInstances} walk for every {@link Ec2MembershipSource} that asks the same
 * question: sources built with the same {@code SharedWalks} (see {@link
 * Ec2MembershipSource.Builder#sharedWalks}) and the same query and client settings share one EC2
 * client, and a walk that started less than {@code window} ago is handed to the next source that
 * asks instead of walking again. Two backends that differ only in port or address (the same tags,
 * say, served on 8080 and on 9090) then cost one walk per interval, not two.
 *
 * <pre>{@code
 * try (SharedWalks walks = SharedWalks.within(Duration.ofSeconds(7))) {
 *   Ec2MembershipSource web = Ec2MembershipSource.newBuilder().sharedWalks(walks)
 *       .region("us-east-1").query(appTier).mapping(port8080).build();
 *   Ec2MembershipSource api = Ec2MembershipSource.newBuilder().sharedWalks(walks)
 *       .region("us-east-1").query(appTier).mapping(port9090).build();
 *   ...
 * }
 * }</pre>
 *
 * <p>A shared walk is as old as its start, at most {@code window}: pick a window well under the
 * loops' interval (the agent uses half the shortest one). Each source still maps the instances
 * itself, and still confirms its own departures with a lookup of its own, so sharing never lets a
 * member go that a walk of its own would have kept. A walk that fails is not shared: the next
 * source walks again. While one source walks, another that asks the same question waits for it.
 *
 * <p>Thread-safe. Closing it closes the EC2 clients it holds; close it after the sources.
 */
public final class SharedWalks implements AutoCloseable {
  private final Duration window;
  private final Clock clock;
  private final Map<ClientKey, Ec2Client> clients = new HashMap<>();
  private final Map<WalkKey, Walk> walks = new HashMap<>();
  private int walkCount;
  private final Map<String, Long> requests = new java.util.TreeMap<>();

  /** Counts every attempt of every call of the clients built here, by operation. */
  final ExecutionInterceptor counter =
      new ExecutionInterceptor() {
        @Override
        public void beforeTransmission(
            Context.BeforeTransmission context, ExecutionAttributes attributes) {
          String operation = attributes.getAttribute(SdkExecutionAttribute.OPERATION_NAME);
          synchronized (SharedWalks.this) {
            requests.merge(operation == null ? "unknown" : operation, 1L, Long::sum);
          }
        }
      };

  private SharedWalks(Duration window, Clock clock) {
    this.window = window;
    this.clock = clock;
  }

  /**
   * Shares a walk with every source that asks within {@code window} of its start.
   *
   * @throws IllegalArgumentException if {@code window} is negative
   */
  public static SharedWalks within(Duration window) {
    return within(window, Clock.systemUTC());
  }

  /** As {@link #within(Duration)}, timed by {@code clock}. */
  public static SharedWalks within(Duration window, Clock clock) {
    Objects.requireNonNull(window, "window");
    if (window.isNegative()) {
      throw new IllegalArgumentException("window must not be negative: " + window);
    }
    return new SharedWalks(window, Objects.requireNonNull(clock, "clock"));
  }

  /** How many walks were made (not handed on) so far: a figure for status and tests. */
  public synchronized int walkCount() {
    return walkCount;
  }

  /**
   * The requests the EC2 clients built for these sources sent so far, by operation (for example
   * {@code DescribeInstances}), each attempt counted: what EC2's request rate limits count.
   */
  public synchronized Map<String, Long> requestCounts() {
    return Map.copyOf(requests);
  }

  /** The client for these settings: the one built for the first source that had them. */
  synchronized Ec2Client client(ClientKey key, Supplier<Ec2Client> build) {
    return clients.computeIfAbsent(key, k -> build.get());
  }

  /**
   * The instances {@code request} lists through {@code client}: a walk that started within the
   * window, else a new one by {@code walker}.
   */
  List<Instance> instances(
      Ec2Client client, DescribeInstancesRequest request, Supplier<List<Instance>> walker) {
    Walk walk;
    synchronized (this) {
      walk = walks.computeIfAbsent(new WalkKey(client, request), k -> new Walk());
    }
    synchronized (walk) {
      if (walk.instances != null
          && Duration.between(walk.startedAt, clock.instant()).compareTo(window) < 0) {
        return walk.instances;
      }
      Instant start = clock.instant();
      walk.instances = null;
      // The walker's list is new and not kept elsewhere: wrapped, not copied (10,000 entries).
      List<Instance> fresh = java.util.Collections.unmodifiableList(walker.get());
      synchronized (this) {
        walkCount++;
      }
      walk.startedAt = start;
      walk.instances = fresh;
      return fresh;
    }
  }

  /**
   * Forgets every walk, so the next source that asks walks afresh (and the others share that new
   * one): for a refresh that an event asked for, which must not be answered from before the event.
   */
  public void invalidate() {
    List<Walk> all;
    synchronized (this) {
      all = new ArrayList<>(walks.values());
    }
    for (Walk walk : all) {
      synchronized (walk) {
        walk.instances = null;
      }
    }
  }

  @Override
  public void close() {
    List<Ec2Client> toClose;
    synchronized (this) {
      toClose = new ArrayList<>(clients.values());
      clients.clear();
      walks.clear();
    }
    toClose.forEach(Ec2Client::close);
  }

  /** Client settings that can share one client. */
  record ClientKey(String region, Object endpoint, Object credentials, int maxAttempts) {}

  private record WalkKey(Ec2Client client, DescribeInstancesRequest request) {}

  private static final class Walk {
    Instant startedAt;
    List<Instance> instances;
  }
}
