package dev.muster.kamailio;

import java.util.Objects;

/**
 * How one discovery backend appears in the dispatcher list: its set id and the columns its
 * destinations get. Immutable.
 *
 * @param id the dispatcher set id (group), 1 to 99999, as used by {@code ds_select_dst}
 * @param flags the destination flags column (0 normal, 2 probing; bit 1, inactive, is added for
 *     members of weight 0)
 * @param priority the default priority, 0 to 9999; the tag {@code muster:priority} overrides it
 * @param transport {@code udp}, {@code tcp}, {@code tls}, {@code sctp}, or empty for none
 * @param attrs extra attributes appended after {@code duid} and {@code weight}, for example {@code
 *     socket=udp:10.0.0.1:5060}; {@code key=value} pairs separated by {@code ;}, no white space;
 *     may be empty
 */
public record DispatcherSet(int id, int flags, int priority, String transport, String attrs) {

  /** Checks every column and names the bad one. */
  public DispatcherSet {
    if (id < 1 || id > 99_999) {
      throw new IllegalArgumentException("set id must be 1 to 99999: " + id);
    }
    if (flags < 0 || flags > 255) {
      throw new IllegalArgumentException("flags must be 0 to 255: " + flags);
    }
    if (priority < 0 || priority > 9999) {
      throw new IllegalArgumentException("priority must be 0 to 9999: " + priority);
    }
    Objects.requireNonNull(transport, "transport");
    if (!transport.isEmpty() && !transport.matches("udp|tcp|tls|sctp")) {
      throw new IllegalArgumentException(
          "transport must be udp, tcp, tls, sctp or empty: " + transport);
    }
    Objects.requireNonNull(attrs, "attrs");
    if (!attrs.isEmpty()
        && !attrs.matches(
            "[A-Za-z0-9_]+=[A-Za-z0-9._:@+\\-/\\[\\]]*"
                + "(;[A-Za-z0-9_]+=[A-Za-z0-9._:@+\\-/\\[\\]]*)*")) {
      throw new IllegalArgumentException(
          "attrs must be key=value pairs separated by ';' " + "without white space: " + attrs);
    }
    if (attrs.matches("(^|.*;)(duid|weight)=.*")) {
      throw new IllegalArgumentException(
          "attrs must not set duid or weight (Muster writes " + "them): " + attrs);
    }
  }

  /** Set {@code id}: flags 0, priority 0, no transport, no extra attributes. */
  public static DispatcherSet of(int id) {
    return new DispatcherSet(id, 0, 0, "", "");
  }

  /** A copy with these flags. */
  public DispatcherSet withFlags(int newFlags) {
    return new DispatcherSet(id, newFlags, priority, transport, attrs);
  }

  /** A copy with this default priority. */
  public DispatcherSet withPriority(int newPriority) {
    return new DispatcherSet(id, flags, newPriority, transport, attrs);
  }

  /** A copy with this transport. */
  public DispatcherSet withTransport(String newTransport) {
    return new DispatcherSet(id, flags, priority, newTransport, attrs);
  }

  /** A copy with these extra attributes. */
  public DispatcherSet withAttrs(String newAttrs) {
    return new DispatcherSet(id, flags, priority, transport, newAttrs);
  }
}
