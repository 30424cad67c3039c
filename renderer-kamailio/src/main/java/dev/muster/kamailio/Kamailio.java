package dev.muster.kamailio;

import dev.muster.discovery.ApplyException;
import dev.muster.discovery.Drain;
import dev.muster.discovery.Escaper;
import dev.muster.discovery.Member;
import dev.muster.discovery.Validator;
import dev.muster.kamailio.internal.JsonRpc;
import dev.muster.kamailio.internal.NgControl;
import dev.muster.kamailio.internal.Tables;
import java.net.URI;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * Everything this module offers for Kamailio's dispatcher, by role; the HAProxy and nginx modules
 * have the same shape ({@code Haproxy}, {@code Nginx}).
 *
 * <pre>{@code
 * Path list = Path.of("/etc/kamailio/dispatcher.list");
 * ConfigPipeline pipeline = ConfigPipeline.newBuilder()
 *     .renderer(Kamailio.renderer().set("acd", DispatcherSet.of(1)).build())
 *     .target(FileTarget.newBuilder(list).validator(Kamailio.validator())
 *         .reloader(Kamailio.reloader(URI.create("http://127.0.0.1:5071/RPC"), list).build())
 *         .build())
 *     .build();
 * }</pre>
 */
public final class Kamailio {
  private Kamailio() {}

  /**
   * Muster's sample Kamailio 5.6 configuration (the dispatcher, JSON-RPC over HTTP, a dialog
   * profile per destination for drains), with its five {@code #!substdef} values at the top to
   * edit: the SIP and RPC addresses, the list file, {@code reload_delta} and the set id.
   */
  public static String sampleConfig() {
    return resource("kamailio.cfg");
  }

  /**
   * Muster's sample configuration of an edge node of a VoIP cluster: the dispatcher, rtpengine
   * nodes from a {@code db_text} table, trusted sources (permissions), dialogs replicated to the
   * other edges over DMQ (its peers from the file {@link #dmqPeers} renders, at {@code
   * include_file}), and KDMQ only from the edges' group 1 on its own socket.
   */
  public static String edgeSampleConfig() {
    return resource("kamailio-edge.cfg");
  }

  private static String resource(String name) {
    try (java.io.InputStream in = Kamailio.class.getResourceAsStream(name)) {
      return new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException("the sample " + name + " in the jar", e);
    }
  }

  /** The renderer of the dispatcher list: one set per discovery backend. */
  public static DispatcherList.Builder renderer() {
    return DispatcherList.newBuilder();
  }

  /** Checks every line as Kamailio would not; at most 5,000 destinations, never empty. */
  public static Validator validator() {
    return new DispatcherListValidator(5000, false);
  }

  /**
   * As {@link #validator()}, with at most {@code maxEntries} destinations (1 to 100,000) and an
   * empty list allowed if {@code allowEmpty}.
   */
  public static Validator validator(int maxEntries, boolean allowEmpty) {
    return new DispatcherListValidator(maxEntries, allowEmpty);
  }

  /**
   * {@code dispatcher.reload} over JSON-RPC at {@code rpc} (for example {@code
   * http://127.0.0.1:5071/RPC}), then a read-back of {@code list}.
   */
  public static DispatcherReloader.Builder reloader(URI rpc, Path list) {
    return DispatcherReloader.newBuilder(rpc, list);
  }

  /**
   * How a drain through this Kamailio is waited for: Kamailio keeps routing a call's in-dialog
   * requests to the destination that answered it after the destination left the list, so the drain
   * is over when the dialog module counts no call through any drained member ({@code
   * sip:ADDRESS:PORT}, polled every second with {@code dlg.profile_get_size}).
   */
  public static Function<Set<Member>, Drain> drainCalls(
      DispatcherReloader rpc, Clock clock, Drain.Sleeper sleeper) {
    return members -> {
      List<String> destinations = members.stream().map(m -> "sip:" + m.hostPort()).toList();
      return Drain.until(
          "call(s) through " + String.join(", ", destinations),
          () -> {
            long calls = 0;
            for (String destination : destinations) {
              calls += rpc.activeCalls(destination);
            }
            return (int) Math.min(Integer.MAX_VALUE, calls);
          },
          Duration.ofSeconds(1),
          clock,
          sleeper);
    };
  }

  /** The rtpengine nodes as a {@code db_text} table: one set per discovery backend. */
  public static RtpengineTable.Builder rtpengine() {
    return RtpengineTable.newBuilder();
  }

  /**
   * {@code rtpengine.reload} over JSON-RPC at {@code rpc}, waiting out "Too short reload interval",
   * then {@code rtpengine.show all} compared with {@code table} (the {@code db_text} file).
   */
  public static RpcReloader.Builder rtpengineReloader(URI rpc, Path table) {
    return RpcReloader.newBuilder(
        new RpcReloader.Kind(
            "rtpengine nodes",
            "rtpengine.reload",
            "Too short reload interval",
            "rtpengine.show",
            "[\"all\"]",
            Tables::rtpengineFile,
            Tables::rtpengineLive),
        rpc,
        table);
  }

  /**
   * How a media drain is waited for: a node that left the rtpengine table is hidden and disabled
   * for new sessions by the module while its calls go on, so the drain is over when the rtpengine
   * daemon of every drained member carries no call ({@code list} over its control protocol, at the
   * member's address and port, polled every second).
   */
  public static Function<Set<Member>, Drain> drainMedia(Clock clock, Drain.Sleeper sleeper) {
    return members ->
        Drain.until(
            "media call(s) on "
                + String.join(", ", members.stream().map(Member::hostPort).sorted().toList()),
            () -> {
              int calls = 0;
              for (Member m : members) {
                try {
                  calls += NgControl.calls(m.address(), m.port());
                } catch (java.io.IOException e) {
                  throw new java.io.UncheckedIOException(e);
                }
              }
              return calls;
            },
            Duration.ofSeconds(1),
            clock,
            sleeper);
  }

  /** Trusted sources for the permissions module's {@code address_file}: one group per backend. */
  public static AddressList.Builder permissions() {
    return AddressList.newBuilder();
  }

  /**
   * {@code permissions.addressReload} over JSON-RPC at {@code rpc}, waiting out "ongoing reload"
   * ({@code reload_delta}), then {@code permissions.addressDump} compared with {@code file}.
   */
  public static RpcReloader.Builder permissionsReloader(URI rpc, Path file) {
    return RpcReloader.newBuilder(
        new RpcReloader.Kind(
            "trusted addresses",
            "permissions.addressReload",
            "ongoing reload",
            "permissions.addressDump",
            null,
            Tables::addressFile,
            Tables::addressLive),
        rpc,
        file);
  }

  /** The DMQ peers of one node, for its {@code include_file}: every member but the node itself. */
  public static DmqPeers.Builder dmqPeers() {
    return DmqPeers.newBuilder();
  }

  /**
   * {@code dmq.remove} over JSON-RPC at {@code rpc} of each peer that left {@code file} (the {@link
   * DmqPeers} file) since the last apply, checked with {@code dmq.list_nodes}.
   */
  public static DmqReloader dmqReloader(URI rpc, Path file) {
    return new DmqReloader(rpc, file);
  }

  /**
   * How a Kamailio node's own drain is done, on the node itself: at its first poll it marks the
   * node draining for {@code refuseFor} ({@code htable.setxi muster draining 1 SECONDS}: the sample
   * {@code kamailio-edge.cfg} answers a new call 503 while the mark lasts, and the mark expires by
   * itself if no termination follows), then waits until the dialog module at {@code rpc} counts no
   * dialog of its own ({@code dlg.stats_active 1}, which leaves out the dialogs other nodes
   * replicated to it over DMQ), polled every second.
   */
  public static Drain drainNode(URI rpc, Duration refuseFor, Clock clock, Drain.Sleeper sleeper) {
    JsonRpc client = new JsonRpc(rpc);
    long seconds = Math.max(1, refuseFor.toSeconds());
    boolean[] marked = new boolean[1];
    return Drain.until(
        "call(s) of this Kamailio (dlg.stats_active at " + rpc + ")",
        () -> {
          if (!marked[0]) {
            client.result("htable.setxi", "[\"muster\",\"draining\"," + 1 + "," + seconds + "]");
            marked[0] = true;
          }
          Object all =
              client.result("dlg.stats_active", "[1]") instanceof Map<?, ?> m ? m.get("all") : null;
          if (!(all instanceof Number n)) {
            throw new ApplyException("dlg.stats_active answered without a count");
          }
          return n.intValue();
        },
        Duration.ofSeconds(1),
        clock,
        sleeper);
  }

  /** The dispatcher list's token rules, for templates of your own. */
  public static Escaper escaper() {
    return KamailioSyntax.INSTANCE;
  }
}
