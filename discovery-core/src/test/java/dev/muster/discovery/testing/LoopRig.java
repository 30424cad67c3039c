package dev.muster.discovery.testing;

import dev.muster.discovery.Discovery;
import dev.muster.discovery.MembershipListener;
import dev.muster.discovery.MembershipSource;
import dev.muster.fixtures.Await;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntSupplier;

/**
 * The discovery loop the real-proxy integration tests run: started over a source, feeding the given
 * listeners (a pipeline's backend, say) without jitter, and awaited until its first publication;
 * then fleet changes applied one at a time. Shared by the renderer and agent modules through
 * discovery-core's test jar. Closing it closes the loop (and its source).
 */
public final class LoopRig implements AutoCloseable {
  private static final Duration WAIT = Duration.ofSeconds(30);

  private final Discovery discovery;
  private final AtomicInteger publications = new AtomicInteger();

  private LoopRig(
      String name,
      MembershipSource source,
      Duration interval,
      Duration waitMin,
      MembershipListener... listeners) {
    Discovery.Builder loop =
        Discovery.newBuilder()
            .name(name)
            .source(source)
            .interval(interval)
            .waitMin(waitMin)
            .jitter(0);
    for (MembershipListener listener : listeners) {
      loop.listener(listener);
    }
    loop.listener((snapshot, changes) -> publications.incrementAndGet());
    this.discovery = loop.build();
  }

  /**
   * Starts a loop called {@code name} over {@code source} every {@code interval} (publishing once
   * the fleet was quiet for {@code waitMin}) and returns once it published the first membership.
   */
  public static LoopRig start(
      String name,
      MembershipSource source,
      Duration interval,
      Duration waitMin,
      MembershipListener... listeners)
      throws InterruptedException {
    LoopRig rig = new LoopRig(name, source, interval, waitMin, listeners);
    rig.discovery.start();
    Await.until(() -> rig.publications.get() > 0, WAIT, "the first publication of " + name);
    return rig;
  }

  /** The loop. */
  public Discovery discovery() {
    return discovery;
  }

  /** How many memberships it published. */
  public int publications() {
    return publications.get();
  }

  /**
   * Runs {@code change} (a change of the fake fleet), makes the loop fetch at once, and returns
   * once {@code applied} (a pipeline's apply count, say) moved past its value before the change.
   */
  public void applyChange(Runnable change, IntSupplier applied) throws InterruptedException {
    int before = applied.getAsInt();
    change.run();
    discovery.refresh();
    Await.until(() -> applied.getAsInt() > before, WAIT, "the change to be applied");
  }

  @Override
  public void close() {
    discovery.close();
  }
}
