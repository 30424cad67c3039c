package dev.muster.discovery.internal;

import dev.muster.discovery.Member;
import dev.muster.discovery.Snapshot;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The data templates see: plain maps and lists in a fixed order, so output is deterministic.
 *
 * <pre>
 * backends            list, by name: { name, safeName, size, members }
 * backend[NAME]       the same, by name
 * member              { id, serverId, name, address, port, weight, hostPort, zone, state,
 *                       privateIp, publicIp, privateDnsName, ipv6, subnetId, vpcId, tags }
 * </pre>
 *
 * Absent optional fields (for example {@code publicIp}) are missing keys: use {@code m.publicIp!""}
 * in a template. {@code name} is the instance id made safe as a config identifier ({@link
 * #safeName}), unique within its backend.
 */
public final class TemplateModel {
  private TemplateModel() {}

  /** The model for {@code memberships}, iterated in name order; no zone preference. */
  public static Map<String, Object> of(Map<String, Snapshot> memberships) {
    return of(memberships, null, Map.of());
  }

  /**
   * The model, with members outside {@code zone} marked {@code backup} in the backends of {@code
   * floors} while at least their floor (and at least one) of their members are in {@code zone}.
   *
   * @param zone the proxy's availability zone, or {@code null} if unknown (then none is a backup)
   * @param floors per zone-aware backend, how many same-zone members it needs to keep the others as
   *     backups
   */
  public static Map<String, Object> of(
      Map<String, Snapshot> memberships, String zone, Map<String, Integer> floors) {
    List<Object> backends = new ArrayList<>();
    Map<String, Object> byName = new LinkedHashMap<>();
    new java.util.TreeMap<>(memberships)
        .forEach(
            (name, snapshot) -> {
              Map<String, Object> backend = new LinkedHashMap<>();
              backend.put("name", name);
              backend.put("safeName", safeName(name));
              backend.put("size", snapshot.size());
              Integer floor = floors.get(name);
              backend.put("zoneAware", floor != null);
              backend.put("members", members(snapshot, backupsOutside(snapshot, zone, floor)));
              Map<String, Object> fixed = Collections.unmodifiableMap(backend);
              backends.add(fixed);
              byName.put(name, fixed);
            });
    Map<String, Object> model = new LinkedHashMap<>();
    model.put("backends", Collections.unmodifiableList(backends));
    model.put("backend", Collections.unmodifiableMap(byName));
    if (zone != null) {
      model.put("zone", zone);
    }
    return model;
  }

  /**
   * The zone whose members are primary when the others are backups, or {@code null} when all are
   * primary: not zone-aware, the zone unknown, or fewer than the floor (at least one) there.
   */
  public static String backupsOutside(Snapshot snapshot, String zone, Integer floor) {
    if (floor == null || zone == null) {
      return null;
    }
    int same = 0;
    for (Member m : snapshot.members()) {
      if (zone.equals(m.availabilityZone())) {
        same++;
      }
    }
    return same >= Math.max(1, floor) ? zone : null;
  }

  /**
   * The configuration names of the members, in member order: each instance id made safe ({@link
   * #safeName}) and, where two collide, suffixed with {@code _} until unique.
   */
  public static List<String> names(Snapshot snapshot) {
    List<String> names = new ArrayList<>(snapshot.size());
    boolean allSafe = true;
    for (Member m : snapshot.members()) {
      String id = m.instanceId();
      allSafe &= isSafe(id);
      names.add(id);
    }
    if (allSafe) {
      return names; // ids in a snapshot are unique, and safe names are their own names
    }
    names.clear();
    Set<String> taken = new HashSet<>();
    for (Member m : snapshot.members()) {
      String name = safeName(m.instanceId());
      while (!taken.add(name)) {
        name = name + "_";
      }
      names.add(name);
    }
    return names;
  }

  private static List<Object> members(Snapshot snapshot, String primaryZone) {
    List<Object> members = new ArrayList<>(snapshot.size());
    List<String> names = names(snapshot);
    Map<String, Integer> serverIds = serverIds(snapshot);
    int index = 0;
    for (Member m : snapshot.members()) {
      Map<String, Object> model = new LinkedHashMap<>();
      String name = names.get(index++);
      model.put("id", m.instanceId());
      model.put("serverId", serverIds.get(m.instanceId()));
      model.put("name", name);
      model.put("address", m.address());
      model.put("port", m.port());
      model.put("weight", m.weight());
      model.put("hostPort", m.hostPort());
      model.put("state", m.state());
      model.put("backup", primaryZone != null && !primaryZone.equals(m.availabilityZone()));
      putIfSet(model, "zone", m.availabilityZone());
      putIfSet(model, "privateIp", m.privateIp());
      putIfSet(model, "publicIp", m.publicIp());
      putIfSet(model, "privateDnsName", m.privateDnsName());
      putIfSet(model, "ipv6", m.ipv6());
      putIfSet(model, "subnetId", m.subnetId());
      putIfSet(model, "vpcId", m.vpcId());
      model.put("tags", m.tags());
      members.add(Collections.unmodifiableMap(model));
    }
    return Collections.unmodifiableList(members);
  }

  /** The range of {@link #serverIds}: HAProxy's server ids are positive ints. */
  static final int SERVER_ID_RANGE = 1 << 30;

  /**
   * A numeric server id per member computed from its instance id alone (FNV-1a, in 1 to 2^30), so
   * every proxy host gives a member the same id whatever order it learnt the fleet in: HAProxy
   * places a server on a consistent-hash ring by its id. Two members whose ids collide are resolved
   * in instance-id order, the later one taking the next free id, so hosts with the same membership
   * agree.
   */
  public static Map<String, Integer> serverIds(Snapshot snapshot) {
    Map<String, Integer> out = new LinkedHashMap<>();
    java.util.Set<Integer> taken = new java.util.HashSet<>();
    snapshot.members().stream()
        .map(Member::instanceId)
        .sorted()
        .forEach(
            id -> {
              int serverId = serverId(id);
              while (!taken.add(serverId)) {
                serverId = serverId % SERVER_ID_RANGE + 1;
              }
              out.put(id, serverId);
            });
    return out;
  }

  /** {@code instanceId}'s preferred server id, 1 to 2^30. */
  static int serverId(String instanceId) {
    long hash = 0xcbf29ce484222325L;
    for (int i = 0; i < instanceId.length(); i++) {
      hash ^= instanceId.charAt(i);
      hash *= 0x100000001b3L;
    }
    return (int) Long.remainderUnsigned(hash, SERVER_ID_RANGE) + 1;
  }

  private static void putIfSet(Map<String, Object> model, String key, Object value) {
    if (value != null) {
      model.put(key, value);
    }
  }

  /**
   * {@code text} as a configuration identifier: letters, digits, {@code _ . -} only (others become
   * {@code _}), at most 64 characters, never empty.
   */
  public static String safeName(String text) {
    if (isSafe(text)) {
      return text;
    }
    StringBuilder out = new StringBuilder(Math.min(text.length(), 64));
    for (int i = 0; i < text.length() && out.length() < 64; i++) {
      char c = text.charAt(i);
      boolean ok =
          c >= 'a' && c <= 'z'
              || c >= 'A' && c <= 'Z'
              || c >= '0' && c <= '9'
              || c == '_'
              || c == '.'
              || c == '-';
      out.append(ok ? c : '_');
    }
    return out.length() == 0 ? "_" : out.toString();
  }

  private static boolean isSafe(String text) {
    if (text.isEmpty() || text.length() > 64) {
      return false;
    }
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (!(c >= 'a' && c <= 'z'
          || c >= 'A' && c <= 'Z'
          || c >= '0' && c <= '9'
          || c == '_'
          || c == '.'
          || c == '-')) {
        return false;
      }
    }
    return true;
  }
}
