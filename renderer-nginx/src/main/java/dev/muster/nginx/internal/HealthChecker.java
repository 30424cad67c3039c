package dev.muster.nginx.internal;

import dev.muster.discovery.Member;
import dev.muster.nginx.HealthCheck;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the {@link HealthCheck}s of nginx's dynamic mode: one timer per member, a rise and fall
 * count per member, and a call to {@code changed} whenever a member's health flips. Members start
 * unhealthy (a new member gets traffic only after {@code rise} successes); which members are
 * checked follows {@link #track}.
 */
public final class HealthChecker implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger("dev.muster.apply");

  private final Map<String, HealthCheck> checks;
  private final Runnable changed;
  private final ScheduledExecutorService timers;
  private final HttpClient http;
  private final Map<String, State> states = new HashMap<>();
  private final Map<String, AtomicLong> failOpen = new HashMap<>();

  private static final class State {
    final String backend;
    final Member member;
    ScheduledFuture<?> timer;
    boolean healthy;
    boolean checked;
    int inARow;

    State(String backend, Member member) {
      this.backend = backend;
      this.member = member;
    }
  }

  /**
   * Checks per backend; {@code changed} runs (on a checker thread) when a member's health flips.
   */
  public HealthChecker(Map<String, HealthCheck> checks, Runnable changed) {
    this.checks = Map.copyOf(checks);
    this.changed = changed;
    this.timers =
        Executors.newScheduledThreadPool(
            2,
            r -> {
              Thread t = new Thread(r, "muster-nginx-health");
              t.setDaemon(true);
              return t;
            });
    this.http = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).build();
    checks.keySet().forEach(b -> failOpen.put(b, new AtomicLong()));
  }

  /** The backends that have a check. */
  public Set<String> backends() {
    return checks.keySet();
  }

  /** Checks exactly {@code members} of backend {@code backend} from now on. */
  public synchronized void track(String backend, Set<Member> members) {
    HealthCheck check = checks.get(backend);
    if (check == null) {
      return;
    }
    Set<String> keep = new HashSet<>();
    for (Member m : members) {
      String key = key(backend, m);
      keep.add(key);
      if (!states.containsKey(key)) {
        State s = new State(backend, m);
        states.put(key, s);
        s.timer =
            timers.scheduleWithFixedDelay(
                () -> check(key, check), 0, check.interval().toMillis(), TimeUnit.MILLISECONDS);
      }
    }
    states
        .entrySet()
        .removeIf(
            e -> {
              if (e.getValue().backend.equals(backend) && !keep.contains(e.getKey())) {
                e.getValue().timer.cancel(false);
                return true;
              }
              return false;
            });
  }

  /** Whether {@code m} of {@code backend} takes requests by its health (true if unchecked). */
  public synchronized boolean healthy(String backend, Member m) {
    State s = states.get(key(backend, m));
    return s == null || s.healthy;
  }

  /** Whether some tracked member of {@code backend} is healthy. */
  public synchronized boolean anyHealthy(String backend) {
    return states.values().stream().anyMatch(s -> s.backend.equals(backend) && s.healthy);
  }

  /** Whether some tracked member of {@code backend} has been checked at least once. */
  public synchronized boolean anyChecked(String backend) {
    return states.values().stream().anyMatch(s -> s.backend.equals(backend) && s.checked);
  }

  /** Counts a render that kept every member of {@code backend} in because none was healthy. */
  public void countFailOpen(String backend) {
    AtomicLong n = failOpen.get(backend);
    if (n != null) {
      n.incrementAndGet();
    }
  }

  /** Renders of each checked backend that failed open, so far. */
  public Map<String, Long> failOpenCounts() {
    Map<String, Long> out = new HashMap<>();
    failOpen.forEach((b, n) -> out.put(b, n.get()));
    return out;
  }

  private void check(String key, HealthCheck check) {
    Member m;
    synchronized (this) {
      State s = states.get(key);
      if (s == null) {
        return;
      }
      m = s.member;
    }
    boolean ok;
    try {
      String host = m.address().contains(":") ? "[" + m.address() + "]" : m.address();
      HttpResponse<Void> answer =
          http.send(
              HttpRequest.newBuilder(URI.create("http://" + host + ":" + m.port() + check.path()))
                  .timeout(check.timeout())
                  .GET()
                  .build(),
              HttpResponse.BodyHandlers.discarding());
      ok = answer.statusCode() >= 200 && answer.statusCode() < 400;
    } catch (java.io.IOException e) {
      ok = false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return;
    } catch (RuntimeException e) {
      ok = false;
    }
    boolean flipped = false;
    synchronized (this) {
      State s = states.get(key);
      if (s == null) {
        return;
      }
      s.checked = true;
      if (ok == s.healthy) {
        s.inARow = 0;
      } else if (++s.inARow >= (ok ? check.rise() : check.fall())) {
        s.healthy = ok;
        s.inARow = 0;
        flipped = true;
        log.info(
            "nginx health: {} {} {} is {}",
            s.backend,
            m.instanceId(),
            m.hostPort(),
            ok ? "healthy" : "UNHEALTHY: no new requests");
      }
    }
    if (flipped) {
      changed.run();
    }
  }

  private static String key(String backend, Member m) {
    return backend + " " + m.instanceId() + " " + m.hostPort();
  }

  @Override
  public void close() {
    timers.shutdownNow();
  }
}
