package dev.muster.discovery;

import dev.muster.discovery.internal.PipelineCore;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ScheduledExecutorService;

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
 * <p>This class is the documented face and builder; the apply runs in {@code
 * internal.PipelineCore}, the members left out (refused or drained) are kept by {@code
 * internal.LeftOut}, and the search for refused members is {@code internal.BadMemberSearch}.
 */
public final class ConfigPipeline implements AutoCloseable {
  private final PipelineCore core;

  /**
   * A drain: since when, and when it is given back if EC2 still lists the member.
   *
   * @param since when the drain began
   * @param giveBackAt when the member returns to the output if it is still published then
   */
  public record Drained(Instant since, Instant giveBackAt) {}

  private ConfigPipeline(Builder b) {
    this.core =
        new PipelineCore(
            new PipelineCore.Settings(
                b.name,
                b.sink != null ? b.sink : Sink.of(b.renderer, b.target),
                b.clock,
                b.retryMin,
                b.retryMax,
                b.coalesce,
                b.random,
                b.scheduler,
                b.previous == null ? null : b.previous.drains()));
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
    return core.backend(backendName);
  }

  /**
   * Renders and applies the latest memberships now, for example after a failed reload was fixed by
   * hand. Does nothing until every backend has published.
   *
   * @return the result, or {@code null} if not every backend has published yet
   * @throws RenderException or {@link ApplyException} as the render or apply fails
   */
  public ApplyResult applyNow() {
    return core.applyNow();
  }

  /**
   * Since when the target has not held the latest memberships because applying them failed, or
   * {@code null} when it holds them (or nothing was published yet). {@link #lastFailure()} says
   * why.
   */
  public Instant pendingSince() {
    return core.pendingSince();
  }

  /** Stops retrying; a retry in progress finishes. Shuts down the scheduler it created. */
  @Override
  public void close() {
    core.close();
  }

  /** The result of the last successful apply, or {@code null}. */
  public ApplyResult lastResult() {
    return core.lastResult();
  }

  /**
   * When the target last took (or already held) the latest memberships, or {@code null} before the
   * first success.
   */
  public Instant lastSuccessAt() {
    return core.lastSuccessAt();
  }

  /** The last failure, or {@code null} if the last attempt succeeded. */
  public RuntimeException lastFailure() {
    return core.lastFailure();
  }

  /** How many times the target applied a change (not counting unchanged renders). */
  public int appliedCount() {
    return core.appliedCount();
  }

  /** How many render or apply attempts failed. */
  public int failureCount() {
    return core.failureCount();
  }

  /** The latest membership of each backend that has published. */
  public Map<String, Snapshot> memberships() {
    return core.memberships();
  }

  /**
   * Members left out because the proxy's checker or the render refused the configuration with them,
   * as {@code backend/instance-id}; they are tried again once they change.
   */
  public Set<String> rejectedMembers() {
    return core.rejectedMembers();
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
    return core.drain(instanceIds, giveBackAfter);
  }

  /**
   * Before {@link #drain}: what to wait for once these instances' drain was applied (the sink's
   * {@link Sink#drain}), for those of them this output holds. Changes nothing.
   */
  public Drain prepareDrain(Set<String> instanceIds) {
    Set<Member> members = new java.util.LinkedHashSet<>();
    for (Snapshot snapshot : core.memberships().values()) {
      for (String id : instanceIds) {
        snapshot.member(id).ifPresent(members::add);
      }
    }
    return members.isEmpty() ? Drain.NONE : core.sink().drain(Set.copyOf(members));
  }

  /** Instances being drained ahead of EC2 (see {@link #drain}). */
  public Set<String> drainingMembers() {
    return core.drainingMembers();
  }

  /** The drains in progress by instance id: since when, and when each is given back. */
  public Map<String, Drained> drains() {
    return core.drains();
  }

  /** How many drained instances were given back because EC2 still listed them. */
  public int givenBackCount() {
    return core.givenBackCount();
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
     * Makes one attempt per publication and never schedules a retry: for one-shot runs (a cron job,
     * {@code muster once}) that report {@link ConfigPipeline#lastFailure()} and exit; the failure
     * is logged only at debug level, so it is said once.
     */
    public Builder noRetries() {
      this.retryMin = null;
      this.retryMax = null;
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
