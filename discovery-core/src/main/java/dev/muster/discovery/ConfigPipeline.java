package dev.muster.discovery;

import static java.util.concurrent.TimeUnit.MILLISECONDS;

import dev.muster.discovery.internal.Backoff;
import dev.muster.discovery.internal.LeftOut;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Joins one or more discovery loops into one output: each loop feeds a named backend, and every
 * publication hands all the backends' memberships to the output's {@link Sink} (a file rendered and
 * applied through a {@link Target}, or a proxy's runtime API).
 *
 * <pre>{@code
 * ConfigPipeline pipeline = ConfigPipeline.newBuilder()
 *     .renderer(renderer)
 *     .target(FileTarget.newBuilder(Path.of("/etc/haproxy/haproxy.cfg"))
 *         .validator(Command.validator("haproxy", "-c", "-f", Command.FILE))
 *         .reloader(reloader).build())
 *     .build();
 * Discovery web = Discovery.newBuilder().name("web").source(webSource)
 *     .listener(pipeline.backend("web")).build();
 * Discovery api = Discovery.newBuilder().name("api").source(apiSource)
 *     .listener(pipeline.backend("api")).build();
 * }</pre>
 *
 * <p>Nothing is rendered until every backend has published once, so a file never goes out with a
 * backend missing. Runtime-API sinks plug in the same way: {@code
 * ConfigPipeline.newBuilder().sink(haproxyRuntime)}.
 *
 * <p><b>Level-triggered.</b> The pipeline remembers which memberships it last applied. While that
 * differs from the latest published memberships (a render or apply failed: the proxy was down, the
 * disk full, a socket hung), it tries again on its own, with jittered exponential backoff from
 * {@link Builder#retryBackoff} min to max, until the target holds the latest memberships; a new
 * publication in between is applied at once. {@link #pendingSince()} and {@link #lastFailure()} say
 * since when and why an apply is pending.
 *
 * <p><b>One instance cannot block the fleet.</b> When the proxy's checker refuses a candidate
 * ({@link ApplyException#rejected()}) or the render fails ({@link RenderException}: a tag value
 * that the output's syntax cannot carry, a tag a template needs that a member lacks), the pipeline
 * finds the members that make it invalid among those new or changed since the last accepted
 * candidate (halving the suspects, with {@link Sink#check}), leaves them out with a warning each,
 * and applies the rest. A member left out is tried again once it changes (its tags are fixed);
 * {@link #rejectedMembers()} lists them.
 *
 * <p>Thread-safe: loops on different threads and the retry timer are serialised here. {@link
 * #close()} stops the retries.
 *
 * <p>The members left out (refused or drained) are kept by {@code internal.LeftOut}, the search for
 * refused members is {@code internal.BadMemberSearch}.
 */
public final class ConfigPipeline implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger("dev.muster.apply");

  private final String name;
  private final Sink sink;
  private final ReentrantLock lock = new ReentrantLock();
  private final Set<String> backends = new LinkedHashSet<>();
  private final Map<String, Snapshot> latest = new TreeMap<>();
  private final Clock clock;
  private final Duration retryMin;
  private final Duration retryMax;
  private final Duration coalesce;
  private final Random random;
  private final ScheduledExecutorService givenScheduler;
  private ScheduledExecutorService ownScheduler;
  private volatile ApplyResult lastResult;
  private volatile RuntimeException lastFailure;
  private volatile Instant pendingSince;
  private volatile Instant lastSuccessAt;

  /** The fingerprints of the memberships the target holds, or {@code null}. */
  private Map<String, String> applied;

  /** The memberships of the last candidate the target accepted; empty before the first. */
  private Map<String, Snapshot> accepted = Map.of();

  /** The members refused or drained, left out of what is applied. */
  private final LeftOut leftOut;

  /**
   * A drain: since when, and when it is given back if EC2 still lists the member.
   *
   * @param since when the drain began
   * @param giveBackAt when the member returns to the output if it is still published then
   */
  public record Drained(Instant since, Instant giveBackAt) {}

  private ScheduledFuture<?> retry;
  private ScheduledFuture<?> coalesced;
  private int failedInARow;
  private boolean closed;
  private int applies;
  private int failures;

  private ConfigPipeline(Builder b) {
    this.name = b.name;
    this.sink = b.sink != null ? b.sink : Sink.of(b.renderer, b.target);
    this.clock = b.clock;
    this.retryMin = b.retryMin;
    this.retryMax = b.retryMax;
    this.coalesce = b.coalesce;
    this.random = b.random;
    this.givenScheduler = b.scheduler;
    this.leftOut = new LeftOut(b.name);
    if (b.previous != null) {
      Map<String, Drained> carried = b.previous.drains();
      leftOut.carry(carried);
      Instant now = clock.instant();
      carried.values().stream()
          .map(Drained::giveBackAt)
          .distinct()
          .forEach(
              at ->
                  scheduler()
                      .schedule(
                          this::giveBackDue,
                          Math.max(0, Duration.between(now, at).toMillis()),
                          MILLISECONDS));
    }
  }

  /** A new builder; a sink, or a renderer and a target, are required. */
  public static Builder newBuilder() {
    return new Builder();
  }

  /**
   * The listener that feeds backend {@code backendName}; register every backend before any loop
   * starts.
   *
   * @throws IllegalArgumentException if the name is taken
   */
  public MembershipListener backend(String backendName) {
    Objects.requireNonNull(backendName, "backendName");
    lock.lock();
    try {
      if (!backends.add(backendName)) {
        throw new IllegalArgumentException("backend " + backendName + " is registered twice");
      }
    } finally {
      lock.unlock();
    }
    return new MembershipListener() {
      @Override
      public void onChange(Snapshot snapshot, Changes changes) {
        update(backendName, snapshot);
      }

      @Override
      public String toString() {
        return name + "/" + backendName;
      }
    };
  }

  /**
   * Renders and applies the latest memberships now, for example after a failed reload was fixed by
   * hand. Does nothing until every backend has published.
   *
   * @return the result, or {@code null} if not every backend has published yet
   * @throws RenderException or {@link ApplyException} as the render or apply fails
   */
  public ApplyResult applyNow() {
    lock.lock();
    try {
      if (!ready()) {
        return null;
      }
      return renderAndApply();
    } finally {
      lock.unlock();
    }
  }

  /**
   * Since when the target has not held the latest memberships because applying them failed, or
   * {@code null} when it holds them (or nothing was published yet). {@link #lastFailure()} says
   * why.
   */
  public Instant pendingSince() {
    return pendingSince;
  }

  /** Stops retrying; a retry in progress finishes. Shuts down the scheduler it created. */
  @Override
  public void close() {
    lock.lock();
    try {
      closed = true;
      if (retry != null) {
        retry.cancel(false);
      }
      if (coalesced != null) {
        coalesced.cancel(false);
      }
      if (ownScheduler != null) {
        ownScheduler.shutdownNow();
      }
    } finally {
      lock.unlock();
    }
  }

  /** The result of the last successful apply, or {@code null}. */
  public ApplyResult lastResult() {
    return lastResult;
  }

  /**
   * When the target last took (or already held) the latest memberships, or {@code null} before the
   * first success.
   */
  public Instant lastSuccessAt() {
    return lastSuccessAt;
  }

  /** The last failure, or {@code null} if the last attempt succeeded. */
  public RuntimeException lastFailure() {
    return lastFailure;
  }

  /** How many times the target applied a change (not counting unchanged renders). */
  public int appliedCount() {
    lock.lock();
    try {
      return applies;
    } finally {
      lock.unlock();
    }
  }

  /** How many render or apply attempts failed. */
  public int failureCount() {
    lock.lock();
    try {
      return failures;
    } finally {
      lock.unlock();
    }
  }

  /** The latest membership of each backend that has published. */
  public Map<String, Snapshot> memberships() {
    lock.lock();
    try {
      return Collections.unmodifiableMap(new TreeMap<>(latest));
    } finally {
      lock.unlock();
    }
  }

  private void update(String backend, Snapshot snapshot) {
    lock.lock();
    try {
      latest.put(backend, snapshot);
      if (!ready()) {
        Set<String> waiting = new LinkedHashSet<>(backends);
        waiting.removeAll(latest.keySet());
        log.info("{}: waiting for the first membership of {}", name, waiting);
        return;
      }
      if (coalesce.isZero()) {
        attempt();
      } else if (coalesced == null && !closed) {
        // The other backends' publications of the same change join this apply.
        coalesced = scheduler().schedule(this::applyCoalesced, coalesce.toMillis(), MILLISECONDS);
      }
    } finally {
      lock.unlock();
    }
  }

  private void applyCoalesced() {
    lock.lock();
    try {
      coalesced = null;
      if (!closed && ready() && !fingerprints(leftOut.apply(latest, accepted)).equals(applied)) {
        attempt();
      }
    } finally {
      lock.unlock();
    }
  }

  /** Renders and applies the latest memberships; on failure, schedules the next try. */
  private void attempt() {
    try {
      renderAndApply();
    } catch (RenderException | ApplyException e) {
      scheduleRetry(e);
    } catch (RuntimeException e) {
      // A bug in a renderer or target must not stop the retries either.
      failures++;
      lastFailure = e;
      log.error("{}: unexpected failure while applying", name, e);
      scheduleRetry(e);
    }
  }

  private void retryIfPending() {
    lock.lock();
    try {
      retry = null;
      if (!closed && ready() && !fingerprints(leftOut.apply(latest, accepted)).equals(applied)) {
        log.info("{}: retrying the apply pending since {}", name, pendingSince);
        attempt();
      }
    } finally {
      lock.unlock();
    }
  }

  private void scheduleRetry(RuntimeException failure) {
    Instant now = clock.instant();
    if (pendingSince == null) {
      pendingSince = now;
    }
    failedInARow++;
    long delay =
        Backoff.delay(retryMin, retryMax, failedInARow, 0.2, random.nextDouble()).toMillis();
    log.error(
        "{}: {}; apply pending since {}, next try in {} ms",
        name,
        failure.getMessage(),
        pendingSince,
        delay);
    if (closed) {
      return;
    }
    if (retry != null) {
      retry.cancel(false);
    }
    retry = scheduler().schedule(this::retryIfPending, delay, TimeUnit.MILLISECONDS);
  }

  private ScheduledExecutorService scheduler() {
    if (givenScheduler != null) {
      return givenScheduler;
    }
    if (ownScheduler == null) {
      ownScheduler =
          Executors.newSingleThreadScheduledExecutor(
              r -> {
                Thread t = new Thread(r, "muster-apply-" + name);
                t.setDaemon(true);
                return t;
              });
    }
    return ownScheduler;
  }

  private static Map<String, String> fingerprints(Map<String, Snapshot> memberships) {
    Map<String, String> fingerprints = new TreeMap<>();
    memberships.forEach((backend, snapshot) -> fingerprints.put(backend, snapshot.fingerprint()));
    return fingerprints;
  }

  /**
   * Members left out because the proxy's checker or the render refused the configuration with them,
   * as {@code backend/instance-id}; they are tried again once they change.
   */
  public Set<String> rejectedMembers() {
    lock.lock();
    try {
      return leftOut.rejected();
    } finally {
      lock.unlock();
    }
  }

  /**
   * Takes these instances out of the output now, ahead of EC2 (for example when Auto Scaling is
   * about to terminate them): they are left out of every backend until they leave the published
   * memberships, and this returns once the sink applied that. For a runtime-API sink that means
   * their sessions ended (or its drain timeout passed); for a file sink, that the proxy reloaded
   * without them (its old workers finish their requests).
   *
   * <p>A drain is never for good: an instance still published {@code giveBackAfter} from now (EC2
   * lists it running and matching, so no termination followed: a forged or replayed message, a Spot
   * warning that came to nothing) is given back to the output, with a warning. Draining an instance
   * that is already draining keeps its first give-back time.
   *
   * @param giveBackAfter how long the instances stay out while EC2 still lists them; positive
   * @return what the sink did, or {@code null} if not every backend has published yet (the drain
   *     then applies with the first publication)
   * @throws ApplyException if the apply failed (it is retried like any other, the drain stays
   *     requested), or if draining would leave a backend that has members with none
   */
  public ApplyResult drain(Set<String> instanceIds, Duration giveBackAfter) {
    Objects.requireNonNull(giveBackAfter, "giveBackAfter");
    if (giveBackAfter.isNegative() || giveBackAfter.isZero()) {
      throw new IllegalArgumentException("giveBackAfter must be positive: " + giveBackAfter);
    }
    lock.lock();
    try {
      String emptied = leftOut.drain(instanceIds, clock.instant(), giveBackAfter, latest);
      if (emptied != null) {
        throw new ApplyException(
            "drain refused: it would leave backend " + emptied + " with no member");
      }
      if (!closed) {
        scheduler().schedule(this::giveBackDue, giveBackAfter.toMillis(), MILLISECONDS);
      }
      if (!ready()) {
        return null;
      }
      try {
        return renderAndApply();
      } catch (RenderException | ApplyException e) {
        scheduleRetry(e);
        throw e;
      }
    } finally {
      lock.unlock();
    }
  }

  /**
   * Before {@link #drain}: what to wait for once these instances' drain was applied (the sink's
   * {@link Sink#drain}), for those of them this output holds. Changes nothing.
   */
  public Drain prepareDrain(Set<String> instanceIds) {
    lock.lock();
    try {
      Set<Member> members = new java.util.LinkedHashSet<>();
      for (Snapshot snapshot : latest.values()) {
        for (String id : instanceIds) {
          snapshot.member(id).ifPresent(members::add);
        }
      }
      return members.isEmpty() ? Drain.NONE : sink.drain(Set.copyOf(members));
    } finally {
      lock.unlock();
    }
  }

  /** Gives back the drained instances whose time is up and that are still published. */
  private void giveBackDue() {
    lock.lock();
    try {
      if (leftOut.giveBackDue(clock.instant()) && !closed && ready()) {
        attempt();
      }
    } finally {
      lock.unlock();
    }
  }

  /** Instances being drained ahead of EC2 (see {@link #drain}). */
  public Set<String> drainingMembers() {
    lock.lock();
    try {
      return Set.copyOf(leftOut.drains().keySet());
    } finally {
      lock.unlock();
    }
  }

  /** The drains in progress by instance id: since when, and when each is given back. */
  public Map<String, Drained> drains() {
    lock.lock();
    try {
      return leftOut.drains();
    } finally {
      lock.unlock();
    }
  }

  /** How many drained instances were given back because EC2 still listed them. */
  public int givenBackCount() {
    lock.lock();
    try {
      return leftOut.givenBack();
    } finally {
      lock.unlock();
    }
  }

  /** Whether the sink would accept {@code candidate}, for the search of refused members. */
  private boolean passes(Map<String, Snapshot> candidate) {
    try {
      sink.check(candidate);
      return true;
    } catch (RenderException | ApplyException e) {
      return false;
    }
  }

  private boolean ready() {
    return !backends.isEmpty() && latest.keySet().containsAll(backends);
  }

  private ApplyResult renderAndApply() {
    try {
      leftOut.prune(latest);
      Map<String, Snapshot> memberships = leftOut.apply(latest, accepted);
      ApplyResult result;
      try {
        result = sink.apply(memberships);
      } catch (ApplyException | RenderException e) {
        // A render that fails (a tag value the syntax cannot carry) or a candidate the proxy's
        // checker refuses may be one member's doing: leave it out, apply the rest.
        boolean byMember = e instanceof RenderException || ((ApplyException) e).rejected();
        if (!byMember
            || !leftOut.refuse(
                memberships, accepted, this::passes, e, e instanceof RenderException)) {
          throw e;
        }
        memberships = leftOut.apply(latest, accepted);
        result = sink.apply(memberships);
      }
      Map<String, String> fingerprints = fingerprints(memberships);
      accepted = memberships;
      lastResult = result;
      lastSuccessAt = clock.instant();
      lastFailure = null;
      applied = fingerprints;
      failedInARow = 0;
      if (pendingSince != null) {
        log.info("{}: the apply pending since {} succeeded", name, pendingSince);
        pendingSince = null;
      }
      if (retry != null) {
        retry.cancel(false);
        retry = null;
      }
      switch (result.outcome()) {
        case APPLIED -> {
          applies++;
          log.info("{}: applied {}", name, result.detail());
        }
        case DRY_RUN -> log.info("{}: dry run, nothing applied", name);
        case UNCHANGED -> log.debug("{}: rendered text unchanged, nothing to apply", name);
        default -> throw new IllegalStateException(result.outcome().name());
      }
      return result;
    } catch (RenderException | ApplyException e) {
      failures++;
      lastFailure = e;
      throw e;
    }
  }

  /** Builds a {@link ConfigPipeline}. Not thread-safe. */
  public static final class Builder {
    private String name = "config";
    private Renderer renderer;
    private Target target;
    private Sink sink;
    private Clock clock = Clock.systemUTC();
    private Duration retryMin = Duration.ofSeconds(1);
    private Duration retryMax = Duration.ofSeconds(60);
    private Duration coalesce = Duration.ZERO;
    private Random random = new Random();
    private ScheduledExecutorService scheduler;

    private ConfigPipeline previous;

    private Builder() {}

    /**
     * Continues the drains of {@code previous}, a pipeline this one replaces (a configuration
     * reload): its drained instances stay out, with the same give-back times. Read when this one is
     * built.
     */
    public Builder after(ConfigPipeline previous) {
      this.previous = Objects.requireNonNull(previous, "previous");
      return this;
    }

    /**
     * The first and the longest delay between tries of a failed apply; 1 s and 60 s unless set.
     * Each delay is spread by ±20%.
     */
    public Builder retryBackoff(Duration min, Duration max) {
      Objects.requireNonNull(min, "retryBackoff min");
      Objects.requireNonNull(max, "retryBackoff max");
      if (min.toMillis() < 1 || max.compareTo(min) < 0) {
        throw new IllegalArgumentException(
            "retryBackoff must be at least 1 ms, min <= max: " + min + ", " + max);
      }
      this.retryMin = min;
      this.retryMax = max;
      return this;
    }

    /**
     * Waits this long after a publication before rendering, so that the publications of other
     * backends of the same change (backends that share a query publish within milliseconds of each
     * other) are applied in one render and one reload instead of one each. Zero (unless set)
     * renders at each publication, on the publishing thread; otherwise the render runs on the
     * scheduler.
     */
    public Builder coalesce(Duration coalesce) {
      Objects.requireNonNull(coalesce, "coalesce");
      if (coalesce.isNegative() || coalesce.compareTo(Duration.ofMinutes(1)) > 0) {
        throw new IllegalArgumentException("coalesce must be 0 to 1 minute: " + coalesce);
      }
      this.coalesce = coalesce;
      return this;
    }

    /** The clock for {@link #pendingSince()}; the system clock unless set. */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /**
     * Runs retries and coalesced applies on this scheduler, which the caller owns; a private daemon
     * thread, made on the first failure, unless set.
     */
    public Builder scheduler(ScheduledExecutorService scheduler) {
      this.scheduler = Objects.requireNonNull(scheduler, "scheduler");
      return this;
    }

    /** The random source for the retry jitter; for repeatable tests. */
    public Builder random(Random random) {
      this.random = Objects.requireNonNull(random, "random");
      return this;
    }

    /** A name for logs; {@code config} unless set. */
    public Builder name(String name) {
      this.name = Objects.requireNonNull(name, "name");
      return this;
    }

    /**
     * The output, for a sink other than a file (a proxy's runtime API). Exclusive with {@link
     * #renderer} and {@link #target}, which make a file sink.
     */
    public Builder sink(Sink sink) {
      this.sink = Objects.requireNonNull(sink, "sink");
      return this;
    }

    /** How memberships become text, for a file sink; with {@link #target}. */
    public Builder renderer(Renderer renderer) {
      this.renderer = Objects.requireNonNull(renderer, "renderer");
      return this;
    }

    /** Where the text goes, for a file sink; with {@link #renderer}. */
    public Builder target(Target target) {
      this.target = Objects.requireNonNull(target, "target");
      return this;
    }

    /**
     * Builds the pipeline.
     *
     * @throws IllegalStateException naming the missing setting
     */
    public ConfigPipeline build() {
      if (sink != null) {
        if (renderer != null || target != null) {
          throw new IllegalStateException(
              "sink(...) is exclusive with renderer and target, " + "which make a file sink");
        }
        return new ConfigPipeline(this);
      }
      if (renderer == null) {
        throw new IllegalStateException(
            "renderer is not set: call renderer(Renderer), or " + "sink(Sink)");
      }
      if (target == null) {
        throw new IllegalStateException(
            "target is not set: call target(Target), or " + "sink(Sink)");
      }
      return new ConfigPipeline(this);
    }
  }
}
