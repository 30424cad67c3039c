package dev.muster.agent;

import dev.muster.agent.AgentConfig.Backend;
import dev.muster.agent.AgentConfig.Loop;
import dev.muster.discovery.MemberMapping;
import dev.muster.discovery.Query;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import org.snakeyaml.engine.v2.nodes.MappingNode;
import org.snakeyaml.engine.v2.nodes.Node;
import org.snakeyaml.engine.v2.nodes.NodeTuple;

/**
 * Reads {@code backends}: which instances, how they become members, and, through {@link
 * AccountReader} and {@link LoopReader}, where to look and each backend's loop settings.
 */
final class BackendReader {
  private final Nodes n;

  /** Every backend the file declares, usable or not, so that one mistake is reported once. */
  private final Set<String> declared = new LinkedHashSet<>();

  BackendReader(Nodes n) {
    this.n = n;
  }

  /** Every backend name the file declares, usable or not. */
  Set<String> declared() {
    return declared;
  }

  Map<String, Backend> read(Node node, Loop defaults) {
    Map<String, Backend> backends = new LinkedHashMap<>();
    if (node == null) {
      n.problem(null, "backends", "at least one backend is required");
      return backends;
    }
    MappingNode map = n.mapping(node, "backends");
    if (map == null) {
      return backends;
    }
    for (NodeTuple tuple : n.entries(map, "backends")) {
      String name = Nodes.key(tuple);
      String path = "backends." + name;
      declared.add(name);
      if (!Nodes.NAME.matcher(name).matches()) {
        n.problem(tuple.getKeyNode(), path, "a backend name is 1 to 63 letters, digits, _ . -");
        continue;
      }
      Map<String, Node> keys =
          n.keys(
              n.mapping(tuple.getValueNode(), path),
              path,
              "tags",
              "tag_keys",
              "asg",
              "vpc",
              "subnets",
              "zones",
              "states",
              "port",
              "address",
              "address_host_names",
              "interface",
              "secondary_ip",
              "weight",
              "port_tag",
              "weight_tag",
              "exclude_self",
              "in_service_only",
              "in_service_cache",
              "region",
              "role_arn",
              "external_id",
              "accounts",
              "zone_aware",
              "interval",
              "wait",
              "guard");
      Backend backend = backend(name, path, keys, tuple.getValueNode(), defaults);
      if (backend != null) {
        backends.put(name, backend);
      }
    }
    if (map.getValue().isEmpty()) {
      n.problem(node, "backends", "at least one backend is required");
    }
    return backends;
  }

  private Backend backend(
      String name, String path, Map<String, Node> keys, Node at, Loop defaults) {
    int before = n.count();
    Query.Builder query = Query.newBuilder();
    Node tags = keys.get("tags");
    if (tags != null) {
      MappingNode tagMap = n.mapping(tags, path + ".tags");
      if (tagMap != null && tagMap.getValue().isEmpty()) {
        n.problem(
            tags,
            path + ".tags",
            "must name at least one tag (an empty filter matches every instance)");
      } else if (tagMap != null) {
        for (NodeTuple t : n.entries(tagMap, path + ".tags")) {
          String key = Nodes.key(t);
          List<String> values = n.strings(t.getValueNode(), path + ".tags." + key);
          n.build(
              t.getValueNode(),
              path + ".tags." + key,
              () -> query.tag(key, values.toArray(String[]::new)));
        }
      }
    }
    filter(keys.get("tag_keys"), path + ".tag_keys", v -> query.tagKey(v));
    filter(keys.get("asg"), path + ".asg", v -> query.autoScalingGroup(v));
    filter(keys.get("vpc"), path + ".vpc", v -> query.vpcId(v));
    filter(keys.get("subnets"), path + ".subnets", v -> query.subnetId(v));
    filter(keys.get("zones"), path + ".zones", v -> query.availabilityZone(v));
    filter(keys.get("states"), path + ".states", v -> query.states(v));
    if (tags == null && keys.get("tag_keys") == null && keys.get("asg") == null) {
      n.problem(at, path, "needs tags, tag_keys or asg: which instances belong?");
    }
    MemberMapping.Builder mapping = MemberMapping.newBuilder();
    if (keys.get("port") == null) {
      n.problem(at, path + ".port", "is required (the tag muster:port overrides it per instance)");
    } else {
      mapping.port(n.integer(keys.get("port"), path + ".port", 0, 1, 65535));
    }
    String address = n.string(keys.get("address"), path + ".address");
    if (address != null) {
      switch (address) {
        case "private-ip" -> mapping.address(MemberMapping.AddressSource.PRIVATE_IP);
        case "public-ip" -> mapping.address(MemberMapping.AddressSource.PUBLIC_IP);
        case "private-dns" -> mapping.address(MemberMapping.AddressSource.PRIVATE_DNS);
        case "ipv6" -> mapping.address(MemberMapping.AddressSource.IPV6);
        default -> {
          if (address.startsWith("tag:") && address.length() > 4) {
            mapping.addressTag(address.substring(4));
          } else {
            n.problem(
                keys.get("address"),
                path + ".address",
                "must be private-ip, public-ip, private-dns, ipv6 or tag:NAME: " + address);
          }
        }
      }
    }
    mapping.addressTagHostNames(
        n.bool(keys.get("address_host_names"), path + ".address_host_names", false));
    addressInterface(keys, path, address, mapping);
    mapping.weight(n.integer(keys.get("weight"), path + ".weight", 100, 0, 256));
    if (keys.containsKey("port_tag")) {
      mapping.portTag(n.string(keys.get("port_tag"), path + ".port_tag"));
    }
    if (keys.containsKey("weight_tag")) {
      mapping.weightTag(n.string(keys.get("weight_tag"), path + ".weight_tag"));
    }
    boolean excludeSelf = n.bool(keys.get("exclude_self"), path + ".exclude_self", false);
    boolean inService = n.bool(keys.get("in_service_only"), path + ".in_service_only", false);
    Duration inServiceCache =
        n.duration(
            keys.get("in_service_cache"), path + ".in_service_cache", Duration.ofSeconds(60));
    if (keys.containsKey("in_service_cache") && !inService) {
      n.problem(
          keys.get("in_service_cache"), path + ".in_service_cache", "needs in_service_only: true");
    }
    if (inServiceCache != null && inServiceCache.compareTo(Duration.ofHours(1)) > 0) {
      n.problem(keys.get("in_service_cache"), path + ".in_service_cache", "must be 0s to 1h");
    }
    Loop loop = new LoopReader(n).read(keys, path, defaults);
    if (n.count() > before) {
      return null;
    }
    MemberMapping built;
    try {
      built = mapping.build();
    } catch (IllegalArgumentException e) {
      n.problem(at, path, e.getMessage());
      return null;
    }
    List<AgentConfig.Account> accounts = new AccountReader(n).read(keys, path);
    if (n.count() > before) {
      return null;
    }
    Integer zoneFloor =
        keys.containsKey("zone_aware")
            ? n.integer(keys.get("zone_aware"), path + ".zone_aware", 1, 0, 10_000)
            : null;
    return new Backend(
        name,
        query.build(),
        built,
        loop,
        excludeSelf,
        inService ? inServiceCache : null,
        accounts,
        zoneFloor);
  }

  /**
   * {@code interface: {device_index: N}} or {@code interface: {description: TEXT}}, and {@code
   * secondary_ip: N}: the address from one network interface. They go with the addresses an
   * interface has (private-ip, public-ip, ipv6; a secondary address with private-ip only).
   */
  private void addressInterface(
      Map<String, Node> keys, String path, String address, MemberMapping.Builder mapping) {
    Node iface = keys.get("interface");
    Node secondary = keys.get("secondary_ip");
    String source = address == null ? "private-ip" : address;
    if (iface != null) {
      MappingNode m = n.mapping(iface, path + ".interface");
      if (m != null) {
        Map<String, Node> ik = n.keys(m, path + ".interface", "device_index", "description");
        if (ik.size() != 1) {
          n.problem(
              iface, path + ".interface", "needs exactly one of device_index and description");
        } else if (ik.containsKey("device_index")) {
          mapping.networkInterface(
              n.integer(ik.get("device_index"), path + ".interface.device_index", 0, 0, 31));
        } else {
          String description = n.string(ik.get("description"), path + ".interface.description");
          if (description != null) {
            mapping.networkInterfaceDescription(description);
          }
        }
      }
      if (!List.of("private-ip", "public-ip", "ipv6").contains(source)) {
        n.problem(
            iface,
            path + ".interface",
            "goes with address private-ip, public-ip or ipv6, not " + source);
      }
    }
    if (secondary != null) {
      mapping.secondaryPrivateIp(n.integer(secondary, path + ".secondary_ip", 1, 1, 49));
      if (!source.equals("private-ip")) {
        n.problem(secondary, path + ".secondary_ip", "goes with address private-ip, not " + source);
      }
    }
  }

  private void filter(Node node, String path, Function<String[], Query.Builder> apply) {
    if (node == null) {
      return;
    }
    List<String> values = n.strings(node, path);
    if (!values.isEmpty()) {
      n.build(node, path, () -> apply.apply(values.toArray(String[]::new)));
    }
  }
}
