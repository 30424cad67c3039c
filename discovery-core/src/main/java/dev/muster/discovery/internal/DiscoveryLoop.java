package dev.muster.discovery.internal;

import dev.muster.discovery.Changes;
import dev.muster.discovery.Discovery;
import dev.muster.discovery.DiscoveryStatus;
import dev.muster.discovery.MembershipListener;
import dev.muster.discovery.MembershipSource;
import dev.muster.discovery.Snapshot;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What {@link Discovery} runs: fetch, decide ({@link Decision}), schedule, back off, deliver to the
 * listeners and the state file. All listener calls and fetches happen one at a time under one lock;
 * the scheduling state has its own, never held during a fetch. See {@link Discovery} for the
 * contract.
 */
public final class DiscoveryLoop {
  private static final Logger log = LoggerFactory.getLogger("dev.muster.discovery");

  private final String name;
  private final MembershipSource source;
  private final Duration interval;
  private final double jitter;
  private final Duration maxBackoff;
  private final Clock clock;
  private final ScheduledExecutorService scheduler;
  private final boolean ownsScheduler;
  private final Random random;
  private final Delivery delivery;
  private final DiscoveryLoop previous;
  private Decision.State decisions;

  /** Serialises ticks, publications and listener calls. */
  private final ReentrantLock loop = new ReentrantLock();

  private Snapshot published;
  private int consecutiveFailures;
  private Instant lastAttempt;
  private Instant lastSuccess;
  private String lastError;
  private Duration lastFetchDuration = Duration.ZERO;
  private long fetches;
  private long fetchFailures;
  private String held;
  private volatile boolean overrideRequested;
  private volatile DiscoveryStatus status;

  /** Guards the scheduling state below; never held during a fetch. */
  private final Object scheduling = new Object();

  private boolean started;
  private boolean closed;
  private boolean refreshQueued;
  private ScheduledFuture<?> nextTick;
  private ScheduledFuture<?> publishTimer;

  /**
   * The loop's settings, as the builder checked them.
   *
   * @param scheduler the caller's scheduler, or {@code null} for a private daemon one
   * @param stateFile where the membership is saved, or {@code null}
   * @param previous the loop this one continues from, or {@code null}
   */
  public record Settings(
      String name,
      MembershipSource source,
      List<MembershipListener> listeners,
      Duration interval,
      double jitter,
      Duration maxBackoff,
      Clock clock,
      ScheduledExecutorService scheduler,
      Random random,
      Path stateFile,
      DiscoveryLoop previous,
      Decision.State decisions) {}

  public DiscoveryLoop(Settings b) {
    this.name = b.name();
    this.source = b.source();
    this.interval = b.interval();
    this.jitter = b.jitter();
    this.maxBackoff = b.maxBackoff();
    this.clock = b.clock();
    this.ownsScheduler = b.scheduler() == null;
    this.scheduler =
        ownsScheduler
            ? Executors.newSingleThreadScheduledExecutor(
                r -> {
                  Thread t = new Thread(r, "muster-discovery-" + b.name());
                  t.setDaemon(true);
                  return t;
                })
            : b.scheduler();
    this.random = b.random();
    this.delivery = new Delivery(b.name(), b.source(), b.listeners(), b.stateFile());
    this.previous = b.previous();
    this.decisions = b.decisions();
    this.status =
        new DiscoveryStatus(name, null, null, 0, null, Duration.ZERO, 0, null, null, null, 0, 0);
  }

  /** See {@link Discovery#start()}. */
  public void start() {
    synchronized (scheduling) {
      if (closed) {
        throw new IllegalStateException(name + ": closed");
      }
      if (started) {
        throw new IllegalStateException(name + ": already started");
      }
      if (previous != null && !previous.isClosed()) {
        throw new IllegalStateException(
            name + ": close the loop it continues from (" + previous.name + ") before starting");
      }
      started = true;
      nextTick = scheduler.schedule(this::firstTick, 0, TimeUnit.MILLISECONDS);
    }
  }

  /** See {@link Discovery#refresh()}. */
  public void refresh() {
    synchronized (scheduling) {
      if (!started || closed) {
        throw new IllegalStateException(name + ": " + (closed ? "closed" : "not started"));
      }
      if (refreshQueued) {
        return;
      }
      refreshQueued = true;
      if (nextTick != null) {
        nextTick.cancel(false);
      }
      nextTick = scheduler.schedule(this::tick, 0, TimeUnit.MILLISECONDS);
    }
  }

  /** See {@link Discovery#acceptHeld()}. */
  public void acceptHeld() {
    overrideRequested = true;
    synchronized (scheduling) {
      if (!started) {
        return; // runOnce() takes it
      }
    }
    refresh();
  }

  /** See {@link Discovery#runOnce()}. */
  public Discovery.Outcome runOnce() {
    synchronized (scheduling) {
      if (started || closed) {
        throw new IllegalStateException(name + ": " + (closed ? "closed" : "already started"));
      }
    }
    loop.lock();
    try {
      Snapshot baseline = delivery.load();
      Snapshot candidate = fetch(baseline);
      if (candidate == null) {
        // The caller reports it (status().lastError()); a log line too would say it twice.
        log.debug("{}: fetch failed: {}", name, lastError);
        return Discovery.Outcome.FAILED;
      }
      if (baseline != null) {
        decisions = decisions.published(baseline, baseline.takenAt());
      }
      published = baseline;
      Decision decision = Decision.once(decisions, baseline, candidate, lastSuccess);
      act(decision, lastSuccess);
      return decision.kind() == Decision.Kind.PUBLISH
          ? Discovery.Outcome.PUBLISHED
          : Discovery.Outcome.HELD;
    } finally {
      updateStatus();
      loop.unlock();
    }
  }

  /** See {@link Discovery#current()}. */
  public Optional<Snapshot> current() {
    return Optional.ofNullable(status.published());
  }

  /** See {@link Discovery#status()}. */
  public DiscoveryStatus status() {
    return status;
  }

  /** How long {@link #close} waits for a fetch or publication in flight before interrupting it. */
  static final Duration CLOSE_WAIT = Duration.ofSeconds(10);

  /** See {@link Discovery#close()}. */
  public void close() {
    synchronized (scheduling) {
      if (closed) {
        return;
      }
      closed = true;
      cancel(nextTick);
      cancel(publishTimer);
    }
    // A fetch or publication in flight (a listener writing a file, a reload, the state file)
    // finishes first, up to CLOSE_WAIT: an interrupt would cut its I/O short.
    boolean locked = false;
    try {
      locked = loop.tryLock(CLOSE_WAIT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (ownsScheduler) {
      scheduler.shutdownNow();
    }
    if (!locked) {
      loop.lock();
    }
    try {
      source.close();
    } catch (RuntimeException e) {
      log.warn("{}: closing the source failed: {}", name, e.toString());
    } finally {
      loop.unlock();
    }
  }

  private void firstTick() {
    loop.lock();
    try {
      restore();
    } finally {
      loop.unlock();
    }
    tick();
  }

  private void restore() {
    if (previous != null) {
      Snapshot carried;
      previous.loop.lock();
      try {
        carried = previous.published;
        decisions = decisions.continuing(previous.decisions);
      } finally {
        previous.loop.unlock();
      }
      if (carried != null) {
        log.info(
            "{}: continuing from the previous configuration's {} members{}",
            name,
            carried.size(),
            carried.isStale() ? " (stale)" : "");
        publish(carried, Changes.allAdded(carried), false);
        return;
      }
    }
    Snapshot saved = delivery.load();
    if (saved != null) {
      log.warn(
          "{}: starting from the STALE membership saved at {} ({} members) until EC2 " + "answers",
          name,
          saved.takenAt(),
          saved.size());
      publish(saved, Changes.allAdded(saved), true);
    }
  }

  /**
   * Takes the operator's override if one was asked for, then fetches knowing {@code known} and
   * records the attempt; {@code null} when the fetch failed ({@link #lastError} says why).
   */
  private Snapshot fetch(Snapshot known) {
    if (overrideRequested) {
      overrideRequested = false;
      decisions = decisions.acceptingNext();
    }
    Instant start = clock.instant();
    lastAttempt = start;
    fetches++;
    try {
      Snapshot candidate = source.fetch(known);
      lastSuccess = clock.instant();
      lastFetchDuration = Duration.between(start, lastSuccess);
      consecutiveFailures = 0;
      lastError = null;
      return candidate;
    } catch (RuntimeException e) {
      fetchFailures++;
      lastFetchDuration = Duration.between(start, clock.instant());
      consecutiveFailures++;
      lastError = source.describeFailure(e);
      return null;
    }
  }

  private void tick() {
    if (isClosed()) {
      return;
    }
    loop.lock();
    try {
      synchronized (scheduling) {
        refreshQueued = false;
      }
      int failuresBefore = consecutiveFailures;
      Snapshot candidate = fetch(published);
      if (candidate == null) {
        Duration next = scheduleNextTick();
        log.warn(
            "{}: fetch failed ({} in a row), keeping {}; next attempt in {} s: {}",
            name,
            consecutiveFailures,
            published == null ? "no membership yet" : published.size() + " published members",
            next.toMillis() / 1000.0,
            lastError);
        return;
      }
      if (failuresBefore > 0) {
        log.info("{}: fetch succeeded again after {} failures", name, failuresBefore);
      }
      consider(candidate, lastSuccess);
      scheduleNextTick();
    } catch (RuntimeException e) {
      // A bug in a guard or listener path must not end the loop.
      log.error("{}: unexpected failure in the discovery loop", name, e);
      scheduleNextTick();
    } finally {
      updateStatus();
      loop.unlock();
    }
  }

  private void consider(Snapshot candidate, Instant now) {
    if (published != null && published.isStale() && candidate.sameMembersAs(published)) {
      log.info("{}: EC2 confirms the saved membership ({} members)", name, candidate.size());
      published = candidate;
    }
    act(Decision.decide(decisions, published, candidate, now), now);
  }

  /** Carries a decision out: the only place that publishes, holds or waits. */
  private void act(Decision decision, Instant now) {
    decisions = decision.next();
    for (Note note : decision.notes()) {
      switch (note.level()) {
        case ERROR -> log.error("{}: {}", name, note.text());
        case WARN -> log.warn("{}: {}", name, note.text());
        default -> log.info("{}: {}", name, note.text());
      }
    }
    held = decision.kind() == Decision.Kind.HOLD ? decision.reason() : null;
    synchronized (scheduling) {
      cancel(publishTimer);
      publishTimer = null;
      if (decision.kind() == Decision.Kind.WAIT && !closed) {
        publishTimer =
            scheduler.schedule(
                this::publishIfDue,
                Math.max(0, Duration.between(now, decision.due()).toMillis()),
                TimeUnit.MILLISECONDS);
      }
    }
    if (decision.kind() == Decision.Kind.PUBLISH) {
      publish(decision.snapshot(), decision.changes(), true);
    }
  }

  private void publishIfDue() {
    if (isClosed()) {
      return;
    }
    loop.lock();
    try {
      Instant now = clock.instant();
      act(Decision.due(decisions, published, now), now);
    } catch (RuntimeException e) {
      log.error("{}: unexpected failure while publishing", name, e);
    } finally {
      updateStatus();
      loop.unlock();
    }
  }

  /**
   * Publishes: the loop's state first (so a listener that asks sees it), then the change log, every
   * listener and the state file.
   */
  private void publish(Snapshot snapshot, Changes changes, boolean logChanges) {
    published = snapshot;
    decisions = decisions.published(snapshot, clock.instant());
    updateStatus();
    delivery.deliver(snapshot, changes, logChanges);
  }

  private Duration scheduleNextTick() {
    Duration next =
        Backoff.delay(interval, maxBackoff, consecutiveFailures + 1, jitter, random.nextDouble());
    long millis = next.toMillis();
    synchronized (scheduling) {
      if (!closed && !refreshQueued) {
        cancel(nextTick);
        nextTick = scheduler.schedule(this::tick, millis, TimeUnit.MILLISECONDS);
      }
    }
    return next;
  }

  private void updateStatus() {
    Snapshot current = published;
    status =
        new DiscoveryStatus(
            name,
            lastAttempt,
            lastSuccess,
            consecutiveFailures,
            lastError,
            lastFetchDuration,
            current == null ? 0 : current.size(),
            current,
            held,
            decisions.pendingUntil(),
            fetches,
            fetchFailures);
  }

  private boolean isClosed() {
    synchronized (scheduling) {
      return closed;
    }
  }

  private static void cancel(ScheduledFuture<?> future) {
    if (future != null) {
      future.cancel(false);
    }
  }
}
