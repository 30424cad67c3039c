package dev.muster.discovery;

import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Where membership comes from. {@link Ec2MembershipSource} asks EC2; tests and other discovery
 * systems can implement this interface.
 *
 * <p>Contract: {@link #fetch()} returns the <em>complete</em> membership or throws. It never
 * returns part of a result (for example the first pages of a paginated answer) and never returns an
 * empty snapshot in place of an error. The discovery loop calls it from one thread at a time;
 * implementations need not be thread-safe unless shared between loops.
 */
public interface MembershipSource extends AutoCloseable {

  /**
   * Fetches the current membership.
   *
   * @return every member, never {@code null}
   * @throws RuntimeException on any failure; the caller keeps its last good snapshot
   */
  Snapshot fetch();

  /**
   * Fetches the current membership, knowing what the caller holds: the loop passes the membership
   * it published (or restored from its state file). A source whose answers can miss a member that
   * still belongs (EC2's paged answers shift when the fleet changes) must confirm that each member
   * of {@code known} that is missing from its answer has really left before it returns. The default
   * ignores {@code known}.
   *
   * @param known the membership the caller holds, or {@code null} if none
   * @return every member, never {@code null}
   * @throws RuntimeException on any failure; the caller keeps its last good snapshot
   */
  default Snapshot fetch(Snapshot known) {
    return fetch();
  }

  /**
   * Why these instances are no longer members, for the change log: for example {@code terminated}
   * or {@code tag removed}. Called between a decision and its publication, so it must not block:
   * return what the last {@link #fetch()} found out, make no request, never throw. The default
   * knows nothing.
   *
   * @param instanceIds instances that left since the last publication
   * @return a reason per instance id it knows about
   */
  default Map<String, String> departureReasons(Set<String> instanceIds) {
    return Map.of();
  }

  /**
   * What a failed {@link #fetch} says to a user, for logs and {@code status().lastError()}: the
   * default is the failure's message with every cause that adds something; {@link
   * Ec2MembershipSource} adds AWS's HTTP status, error code and request id.
   */
  default String describeFailure(RuntimeException failure) {
    StringBuilder text = new StringBuilder(String.valueOf(failure.getMessage()));
    for (Throwable cause = failure.getCause();
        cause != null && cause != cause.getCause();
        cause = cause.getCause()) {
      if (cause.getMessage() != null && !text.toString().contains(cause.getMessage())) {
        text.append(": ").append(cause.getMessage());
      }
    }
    return text.toString();
  }

  /** What this source asks for, for logs; for example the filters of a query. */
  default String describe() {
    return getClass().getSimpleName();
  }

  /**
   * One membership from several sources, for a backend that spans regions or accounts (each an
   * {@link Ec2MembershipSource} with its own region, credentials and {@link
   * Ec2MembershipSource.Builder#origin}): a fetch asks every source and fails if any fails, so a
   * region or account that does not answer never shrinks the view. Closing it closes them all.
   *
   * @throws IllegalArgumentException if {@code sources} is empty
   */
  static MembershipSource merge(List<? extends MembershipSource> sources) {
    return new dev.muster.discovery.internal.MergedSource(sources);
  }

  /** Releases clients this source owns. The default does nothing. */
  @Override
  default void close() {}
}
