package dev.muster.discovery.internal;

import static java.util.concurrent.TimeUnit.MILLISECONDS;

import dev.muster.discovery.ApplyException;
import dev.muster.discovery.ApplyResult;
import dev.muster.discovery.Changes;
import dev.muster.discovery.ConfigPipeline;
import dev.muster.discovery.ConfigPipeline.Drained;
import dev.muster.discovery.MembershipListener;
import dev.muster.discovery.RenderException;
import dev.muster.discovery.Sink;
import dev.muster.discovery.Snapshot;
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
 * What {@link ConfigPipeline} runs: the latest memberships of every backend, the level-triggered
 * apply with its retries, and the members left out ({@link LeftOut}), under one lock. See {@link
 * ConfigPipeline} for the contract.
 */
public final class PipelineCore {
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

  private ScheduledFuture<?> retry;
  private ScheduledFuture<?> coalesced;
  private int failedInARow;
  private boolean closed;
  private int applies;
  private int failures;

  /** See {@link ConfigPipeline#Settings}. */
  public record Settings(
      String name,
      Sink sink,
      Clock clock,
      Duration retryMin,
      Duration retryMax,
      Duration coalesce,
      Random random,
      ScheduledExecutorService scheduler,
      Map<String, Drained> previous) {}

  public PipelineCore(Settings b) {
    this.name = b.name();
    this.sink = b.sink();
    this.clock = b.clock();
    this.retryMin = b.retryMin();
    this.retryMax = b.retryMax();
    this.coalesce = b.coalesce();
    this.random = b.random();
    this.givenScheduler = b.scheduler();
    this.leftOut = new LeftOut(b.name());
    if (b.previous() != null) {
      Map<String, Drained> carried = b.previous();
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

  /** See {@link ConfigPipeline#backend}. */
  public MembershipListener backend(String backendName) {
    Objects.requireNonNull(backendName, "backendName");
    if (!locked(() -> backends.add(backendName))) {
      throw new IllegalArgumentException("backend " + backendName + " is registered twice");
    }
    return new Feed(this, backendName);
  }

  /** The listener of one backend; its name in logs is {@code pipeline/backend}. */
  private record Feed(PipelineCore pipeline, String backend) implements MembershipListener {
    @Override
    public void onChange(Snapshot snapshot, Changes changes) {
      pipeline.update(backend, snapshot);
    }

    @Override
    public String toString() {
      return pipeline.name + "/" + backend;
    }
  }

  /** See {@link ConfigPipeline#applyNow}. */
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

  /** See {@link ConfigPipeline#pendingSince}. */
  public Instant pendingSince() {
    return pendingSince;
  }

  /** See {@link ConfigPipeline#close}. */
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

  /** See {@link ConfigPipeline#lastResult}. */
  public ApplyResult lastResult() {
    return lastResult;
  }

  /** See {@link ConfigPipeline#lastSuccessAt}. */
  public Instant lastSuccessAt() {
    return lastSuccessAt;
  }

  /** See {@link ConfigPipeline#lastFailure}. */
  public RuntimeException lastFailure() {
    return lastFailure;
  }

  /** See {@link ConfigPipeline#appliedCount}. */
  public int appliedCount() {
    return locked(() -> applies);
  }

  /** See {@link ConfigPipeline#failureCount}. */
  public int failureCount() {
    return locked(() -> failures);
  }

  /** See {@link ConfigPipeline#memberships}. */
  public Map<String, Snapshot> memberships() {
    return locked(() -> Collections.unmodifiableMap(new TreeMap<>(latest)));
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
    applyIfPending(() -> coalesced = null, null);
  }

  /** After {@code reset}, applies the latest memberships if the target does not hold them. */
  private void applyIfPending(Runnable reset, String why) {
    lock.lock();
    try {
      reset.run();
      if (!closed && ready() && !fingerprints(leftOut.apply(latest, accepted)).equals(applied)) {
        if (why != null) {
          log.info("{}: {} pending since {}", name, why, pendingSince);
        }
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
    applyIfPending(() -> retry = null, "retrying the apply");
  }

  private void scheduleRetry(RuntimeException failure) {
    Instant now = clock.instant();
    if (pendingSince == null) {
      pendingSince = now;
    }
    failedInARow++;
    if (retryMin == null) {
      // One-shot: the caller reports lastFailure(); a log line too would say it twice.
      log.debug("{}: {}; not tried again (a one-shot pipeline)", name, failure.getMessage());
      return;
    }
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

  /** See {@link ConfigPipeline#rejectedMembers}. */
  public Set<String> rejectedMembers() {
    return locked(() -> leftOut.rejected());
  }

  /** See {@link ConfigPipeline#drain}. */
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

  /** The sink it applies to. */
  public Sink sink() {
    return sink;
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

  /** See {@link ConfigPipeline#drainingMembers}. */
  public Set<String> drainingMembers() {
    return locked(() -> Set.copyOf(leftOut.drains().keySet()));
  }

  /** See {@link ConfigPipeline#drains}. */
  public Map<String, Drained> drains() {
    return locked(() -> leftOut.drains());
  }

  /** See {@link ConfigPipeline#givenBackCount}. */
  public int givenBackCount() {
    return locked(() -> leftOut.givenBack());
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

  private <T> T locked(java.util.function.Supplier<T> read) {
    lock.lock();
    try {
      return read.get();
    } finally {
      lock.unlock();
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
}
