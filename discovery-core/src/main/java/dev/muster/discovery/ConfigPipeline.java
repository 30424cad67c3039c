package dev.muster.discovery;

import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Joins one or more discovery loops into one configuration: each loop feeds a named backend,
 * and every publication re-renders the whole file and applies it through the {@link Target}.
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
 * <p>Nothing is rendered until every backend has published once, so a file never goes out
 * with a backend missing. A render or apply failure is logged, leaves the previous
 * configuration live, and is retried at the next publication or by {@link #applyNow()}.
 *
 * <p>Thread-safe: loops on different threads are serialised here.
 */
public final class ConfigPipeline {
  private static final Logger log = LoggerFactory.getLogger("dev.muster.apply");

  private final String name;
  private final Renderer renderer;
  private final Target target;
  private final ReentrantLock lock = new ReentrantLock();
  private final Set<String> backends = new LinkedHashSet<>();
  private final Map<String, Snapshot> latest = new TreeMap<>();
  private volatile ApplyResult lastResult;
  private volatile RuntimeException lastFailure;
  private int applies;
  private int failures;

  private ConfigPipeline(Builder b) {
    this.name = b.name;
    this.renderer = b.renderer;
    this.target = b.target;
  }

  /** A new builder; renderer and target are required. */
  public static Builder newBuilder() {
    return new Builder();
  }

  /**
   * The listener that feeds backend {@code backendName}; register every backend before any
   * loop starts.
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
   * Renders and applies the latest memberships now, for example after a failed reload was
   * fixed by hand. Does nothing until every backend has published.
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

  /** The result of the last successful apply, or {@code null}. */
  public ApplyResult lastResult() {
    return lastResult;
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
      try {
        renderAndApply();
      } catch (RenderException | ApplyException e) {
        log.error("{}: {}; the previous configuration stays live", name, e.getMessage());
      }
    } finally {
      lock.unlock();
    }
  }

  private boolean ready() {
    return !backends.isEmpty() && latest.keySet().containsAll(backends);
  }

  private ApplyResult renderAndApply() {
    try {
      String text = renderer.render(Collections.unmodifiableMap(new TreeMap<>(latest)));
      ApplyResult result = target.apply(text);
      lastResult = result;
      lastFailure = null;
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

    private Builder() {}

    /** A name for logs; {@code config} unless set. */
    public Builder name(String name) {
      this.name = Objects.requireNonNull(name, "name");
      return this;
    }

    /** How memberships become text. Required. */
    public Builder renderer(Renderer renderer) {
      this.renderer = Objects.requireNonNull(renderer, "renderer");
      return this;
    }

    /** Where the text goes. Required. */
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
      if (renderer == null) {
        throw new IllegalStateException("renderer is not set: call renderer(Renderer)");
      }
      if (target == null) {
        throw new IllegalStateException("target is not set: call target(Target)");
      }
      return new ConfigPipeline(this);
    }
  }
}
