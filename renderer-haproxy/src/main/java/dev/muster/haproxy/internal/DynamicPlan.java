package dev.muster.haproxy.internal;

import dev.muster.haproxy.internal.RuntimeApi.ServerStat;
import dev.muster.haproxy.internal.RuntimeApi.ServerState;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What runtime mode must do to one backend so that HAProxy holds the wanted servers: a pure
 * function of what HAProxy reports and of the specs, with no I/O. Carried out in this order:
 *
 * <ol>
 *   <li>{@link #updates}: a server that stays with another weight or {@code maxconn} is changed in
 *       place;
 *   <li>{@link #leaving}: a server no member wants, or whose member moved to another address or
 *       port, is drained until its sessions end, set to {@code maint} and deleted;
 *   <li>{@link #replaced}: a server whose member stays at the same address but with another {@code
 *       id} or {@code backup} flag (HAProxy cannot change either at runtime: a zone-aware backend's
 *       promotion, say) is swapped one at a time: drained, deleted and added again at once;
 *   <li>{@link #arriving}: new servers are added ({@code add server}), their checks enabled, and
 *       warmed up until the check passes;
 *   <li>{@link #handover}: a server no member wants by name, whose address an arriving server
 *       serves (a server of the older slot-based runtime mode, {@code srvN}, say), is drained only
 *       once its successor is ready, so the move costs no request.
 * </ol>
 *
 * Servers named in {@code foreign} (written into the backend's own options, not Muster's) are left
 * alone.
 *
 * @param updates servers that stay, by name: their new spec
 * @param leaving servers to drain and delete first
 * @param replaced specs whose server is swapped one at a time
 * @param arriving specs to add and warm up
 * @param handover servers to drain and delete once the arriving ones are ready
 */
public record DynamicPlan(
    Map<String, ServerSpec> updates,
    List<String> leaving,
    List<ServerSpec> replaced,
    List<ServerSpec> arriving,
    List<String> handover) {

  /**
   * The plan for one backend.
   *
   * @param state what {@code show servers state} reports, by name
   * @param stats what {@code show stat} reports, by name (sessions, backup, maxconn)
   * @param wanted the specs, as {@link ServerSpec#of}
   * @param foreign names of servers that are not Muster's
   */
  public static DynamicPlan of(
      Map<String, ServerState> state,
      Map<String, ServerStat> stats,
      List<ServerSpec> wanted,
      Set<String> foreign) {
    Map<String, ServerSpec> updates = new LinkedHashMap<>();
    List<String> leaving = new ArrayList<>();
    List<ServerSpec> replaced = new ArrayList<>();
    List<ServerSpec> arriving = new ArrayList<>();
    Map<String, ServerSpec> byName = new LinkedHashMap<>();
    wanted.forEach(s -> byName.put(s.name(), s));
    for (ServerSpec spec : wanted) {
      ServerState held = state.get(spec.name());
      if (held == null) {
        arriving.add(spec);
        continue;
      }
      ServerStat stat = stats.getOrDefault(spec.name(), ServerStat.NONE);
      if (!held.address().equals(spec.member().address()) || held.port() != spec.member().port()) {
        leaving.add(spec.name());
        arriving.add(spec);
      } else if (held.id() != spec.id() || stat.backup() != spec.backup()) {
        replaced.add(spec);
      } else if (held.weight() != spec.weight() || stat.maxconn() != spec.maxconn()) {
        updates.put(spec.name(), spec);
      }
    }
    Set<String> arrivingEndpoints = new HashSet<>();
    Set<Integer> claimedIds = new HashSet<>();
    arriving.forEach(s -> arrivingEndpoints.add(key(s.member().address(), s.member().port())));
    arriving.forEach(s -> claimedIds.add(s.id()));
    replaced.forEach(s -> claimedIds.add(s.id()));
    List<String> handover = new ArrayList<>();
    for (ServerState held : state.values()) {
      if (byName.containsKey(held.name()) || foreign.contains(held.name())) {
        continue;
      }
      boolean serving = !held.maint();
      if (serving
          && arrivingEndpoints.contains(key(held.address(), held.port()))
          && !claimedIds.contains(held.id())) {
        handover.add(held.name());
      } else {
        leaving.add(held.name());
      }
    }
    return new DynamicPlan(
        Map.copyOf(updates),
        List.copyOf(leaving),
        List.copyOf(replaced),
        List.copyOf(arriving),
        List.copyOf(handover));
  }

  private static String key(String address, int port) {
    return address + " " + port;
  }

  /** Whether nothing needs doing. */
  public boolean isEmpty() {
    return updates.isEmpty()
        && leaving.isEmpty()
        && replaced.isEmpty()
        && arriving.isEmpty()
        && handover.isEmpty();
  }

  /** The specs whose server lines this plan adds or changes: what HAProxy's checker must see. */
  public List<ServerSpec> changedSpecs() {
    List<ServerSpec> out = new ArrayList<>(updates.values());
    out.addAll(replaced);
    out.addAll(arriving);
    return out;
  }
}
