package dev.muster.discovery;

import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Function;

/**
 * One output that published memberships go to: a configuration file a proxy reads ({@link
 * #of(Renderer, Target)}: render, write, validate, reload, roll back), or a proxy's runtime API
 * (for example {@code HaproxyRuntime}: set addresses and weights, drain, warm up). A {@link
 * ConfigPipeline} joins the backends of one output and drives its sink.
 *
 * <p>Contract: {@link #apply} makes the output hold exactly the memberships it is given, every
 * backend of the output at once; it is <em>level-triggered</em>, so a sink compares what it is
 * given with what the output holds, not with what it was given last time, and the same call after a
 * failure repairs whatever the failure left. After it returns or throws, the proxy runs a complete
 * configuration, never a half-written one. Calls are serialised by the pipeline; implementations
 * need not be thread-safe.
 */
public interface Sink {

  /**
   * Makes the output hold {@code memberships}.
   *
   * @param memberships every backend of this output by name, never empty
   * @return what happened: unchanged, applied, or a dry run
   * @throws ApplyException if the output could not be brought there; the pipeline tries again
   * @throws RenderException if the memberships cannot be written in the output's syntax
   */
  ApplyResult apply(Map<String, Snapshot> memberships);

  /**
   * Checks whether the output would accept {@code memberships}, changing nothing; the pipeline uses
   * it to find the members that make the proxy refuse a configuration. The default accepts
   * everything.
   *
   * @throws ApplyException {@linkplain ApplyException#rejected() rejected} if the proxy's checker
   *     refuses it
   * @throws RenderException if the memberships cannot be written in the output's syntax
   */
  default void check(Map<String, Snapshot> memberships) {}

  /**
   * Called before {@code members} are drained (taken out ahead of EC2); returns what to wait for
   * once the drain was applied: the sessions through them that outlive the apply. The default is
   * {@link Drain#NONE}, for a sink whose apply is the whole drain (HAProxy's runtime API waits for
   * the sessions inside it) or that keeps no sessions. Must not change the output.
   *
   * @param members the members about to be drained, as the output holds them
   */
  default Drain drain(Set<Member> members) {
    return Drain.NONE;
  }

  /**
   * This sink, whose drains wait as {@code drain} says (for example for the old workers a reload
   * left, or for calls in progress).
   */
  default Sink withDrain(Function<Set<Member>, Drain> drain) {
    Objects.requireNonNull(drain, "drain");
    Sink sink = this;
    return new Sink() {
      @Override
      public ApplyResult apply(Map<String, Snapshot> memberships) {
        return sink.apply(memberships);
      }

      @Override
      public void check(Map<String, Snapshot> memberships) {
        sink.check(memberships);
      }

      @Override
      public Drain drain(Set<Member> members) {
        return drain.apply(members);
      }

      @Override
      public String toString() {
        return sink.toString();
      }
    };
  }

  /** The file path: {@code renderer} makes the text, {@code target} writes and reloads it. */
  static Sink of(Renderer renderer, Target target) {
    Objects.requireNonNull(renderer, "renderer");
    Objects.requireNonNull(target, "target");
    return new Sink() {
      @Override
      public ApplyResult apply(Map<String, Snapshot> memberships) {
        return target.apply(renderer.render(memberships));
      }

      @Override
      public void check(Map<String, Snapshot> memberships) {
        target.check(renderer.render(memberships));
      }

      @Override
      public String toString() {
        return target.toString();
      }
    };
  }
}
