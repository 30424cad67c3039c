package dev.muster.discovery;

import dev.muster.discovery.internal.Decision;
import dev.muster.discovery.internal.DiscoveryLoop;
import dev.muster.discovery.internal.Guard;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.ScheduledExecutorService;

/**
 * The discovery loop: fetches the membership on an interval, guards it, debounces it, and publishes
 * changes to listeners.
 *
 * <pre>{@code
 * Discovery discovery = Discovery.newBuilder()
 *     .source(source)
 *     .listener((snapshot, changes) -> render(snapshot))
 *     .interval(Duration.ofSeconds(15))
 *     .build();
 * discovery.start();
 * ...
 * discovery.close();
 * }</pre>
 *
 * <p>One pass ("tick"):
 *
 * <ol>
 *   <li><b>Fetch</b> from the {@link MembershipSource}. A failure keeps the published membership,
 *       counts a failure and backs off exponentially (interval x 2, x 4, ... up to {@link
 *       Builder#maxBackoff}); an empty or partial result never replaces it.
 *   <li><b>Unchanged?</b> The fingerprint equals the published one: stop, nothing happens.
 *   <li><b>Guard.</b> A view with fewer than {@link Builder#minMembers} members is refused, the
 *       first one included (an empty one is allowed only with {@link Builder#allowEmpty}, and then
 *       held like a mass removal). A view that removes more than {@link Builder#maxRemovalFraction}
 *       of the published members, or shrinks the largest membership published within {@link
 *       Builder#removalWindow} by more than that, is held until seen {@link Builder#confirmations}
 *       fetches in a row <em>and</em> for at least {@link Builder#holdMin}, or until {@link
 *       #acceptHeld()}.
 *   <li><b>Debounce</b> (consul-template's {@code wait}): publish once nothing changed for {@link
 *       Builder#waitMin}, and at the latest {@link Builder#waitMax} after the first unpublished
 *       change. The first publication is never delayed.
 *   <li><b>Publish</b>: log the changes ({@code + i-0abc 10.0.1.5:8080 us-east-1a}, with the
 *       reasons the fetch found), hand the membership to every listener in order, each isolated
 *       from the others' failures, then save it when a {@link Builder#stateFile} is set.
 * </ol>
 *
 * <p>Steps 2 to 4 are one pure decision ({@code internal.Decision}); the loop that fetches,
 * schedules, backs off and delivers is {@code internal.DiscoveryLoop}, and this class is its
 * documented face and {@link Builder}.
 *
 * <p>Ticks run on the scheduler, every {@link Builder#interval} with {@link Builder#jitter} so that
 * a fleet of proxies does not poll EC2 in lockstep. All listener calls and fetches happen one at a
 * time. The public methods are thread-safe and do not wait for a fetch.
 */
public final class Discovery implements AutoCloseable {
  private final DiscoveryLoop loop;

  private Discovery(Builder b) {
    Duration waitMax = b.waitMax != null ? b.waitMax : b.waitMin.multipliedBy(4);
    this.loop =
        new DiscoveryLoop(
            new DiscoveryLoop.Settings(
                b.name,
                b.source,
                b.listeners,
                b.interval,
                b.jitter,
                b.maxBackoff != null
                    ? b.maxBackoff
                    : (b.interval.compareTo(Builder.DEFAULT_MAX_BACKOFF) > 0
                        ? b.interval
                        : Builder.DEFAULT_MAX_BACKOFF),
                b.clock,
                b.scheduler,
                b.random,
                b.stateFile,
                b.previous == null ? null : b.previous.loop,
                Decision.State.of(
                    new Guard.Policy(
                        b.minMembers,
                        b.allowEmpty,
                        b.maxRemovalFraction,
                        b.confirmations,
                        b.holdMin,
                        b.removalWindow),
                    b.waitMin,
                    waitMax)));
  }

  /** A new builder; {@link Builder#source} is required. */
  public static Builder newBuilder() {
    return new Builder();
  }

  /**
   * Starts the loop: restores the saved snapshot if a state file is set (published to the listeners
   * as stale), or takes over the membership of the loop it continues from ({@link Builder#after}),
   * then fetches at once and on every interval after.
   *
   * @throws IllegalStateException if already started or closed, or if the loop it continues from is
   *     not closed
   */
  public void start() {
    loop.start();
  }

  /**
   * Fetches as soon as possible instead of waiting for the next interval, for example when an Auto
   * Scaling notification arrived. Several calls before the fetch starts cause one fetch.
   *
   * @throws IllegalStateException if not started or closed
   */
  public void refresh() {
    loop.refresh();
  }

  /**
   * Accepts what the guard holds back (an empty result or a mass removal) at the next fetch, which
   * starts at once: the operator's explicit confirmation.
   */
  public void acceptHeld() {
    loop.acceptHeld();
  }

  /** What {@link #runOnce()} did. */
  public enum Outcome {
    /** The view passed the guard and was published to every listener. */
    PUBLISHED,
    /** The guard refused or held the view; nothing was published. */
    HELD,
    /** The fetch failed; nothing was published. */
    FAILED
  }

  /**
   * One guarded pass on the caller's thread, for one-shot runs such as a cron job: takes the state
   * file's membership (if any) as the guard's baseline, fetches, and publishes the view to every
   * listener if the guard accepts it, then saves it to the state file. Unlike the loop, it
   * publishes even a view equal to the baseline, so listeners can repair an output that drifted. A
   * hold cannot be confirmed within one pass: a held view is refused unless {@link #acceptHeld()}
   * was called first; the floor ({@link Builder#minMembers}) always holds.
   *
   * @return what happened; {@link DiscoveryStatus#held()} or {@link DiscoveryStatus#lastError()}
   *     says why when it is not {@link Outcome#PUBLISHED}
   * @throws IllegalStateException if the loop was started or closed
   */
  public Outcome runOnce() {
    return loop.runOnce();
  }

  /** The published membership, if any. */
  public Optional<Snapshot> current() {
    return loop.current();
  }

  /** A view of the loop's state; never blocks. */
  public DiscoveryStatus status() {
    return loop.status();
  }

  /**
   * Stops the loop: no fetch or publication starts after this returns; one in progress (a
   * listener's write or reload, the state file) is given up to 10 s to finish before it is
   * interrupted. Shuts the scheduler down if the loop created it, and closes the source.
   */
  @Override
  public void close() {
    loop.close();
  }

  /** Builds a {@link Discovery}. Not thread-safe. */
  public static final class Builder {
    private String name = "discovery";
    private MembershipSource source;
    private final List<MembershipListener> listeners = new ArrayList<>();
    private Duration interval = Duration.ofSeconds(15);
    private double jitter = 0.1;
    static final Duration DEFAULT_MAX_BACKOFF = Duration.ofMinutes(5);
    static final Duration MIN_INTERVAL = Duration.ofMillis(100);

    private Duration maxBackoff;
    private Duration waitMin = Duration.ZERO;
    private Duration waitMax;
    private int confirmations = 3;
    private Duration holdMin = Duration.ofSeconds(60);
    private Duration removalWindow = Duration.ofMinutes(10);
    private int minMembers = 1;
    private boolean allowEmpty;
    private double maxRemovalFraction = 0.5;
    private Path stateFile;
    private Discovery previous;
    private Clock clock = Clock.systemUTC();
    private ScheduledExecutorService scheduler;
    private Random random = new Random();

    private Builder() {}

    /** A name for logs and the thread, for example the backend's name. */
    public Builder name(String name) {
      Objects.requireNonNull(name, "name");
      if (name.isBlank()) {
        throw new IllegalArgumentException("name must not be blank");
      }
      this.name = name;
      return this;
    }

    /** Where membership comes from. Required. The loop closes it on {@link #close()}. */
    public Builder source(MembershipSource source) {
      this.source = Objects.requireNonNull(source, "source");
      return this;
    }

    /** Adds a listener; listeners are called in the order added. */
    public Builder listener(MembershipListener listener) {
      listeners.add(Objects.requireNonNull(listener, "listener"));
      return this;
    }

    /**
     * Time between fetches; 15 s unless set. Every fetch costs one {@code DescribeInstances} call
     * per 1,000 instances against the account's shared EC2 request budget.
     */
    public Builder interval(Duration interval) {
      requirePositive("interval", interval);
      if (interval.compareTo(MIN_INTERVAL) < 0) {
        throw new IllegalArgumentException(
            "interval must be at least "
                + MIN_INTERVAL.toMillis()
                + " ms: "
                + interval.toMillis()
                + " ms");
      }
      this.interval = interval;
      return this;
    }

    /** Random spread of each delay, as a fraction from 0 to 0.5; 0.1 (±10%) unless set. */
    public Builder jitter(double jitter) {
      if (!(jitter >= 0 && jitter <= 0.5)) {
        throw new IllegalArgumentException("jitter must be 0 to 0.5: " + jitter);
      }
      this.jitter = jitter;
      return this;
    }

    /**
     * The longest delay between fetches while they fail; 5 minutes or the interval, whichever is
     * longer, unless set.
     */
    public Builder maxBackoff(Duration maxBackoff) {
      requirePositive("maxBackoff", maxBackoff);
      this.maxBackoff = maxBackoff;
      return this;
    }

    /**
     * Quiet period: publish a change once the membership stayed the same this long; 0 (publish at
     * once) unless set. Useful when it exceeds the interval, so several fetches see the fleet
     * settle. Unless {@link #waitMax} is set, it is 4 x this value.
     */
    public Builder waitMin(Duration waitMin) {
      requireNotNegative("waitMin", waitMin);
      this.waitMin = waitMin;
      return this;
    }

    /** The longest a change waits for quiet after it was first seen; must be >= waitMin. */
    public Builder waitMax(Duration waitMax) {
      requireNotNegative("waitMax", waitMax);
      this.waitMax = waitMax;
      return this;
    }

    /**
     * Fetches in a row that must show an empty membership or a mass removal before it is published;
     * 3 unless set. 1 publishes at once (no holding).
     */
    public Builder confirmations(int confirmations) {
      if (confirmations < 1 || confirmations > 1000) {
        throw new IllegalArgumentException("confirmations must be 1 to 1000: " + confirmations);
      }
      this.confirmations = confirmations;
      return this;
    }

    /**
     * How long a held view (mass removal, or an empty view with {@link #allowEmpty}) must have been
     * seen before it is published, besides {@link #confirmations}; 60 s unless set. Time, not only
     * a count, so that a short interval cannot confirm a wrong view in seconds.
     */
    public Builder holdMin(Duration holdMin) {
      requireNotNegative("holdMin", holdMin);
      this.holdMin = holdMin;
      return this;
    }

    /**
     * How far back the cumulative mass-removal rule looks for the largest published membership; 10
     * minutes unless set.
     */
    public Builder removalWindow(Duration removalWindow) {
      requirePositive("removalWindow", removalWindow);
      this.removalWindow = removalWindow;
      return this;
    }

    /**
     * The fewest members a published view may have, the first view included; 1 unless set. A
     * smaller view is refused (not held: neither time nor {@link #acceptHeld()} lifts it).
     */
    public Builder minMembers(int minMembers) {
      if (minMembers < 1 || minMembers > 1_000_000) {
        throw new IllegalArgumentException(
            "minMembers must be 1 to 1000000: "
                + minMembers
                + " (use allowEmpty(true) to allow an empty membership)");
      }
      this.minMembers = minMembers;
      return this;
    }

    /**
     * Allows an empty membership (a service scaled to zero); off unless set. An empty view is still
     * held like a mass removal until confirmed, so an API error cannot empty a proxy.
     */
    public Builder allowEmpty(boolean allowEmpty) {
      this.allowEmpty = allowEmpty;
      return this;
    }

    /**
     * The largest share of published members one change may remove before it is held, from more
     * than 0 to 1 (1 never holds); 0.5 unless set.
     */
    public Builder maxRemovalFraction(double fraction) {
      if (!(fraction > 0 && fraction <= 1)) {
        throw new IllegalArgumentException(
            "maxRemovalFraction must be above 0 and at most 1: " + fraction);
      }
      this.maxRemovalFraction = fraction;
      return this;
    }

    /**
     * Saves each published membership to this file and, at start, restores it (as stale) so that a
     * restart while EC2 is unreachable keeps serving the last known members.
     */
    public Builder stateFile(Path stateFile) {
      this.stateFile = Objects.requireNonNull(stateFile, "stateFile");
      return this;
    }

    /**
     * Continues from {@code previous}, a loop this one replaces (for example at a configuration
     * reload): at start it takes over that loop's published membership and its guard's state (a
     * held view stays held; sightings and hold time go on) instead of the state file, and hands the
     * membership to its own listeners before its first fetch. {@code previous} must be closed
     * before {@link #start()}; if it never published, the state file (if any) is used.
     */
    public Builder after(Discovery previous) {
      this.previous = Objects.requireNonNull(previous, "previous");
      return this;
    }

    /** The clock; the system clock unless set. */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /**
     * Runs the loop on this scheduler, which the caller owns and shuts down; a private
     * single-thread daemon scheduler unless set.
     */
    public Builder scheduler(ScheduledExecutorService scheduler) {
      this.scheduler = Objects.requireNonNull(scheduler, "scheduler");
      return this;
    }

    /** The random source for jitter; for repeatable tests. */
    public Builder random(Random random) {
      this.random = Objects.requireNonNull(random, "random");
      return this;
    }

    /**
     * Builds the loop; {@link #start()} starts it.
     *
     * @throws IllegalStateException naming a missing or inconsistent setting
     */
    public Discovery build() {
      if (source == null) {
        throw new IllegalStateException("source is not set: call source(MembershipSource)");
      }
      if (maxBackoff != null && maxBackoff.compareTo(interval) < 0) {
        throw new IllegalStateException(
            "maxBackoff ("
                + maxBackoff
                + ") must not be shorter "
                + "than interval ("
                + interval
                + ")");
      }
      if (waitMax != null && waitMax.compareTo(waitMin) < 0) {
        throw new IllegalStateException(
            "waitMax (" + waitMax + ") must not be shorter than " + "waitMin (" + waitMin + ")");
      }
      return new Discovery(this);
    }

    private static void requireNotNegative(String setting, Duration value) {
      Objects.requireNonNull(value, setting);
      if (value.isNegative()) {
        throw new IllegalArgumentException(setting + " must not be negative: " + value);
      }
    }

    private static void requirePositive(String setting, Duration value) {
      Objects.requireNonNull(value, setting);
      if (value.isNegative() || value.isZero()) {
        throw new IllegalArgumentException(setting + " must be positive: " + value);
      }
    }
  }
}
