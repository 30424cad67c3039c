package dev.muster.haproxy.internal;

import dev.muster.discovery.Member;
import dev.muster.discovery.Snapshot;
import dev.muster.discovery.internal.TemplateModel;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * One server as runtime mode wants HAProxy to hold it, computed from the membership alone, exactly
 * as the default template writes it in config-file mode: named after its instance id, with an
 * {@code id} from the instance id ({@code TemplateModel.serverIds}), its weight, {@code maxconn}
 * from the tag {@code muster:maxconn} (digits only), and {@code backup} when a zone-aware backend
 * has enough members in the proxy's zone. Every proxy host with the same membership computes the
 * same specs, whatever order it learnt the fleet in.
 *
 * @param name the server name: the instance id made safe
 * @param member the member it serves
 * @param id HAProxy's numeric server id
 * @param backup whether it is a backup server
 * @param maxconn its {@code maxconn}, or 0 for none
 */
public record ServerSpec(String name, Member member, int id, boolean backup, int maxconn) {
  private static final Pattern MAXCONN = Pattern.compile("[0-9]{1,6}");

  /**
   * The specs of {@code snapshot}'s members, in member order.
   *
   * @param zone the proxy's zone, or {@code null}
   * @param floor the backend's zone-aware floor, or {@code null} if it is not zone-aware
   */
  public static List<ServerSpec> of(Snapshot snapshot, String zone, Integer floor) {
    List<String> names = TemplateModel.names(snapshot);
    Map<String, Integer> ids = TemplateModel.serverIds(snapshot);
    String primaryZone = TemplateModel.backupsOutside(snapshot, zone, floor);
    List<ServerSpec> specs = new ArrayList<>(snapshot.size());
    int i = 0;
    for (Member m : snapshot.members()) {
      boolean backup = primaryZone != null && !primaryZone.equals(m.availabilityZone());
      String maxconn = m.tag("muster:maxconn");
      int limit =
          maxconn != null && MAXCONN.matcher(maxconn).matches() ? Integer.parseInt(maxconn) : 0;
      specs.add(new ServerSpec(names.get(i++), m, ids.get(m.instanceId()), backup, limit));
    }
    return specs;
  }

  /** {@code address:port}, as {@code show servers state} reports it. */
  public String endpoint() {
    return member.address() + ":" + member.port();
  }

  /** The member's weight. */
  public int weight() {
    return member.weight();
  }

  /**
   * The arguments of {@code add server} (or of a server line after its name): address, id, weight,
   * maxconn, backup, then {@code options}.
   */
  public String arguments(String options) {
    StringBuilder out = new StringBuilder(64 + options.length());
    member.appendHostPort(out);
    out.append(" id ").append(id).append(" weight ").append(member.weight());
    if (maxconn > 0) {
      out.append(" maxconn ").append(maxconn);
    }
    if (backup) {
      out.append(" backup");
    }
    if (!options.isEmpty()) {
      out.append(' ').append(options);
    }
    return out.toString();
  }
}
