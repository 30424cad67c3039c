package dev.muster.agent;

import dev.muster.agent.AgentConfig.Aws;
import dev.muster.agent.AgentConfig.Backend;
import dev.muster.agent.AgentConfig.Events;
import dev.muster.agent.AgentConfig.Loop;
import dev.muster.agent.AgentConfig.Output;
import dev.muster.agent.AgentConfig.Reload;
import dev.muster.agent.AgentConfig.RuntimeMode;
import dev.muster.agent.AgentConfig.Status;
import dev.muster.discovery.MemberMapping;
import dev.muster.discovery.Query;
import java.io.IOException;
import java.io.Reader;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.snakeyaml.engine.v2.api.LoadSettings;
import org.snakeyaml.engine.v2.composer.Composer;
import org.snakeyaml.engine.v2.events.Event;
import org.snakeyaml.engine.v2.exceptions.MarkedYamlEngineException;
import org.snakeyaml.engine.v2.exceptions.YamlEngineException;
import org.snakeyaml.engine.v2.nodes.MappingNode;
import org.snakeyaml.engine.v2.nodes.Node;
import org.snakeyaml.engine.v2.nodes.NodeTuple;
import org.snakeyaml.engine.v2.nodes.ScalarNode;
import org.snakeyaml.engine.v2.nodes.SequenceNode;
import org.snakeyaml.engine.v2.parser.ParserImpl;
import org.snakeyaml.engine.v2.scanner.StreamReader;

/**
 * Reads the agent's YAML file strictly: an unknown key, a value of the wrong type, a bad duration
 * or an output that names a backend that does not exist is a problem reported as {@code FILE:LINE:
 * setting.path: what is wrong}, and every problem in the file is reported at once. Nothing is
 * guessed and no value is clamped.
 *
 * <p>SnakeYAML Engine composes the file into nodes that know their line; this class walks them.
 */
final class ConfigReader {
  private static final Pattern DURATION = Pattern.compile("(\\d{1,9})(ms|s|m|h)");

  /** The longest duration any setting takes. */
  private static final Duration MAX_DURATION = Duration.ofHours(24);

  /** The largest configuration file read; no real one comes near it. */
  private static final int MAX_BYTES = 1 << 20;

  /** The deepest nesting read; a real configuration has five levels. */
  private static final int MAX_DEPTH = 32;

  /** Backend and output names: they become file names, metric labels and log words. */
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,62}");

  private static final Set<String> ESCAPES = Set.of("token", "haproxy", "nginx", "kamailio");
  private static final Set<String> TYPES = Set.of("haproxy", "nginx", "kamailio", "template");

  private final Path file;
  private final List<String> problems = new ArrayList<>();

  /** Where each output's {@code file} is written in the file, for problems found later. */
  private final Map<String, Node> fileNodes = new LinkedHashMap<>();

  /** Every backend the file declares, usable or not, so that one mistake is reported once. */
  private final Set<String> declared = new LinkedHashSet<>();

  private ConfigReader(Path file) {
    this.file = file;
  }

  /**
   * Reads and checks {@code file}.
   *
   * @throws ConfigException with every problem found
   */
  static AgentConfig read(Path file) throws ConfigException {
    ConfigReader reader = new ConfigReader(file);
    return reader.read(reader.text());
  }

  /**
   * Reads and checks {@code text} as if it were {@code origin}: relative paths in it are relative
   * to {@code origin}'s directory, and problems name {@code origin}.
   */
  static AgentConfig read(Path origin, String text) throws ConfigException {
    return new ConfigReader(origin).read(text);
  }

  private AgentConfig read(String text) throws ConfigException {
    Node root = compose(text);
    MappingNode top = mapping(root, "");
    if (top == null) {
      throw new ConfigException(problems);
    }
    Map<String, Node> keys =
        keys(top, "", "aws", "discovery", "backends", "outputs", "status", "events");
    Aws aws = aws(keys.get("aws"));
    Map<String, Node> discovery =
        keys.get("discovery") == null
            ? Map.of()
            : keys(
                mapping(keys.get("discovery"), "discovery"),
                "discovery",
                "interval",
                "wait",
                "guard",
                "state_dir");
    Loop defaults = loop(discovery, "discovery", defaultLoop());
    Path stateDir = path(discovery.get("state_dir"), "discovery.state_dir");
    Map<String, Backend> backends = backends(keys.get("backends"), defaults);
    Map<String, Output> outputs = outputs(keys.get("outputs"), declared);
    Status status = status(keys.get("status"));
    Events events = events(keys.get("events"));
    outputs.forEach(
        (name, o) -> {
          if (o.mode().equals("runtime")
              && o.backends().stream()
                  .anyMatch(b -> backends.containsKey(b) && backends.get(b).zoneFloor() != null)) {
            problem(
                keys.get("outputs"),
                "outputs." + name + ".mode",
                "runtime mode cannot render zone_aware backends (HAProxy cannot change a server's"
                    + " backup flag at runtime): use mode file");
          }
        });
    new OwnFiles(file, stateDir, declared, this::problem).check(outputs, fileNodes);
    if (!problems.isEmpty()) {
      throw new ConfigException(problems);
    }
    return new AgentConfig(file, aws, backends, outputs, status, stateDir, events);
  }

  private String text() throws ConfigException {
    try {
      byte[] bytes;
      try (java.io.InputStream in = Files.newInputStream(file)) {
        bytes = in.readNBytes(MAX_BYTES + 1);
      }
      if (bytes.length > MAX_BYTES) {
        throw new ConfigException(List.of(file + ": larger than 1 MiB: not a configuration file"));
      }
      return StandardCharsets.UTF_8
          .newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .decode(java.nio.ByteBuffer.wrap(bytes))
          .toString();
    } catch (CharacterCodingException e) {
      throw new ConfigException(List.of(file + ": not valid UTF-8"));
    } catch (IOException e) {
      throw new ConfigException(
          List.of(file + ": cannot read: " + dev.muster.discovery.internal.IoErrors.describe(e)));
    }
  }

  private Node compose(String text) throws ConfigException {
    // Duplicate keys are reported while walking the nodes, with the setting's path.
    LoadSettings settings = LoadSettings.builder().build();
    try (Reader reader = new java.io.StringReader(text)) {
      checkDepth(settings, text);
      Composer composer =
          new Composer(settings, new ParserImpl(settings, new StreamReader(settings, reader)));
      if (!composer.hasNext()) {
        throw new ConfigException(List.of(file + ": the file is empty"));
      }
      Node node = composer.next();
      if (composer.hasNext()) {
        throw new ConfigException(List.of(file + ": more than one YAML document"));
      }
      return node;
    } catch (MarkedYamlEngineException e) {
      int line = e.getProblemMark().map(m -> m.getLine() + 1).orElse(0);
      throw new ConfigException(
          List.of(file + ":" + line + ": not valid YAML: " + firstLine(e.getProblem())));
    } catch (YamlEngineException e) {
      throw new ConfigException(List.of(file + ": not valid YAML: " + firstLine(e.getMessage())));
    } catch (IOException e) {
      throw new ConfigException(List.of(file + ": " + e.getMessage()));
    }
  }

  /**
   * Refuses a file nested deeper than any configuration is, before the composer (which recurses)
   * sees it: the parser walks the events with a stack of its own.
   */
  private void checkDepth(LoadSettings settings, String text) throws ConfigException {
    ParserImpl parser =
        new ParserImpl(settings, new StreamReader(settings, new java.io.StringReader(text)));
    int depth = 0;
    while (parser.hasNext()) {
      Event event = parser.next();
      switch (event.getEventId()) {
        case MappingStart, SequenceStart -> {
          if (++depth > MAX_DEPTH) {
            int line = event.getStartMark().map(m -> m.getLine() + 1).orElse(0);
            throw new ConfigException(
                List.of(
                    file
                        + ":"
                        + line
                        + ": nested more than "
                        + MAX_DEPTH
                        + " levels deep: not a configuration file"));
          }
        }
        case MappingEnd, SequenceEnd -> depth--;
        default -> {}
      }
    }
  }

  // --- sections ---------------------------------------------------------------------------

  private Aws aws(Node node) {
    if (node == null) {
      return new Aws(null, null, null, null, null, null, null);
    }
    Map<String, Node> keys =
        keys(mapping(node, "aws"), "aws", "region", "endpoint", "profile", "endpoints", "zone");
    String region = string(keys.get("region"), "aws.region");
    if (region != null && !region.matches("[a-z]{2}(-[a-z0-9]+)+-\\d+")) {
      problem(keys.get("region"), "aws.region", "must be a region name like us-east-1: " + region);
    }
    URI ec2 = url(keys.get("endpoint"), "aws.endpoint");
    URI sqs = null;
    URI autoScaling = null;
    URI sts = null;
    if (keys.get("endpoints") != null) {
      Map<String, Node> endpoints =
          keys(
              mapping(keys.get("endpoints"), "aws.endpoints"),
              "aws.endpoints",
              "ec2",
              "sqs",
              "autoscaling",
              "sts");
      if (endpoints.get("ec2") != null) {
        if (ec2 != null) {
          problem(endpoints.get("ec2"), "aws.endpoints.ec2", "aws.endpoint says it already");
        }
        ec2 = url(endpoints.get("ec2"), "aws.endpoints.ec2");
      }
      sqs = url(endpoints.get("sqs"), "aws.endpoints.sqs");
      autoScaling = url(endpoints.get("autoscaling"), "aws.endpoints.autoscaling");
      sts = url(endpoints.get("sts"), "aws.endpoints.sts");
    }
    String zone = string(keys.get("zone"), "aws.zone");
    if (zone != null && !zone.matches("[a-z]{2}(-[a-z0-9]+)+-\\d+[a-z]")) {
      problem(keys.get("zone"), "aws.zone", "must be a zone name like us-east-1a: " + zone);
    }
    return new Aws(
        region, ec2, string(keys.get("profile"), "aws.profile"), sqs, autoScaling, sts, zone);
  }

  private Events events(Node node) {
    if (node == null) {
      return null;
    }
    Map<String, Node> keys =
        keys(
            mapping(node, "events"),
            "events",
            "queue",
            "lifecycle_hook",
            "drain_timeout",
            "heartbeat_interval",
            "visibility_timeout",
            "launch_actions",
            "refresh_spread");
    URI queue = url(keys.get("queue"), "events.queue");
    if (keys.get("queue") == null) {
      problem(node, "events.queue", "is required: the SQS queue URL");
    }
    String hook = string(keys.get("lifecycle_hook"), "events.lifecycle_hook");
    Duration drain =
        duration(keys.get("drain_timeout"), "events.drain_timeout", Duration.ofSeconds(300));
    Duration heartbeat =
        duration(
            keys.get("heartbeat_interval"), "events.heartbeat_interval", Duration.ofSeconds(60));
    Duration visibility =
        duration(
            keys.get("visibility_timeout"), "events.visibility_timeout", Duration.ofSeconds(120));
    if (visibility.toSeconds() < 2 || visibility.toSeconds() > 43_200) {
      problem(keys.get("visibility_timeout"), "events.visibility_timeout", "must be 2s to 12h");
    }
    if (drain.isZero() || heartbeat.isZero()) {
      problem(node, "events", "drain_timeout and heartbeat_interval must be positive");
    }
    boolean launch = bool(keys.get("launch_actions"), "events.launch_actions", false);
    if (launch && hook == null) {
      problem(keys.get("launch_actions"), "events.launch_actions", "needs lifecycle_hook");
    }
    Duration spread = duration(keys.get("refresh_spread"), "events.refresh_spread", Duration.ZERO);
    if (spread.compareTo(Duration.ofMinutes(10)) > 0) {
      problem(keys.get("refresh_spread"), "events.refresh_spread", "must be at most 10m");
    }
    return new Events(queue, hook, drain, heartbeat, visibility, launch, spread);
  }

  private static Loop defaultLoop() {
    return new Loop(
        Duration.ofSeconds(15), Duration.ZERO, null, 3, 0.5, false, 1, Duration.ofSeconds(60));
  }

  /** The loop settings under {@code keys} (interval, wait, guard) over {@code base}. */
  private Loop loop(Map<String, Node> keys, String path, Loop base) {
    Duration interval = duration(keys.get("interval"), path + ".interval", base.interval());
    if (keys.get("interval") != null && interval.compareTo(Duration.ofSeconds(1)) < 0) {
      problem(keys.get("interval"), path + ".interval", "must be at least 1s");
    }
    Duration waitMin = base.waitMin();
    Duration waitMax = base.waitMax();
    if (keys.get("wait") != null) {
      Map<String, Node> wait =
          keys(mapping(keys.get("wait"), path + ".wait"), path + ".wait", "min", "max");
      waitMin = duration(wait.get("min"), path + ".wait.min", waitMin);
      waitMax = duration(wait.get("max"), path + ".wait.max", waitMax);
      if (waitMax != null && waitMax.compareTo(waitMin) < 0) {
        problem(wait.get("max"), path + ".wait.max", "must not be shorter than wait.min");
      }
    }
    int confirmations = base.confirmations();
    double maxRemoval = base.maxRemoval();
    boolean allowEmpty = base.allowEmpty();
    int minMembers = base.minMembers();
    Duration holdMin = base.holdMin();
    if (keys.get("guard") != null) {
      String g = path + ".guard";
      Map<String, Node> guard =
          keys(
              mapping(keys.get("guard"), g),
              g,
              "confirmations",
              "max_removal",
              "allow_empty",
              "min_members",
              "hold_min");
      confirmations =
          integer(guard.get("confirmations"), g + ".confirmations", confirmations, 1, 1000);
      maxRemoval = fraction(guard.get("max_removal"), g + ".max_removal", maxRemoval);
      allowEmpty = bool(guard.get("allow_empty"), g + ".allow_empty", allowEmpty);
      minMembers = integer(guard.get("min_members"), g + ".min_members", minMembers, 1, 1_000_000);
      holdMin = duration(guard.get("hold_min"), g + ".hold_min", holdMin);
    }
    return new Loop(
        interval, waitMin, waitMax, confirmations, maxRemoval, allowEmpty, minMembers, holdMin);
  }

  private Map<String, Backend> backends(Node node, Loop defaults) {
    Map<String, Backend> backends = new LinkedHashMap<>();
    if (node == null) {
      problem(null, "backends", "at least one backend is required");
      return backends;
    }
    MappingNode map = mapping(node, "backends");
    if (map == null) {
      return backends;
    }
    for (NodeTuple tuple : entries(map, "backends")) {
      String name = key(tuple);
      String path = "backends." + name;
      declared.add(name);
      if (!NAME.matcher(name).matches()) {
        problem(tuple.getKeyNode(), path, "a backend name is 1 to 63 letters, digits, _ . -");
        continue;
      }
      Map<String, Node> keys =
          keys(
              mapping(tuple.getValueNode(), path),
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
      problem(node, "backends", "at least one backend is required");
    }
    return backends;
  }

  private Backend backend(
      String name, String path, Map<String, Node> keys, Node at, Loop defaults) {
    int before = problems.size();
    Query.Builder query = Query.newBuilder();
    Node tags = keys.get("tags");
    if (tags != null) {
      MappingNode tagMap = mapping(tags, path + ".tags");
      if (tagMap != null && tagMap.getValue().isEmpty()) {
        problem(
            tags,
            path + ".tags",
            "must name at least one tag (an empty filter matches every instance)");
      } else if (tagMap != null) {
        for (NodeTuple t : entries(tagMap, path + ".tags")) {
          String key = key(t);
          List<String> values = strings(t.getValueNode(), path + ".tags." + key);
          build(
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
      problem(at, path, "needs tags, tag_keys or asg: which instances belong?");
    }
    MemberMapping.Builder mapping = MemberMapping.newBuilder();
    if (keys.get("port") == null) {
      problem(at, path + ".port", "is required (the tag muster:port overrides it per instance)");
    } else {
      mapping.port(integer(keys.get("port"), path + ".port", 0, 1, 65535));
    }
    String address = string(keys.get("address"), path + ".address");
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
            problem(
                keys.get("address"),
                path + ".address",
                "must be private-ip, public-ip, private-dns, ipv6 or tag:NAME: " + address);
          }
        }
      }
    }
    mapping.addressTagHostNames(
        bool(keys.get("address_host_names"), path + ".address_host_names", false));
    addressInterface(keys, path, address, mapping);
    mapping.weight(integer(keys.get("weight"), path + ".weight", 100, 0, 256));
    if (keys.containsKey("port_tag")) {
      mapping.portTag(string(keys.get("port_tag"), path + ".port_tag"));
    }
    if (keys.containsKey("weight_tag")) {
      mapping.weightTag(string(keys.get("weight_tag"), path + ".weight_tag"));
    }
    boolean excludeSelf = bool(keys.get("exclude_self"), path + ".exclude_self", false);
    boolean inService = bool(keys.get("in_service_only"), path + ".in_service_only", false);
    Duration inServiceCache =
        duration(keys.get("in_service_cache"), path + ".in_service_cache", Duration.ofSeconds(60));
    if (keys.containsKey("in_service_cache") && !inService) {
      problem(
          keys.get("in_service_cache"), path + ".in_service_cache", "needs in_service_only: true");
    }
    if (inServiceCache != null && inServiceCache.compareTo(Duration.ofHours(1)) > 0) {
      problem(keys.get("in_service_cache"), path + ".in_service_cache", "must be 0s to 1h");
    }
    Loop loop = loop(keys, path, defaults);
    if (problems.size() > before) {
      return null;
    }
    MemberMapping built;
    try {
      built = mapping.build();
    } catch (IllegalArgumentException e) {
      problem(at, path, e.getMessage());
      return null;
    }
    List<AgentConfig.Account> accounts = accounts(keys, path);
    if (problems.size() > before) {
      return null;
    }
    Integer zoneFloor =
        keys.containsKey("zone_aware")
            ? integer(keys.get("zone_aware"), path + ".zone_aware", 1, 0, 10_000)
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

  private static final java.util.regex.Pattern REGION =
      java.util.regex.Pattern.compile("[a-z]{2}(-[a-z0-9]+)+-\\d+");
  private static final java.util.regex.Pattern ROLE_ARN =
      java.util.regex.Pattern.compile(
          "arn:aws[a-z-]*:iam::[0-9]{12}:role/[A-Za-z0-9+=,.@_/-]{1,512}");

  /**
   * Where a backend looks: {@code region}, {@code role_arn} and {@code external_id} on the backend
   * for one place, or {@code accounts:} a list of such mappings for several (members merged, each
   * tagged with its region and account). Empty: {@code aws.region} with the agent's credentials.
   */
  private List<AgentConfig.Account> accounts(Map<String, Node> keys, String path) {
    Node list = keys.get("accounts");
    boolean single =
        keys.containsKey("region")
            || keys.containsKey("role_arn")
            || keys.containsKey("external_id");
    if (list != null && single) {
      problem(
          list,
          path + ".accounts",
          "replaces region, role_arn and external_id: use one or the other");
      return List.of();
    }
    if (single) {
      AgentConfig.Account a = account(keys, path);
      return a == null ? List.of() : List.of(a);
    }
    if (list == null) {
      return List.of();
    }
    if (!(list instanceof SequenceNode seq) || seq.getValue().isEmpty()) {
      problem(list, path + ".accounts", "must be a list of {region, role_arn, external_id}");
      return List.of();
    }
    List<AgentConfig.Account> out = new ArrayList<>();
    for (int i = 0; i < seq.getValue().size(); i++) {
      String at = path + ".accounts[" + i + "]";
      MappingNode m = mapping(seq.getValue().get(i), at);
      if (m != null) {
        AgentConfig.Account a = account(keys(m, at, "region", "role_arn", "external_id"), at);
        if (a != null) {
          if (out.contains(a)) {
            problem(m, at, "is listed twice");
          }
          out.add(a);
        }
      }
    }
    return List.copyOf(out);
  }

  private AgentConfig.Account account(Map<String, Node> keys, String path) {
    String region = string(keys.get("region"), path + ".region");
    String role = string(keys.get("role_arn"), path + ".role_arn");
    String external = string(keys.get("external_id"), path + ".external_id");
    if (region != null && !REGION.matcher(region).matches()) {
      problem(
          keys.get("region"), path + ".region", "must be a region name like us-east-1: " + region);
    }
    if (role != null && !ROLE_ARN.matcher(role).matches()) {
      problem(
          keys.get("role_arn"),
          path + ".role_arn",
          "must be an IAM role ARN like arn:aws:iam::123456789012:role/muster-read: " + role);
    }
    if (external != null && role == null) {
      problem(keys.get("external_id"), path + ".external_id", "needs role_arn");
    }
    return new AgentConfig.Account(region, role, external);
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
      MappingNode m = mapping(iface, path + ".interface");
      if (m != null) {
        Map<String, Node> ik = keys(m, path + ".interface", "device_index", "description");
        if (ik.size() != 1) {
          problem(iface, path + ".interface", "needs exactly one of device_index and description");
        } else if (ik.containsKey("device_index")) {
          mapping.networkInterface(
              integer(ik.get("device_index"), path + ".interface.device_index", 0, 0, 31));
        } else {
          String description = string(ik.get("description"), path + ".interface.description");
          if (description != null) {
            mapping.networkInterfaceDescription(description);
          }
        }
      }
      if (!List.of("private-ip", "public-ip", "ipv6").contains(source)) {
        problem(
            iface,
            path + ".interface",
            "goes with address private-ip, public-ip or ipv6, not " + source);
      }
    }
    if (secondary != null) {
      mapping.secondaryPrivateIp(integer(secondary, path + ".secondary_ip", 1, 1, 49));
      if (!source.equals("private-ip")) {
        problem(secondary, path + ".secondary_ip", "goes with address private-ip, not " + source);
      }
    }
  }

  private Map<String, Output> outputs(Node node, Set<String> backendNames) {
    Map<String, Output> outputs = new LinkedHashMap<>();
    if (node == null) {
      problem(null, "outputs", "at least one output is required");
      return outputs;
    }
    MappingNode map = mapping(node, "outputs");
    if (map == null) {
      return outputs;
    }
    for (NodeTuple tuple : entries(map, "outputs")) {
      String name = key(tuple);
      String path = "outputs." + name;
      if (!NAME.matcher(name).matches()) {
        problem(tuple.getKeyNode(), "outputs", "an output name is 1 to 63 letters, digits, _ . -");
        continue;
      }
      Map<String, Node> keys =
          keys(
              mapping(tuple.getValueNode(), path),
              path,
              "type",
              "mode",
              "file",
              "header",
              "template",
              "backends",
              "reload",
              "main_config",
              "stats_socket",
              "rpc",
              "sets",
              "server_options",
              "backend_options",
              "backend_server_options",
              "escape",
              "validate",
              "max_entries",
              "slots",
              "drain_timeout",
              "warmup_timeout");
      Output output = output(name, path, keys, tuple.getValueNode(), backendNames);
      if (output != null) {
        outputs.put(name, output);
        fileNodes.put(name, keys.get("file"));
      }
    }
    if (map.getValue().isEmpty()) {
      problem(node, "outputs", "at least one output is required");
    }
    return outputs;
  }

  private Output output(
      String name, String path, Map<String, Node> keys, Node at, Set<String> backendNames) {
    int before = problems.size();
    String type = string(keys.get("type"), path + ".type");
    if (type == null) {
      problem(at, path + ".type", "is required: haproxy, nginx, kamailio or template");
      return null;
    }
    if (!TYPES.contains(type)) {
      problem(
          keys.get("type"),
          path + ".type",
          "must be haproxy, nginx, kamailio or template: " + type);
      return null;
    }
    String mode = string(keys.get("mode"), path + ".mode");
    if (mode == null) {
      mode = "file";
    } else if (!type.equals("haproxy") || !(mode.equals("file") || mode.equals("runtime"))) {
      problem(
          keys.get("mode"),
          path + ".mode",
          type.equals("haproxy") ? "must be file or runtime: " + mode : "only haproxy has modes");
    }
    Path out = path(keys.get("file"), path + ".file");
    if (out == null) {
      problem(at, path + ".file", "is required: the file this output writes");
    }
    List<String> wanted =
        keys.get("backends") == null
            ? List.of()
            : strings(keys.get("backends"), path + ".backends");
    if (keys.get("backends") == null) {
      problem(at, path + ".backends", "is required: which backends feed this output");
    }
    for (String b : wanted) {
      if (!backendNames.contains(b)) {
        problem(
            keys.get("backends"),
            path + ".backends",
            "no backend named " + b + " (backends: " + String.join(", ", backendNames) + ")");
      }
    }
    Path header = existing(keys.get("header"), path + ".header");
    Path template = existing(keys.get("template"), path + ".template");
    if (header != null && template != null) {
      problem(
          keys.get("template"),
          path + ".template",
          "header and template do not go together: a template writes the whole file");
    }
    if (type.equals("haproxy") && header == null && template == null) {
      problem(at, path + ".header", "is required for haproxy (or template)");
    }
    if (type.equals("template") && template == null && keys.get("template") == null) {
      problem(at, path + ".template", "is required for a template output");
    }
    if (type.equals("template") && header != null) {
      problem(keys.get("header"), path + ".header", "a template output writes the whole file");
    }
    String escape = string(keys.get("escape"), path + ".escape");
    if (escape != null && !type.equals("template")) {
      problem(keys.get("escape"), path + ".escape", "only a template output has it");
    } else if (escape != null && !ESCAPES.contains(escape)) {
      problem(
          keys.get("escape"),
          path + ".escape",
          "must be token, haproxy, nginx or kamailio: " + escape);
    }
    List<String> validate =
        keys.get("validate") == null ? null : strings(keys.get("validate"), path + ".validate");
    if (validate != null && !type.equals("template")) {
      problem(
          keys.get("validate"),
          path + ".validate",
          "only a template output has it (the others use their proxy's own checker)");
    } else if (validate != null && validate.isEmpty()) {
      problem(
          keys.get("validate"),
          path + ".validate",
          "needs a command, e.g. [keepalived, -t, -f, \"{file}\"]");
    }
    Reload reload = reload(keys.get("reload"), path + ".reload");
    Path mainConfig = existing(keys.get("main_config"), path + ".main_config");
    if (type.equals("nginx") && mainConfig == null) {
      problem(at, path + ".main_config", "is required for nginx (for nginx -t and the reload)");
    }
    Path statsSocket = path(keys.get("stats_socket"), path + ".stats_socket");
    if ("runtime".equals(mode) && statsSocket == null) {
      problem(at, path + ".stats_socket", "is required in runtime mode");
    }
    URI rpc = url(keys.get("rpc"), path + ".rpc");
    Map<String, Integer> sets = new LinkedHashMap<>();
    if (type.equals("kamailio")) {
      if (rpc == null) {
        problem(at, path + ".rpc", "is required for kamailio (its JSON-RPC URL)");
      }
      MappingNode setMap =
          keys.get("sets") == null ? null : mapping(keys.get("sets"), path + ".sets");
      if (setMap != null) {
        for (NodeTuple t : entries(setMap, path + ".sets")) {
          sets.put(key(t), integer(t.getValueNode(), path + ".sets." + key(t), 1, 1, 99_999));
        }
      }
      for (int i = 0; i < wanted.size(); i++) {
        sets.putIfAbsent(wanted.get(i), i + 1);
      }
    }
    // "" is allowed here: servers without options (no health check).
    String serverOptions =
        keys.get("server_options") instanceof ScalarNode s && s.getValue().isEmpty()
            ? ""
            : string(keys.get("server_options"), path + ".server_options");
    if (serverOptions != null && !type.equals("haproxy")) {
      problem(keys.get("server_options"), path + ".server_options", "only haproxy has it");
    }
    Map<String, String> backendOptions =
        textMap(keys.get("backend_options"), path + ".backend_options", wanted);
    Map<String, String> backendServerOptions =
        textMap(keys.get("backend_server_options"), path + ".backend_server_options", wanted);
    if (!backendServerOptions.isEmpty() && !type.equals("haproxy")) {
      problem(
          keys.get("backend_server_options"),
          path + ".backend_server_options",
          "only haproxy has it");
    }
    Integer maxEntries = null;
    if (keys.get("max_entries") != null) {
      if (!type.equals("kamailio")) {
        problem(keys.get("max_entries"), path + ".max_entries", "only kamailio has it");
      }
      maxEntries = integer(keys.get("max_entries"), path + ".max_entries", 5000, 1, 100_000);
    }
    RuntimeMode runtime = null;
    for (String key : List.of("slots", "drain_timeout", "warmup_timeout")) {
      if (keys.get(key) != null && !"runtime".equals(mode)) {
        problem(keys.get(key), path + "." + key, "only haproxy in runtime mode has it");
      }
    }
    if ("runtime".equals(mode)) {
      runtime =
          new RuntimeMode(
              integer(keys.get("slots"), path + ".slots", 16, 1, 10_000),
              duration(keys.get("drain_timeout"), path + ".drain_timeout", Duration.ofSeconds(30)),
              duration(
                  keys.get("warmup_timeout"), path + ".warmup_timeout", Duration.ofSeconds(30)));
    }
    if (problems.size() > before) {
      return null;
    }
    return new Output(
        name,
        type,
        mode,
        out,
        header,
        template,
        wanted,
        reload,
        mainConfig,
        statsSocket,
        rpc,
        sets,
        serverOptions,
        backendOptions,
        backendServerOptions,
        type.equals("template") ? (escape == null ? "token" : escape) : null,
        validate,
        maxEntries,
        runtime);
  }

  /** A mapping of backend name to text; every name must be one of {@code backends}. */
  private Map<String, String> textMap(Node node, String path, List<String> backends) {
    Map<String, String> texts = new LinkedHashMap<>();
    MappingNode map = node == null ? null : mapping(node, path);
    if (map != null) {
      for (NodeTuple t : entries(map, path)) {
        String backend = key(t);
        if (!backends.contains(backend)) {
          problem(t.getKeyNode(), path + "." + backend, "is not one of this output's backends");
        }
        String text = string(t.getValueNode(), path + "." + backend);
        if (text != null) {
          texts.put(backend, text.stripTrailing());
        }
      }
    }
    return texts;
  }

  private Reload reload(Node node, String path) {
    if (node == null) {
      return null;
    }
    Map<String, Node> keys = keys(mapping(node, path), path, "master_socket", "command");
    Path socket = path(keys.get("master_socket"), path + ".master_socket");
    List<String> command =
        keys.get("command") == null ? null : strings(keys.get("command"), path + ".command");
    if ((socket == null) == (command == null)) {
      problem(node, path, "needs exactly one of master_socket and command");
    }
    return new Reload(socket, command);
  }

  private Status status(Node node) {
    if (node == null) {
      return null;
    }
    Map<String, Node> keys = keys(mapping(node, "status"), "status", "listen");
    String listen = string(keys.get("listen"), "status.listen");
    if (listen == null) {
      problem(node, "status.listen", "is required, e.g. 127.0.0.1:9333");
      return null;
    }
    Matcher m = Pattern.compile("(.+):(\\d{1,5})").matcher(listen);
    if (!m.matches()) {
      problem(keys.get("listen"), "status.listen", "must be HOST:PORT: " + listen);
      return null;
    }
    int port = Integer.parseInt(m.group(2));
    if (port < 1 || port > 65535) {
      problem(keys.get("listen"), "status.listen", "the port must be 1 to 65535: " + listen);
      return null;
    }
    String host = m.group(1);
    String bare =
        host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
    if (bare.equals("0.0.0.0")
        || bare.equals("::")
        || bare.equals("*")
        || bare.equals("0:0:0:0:0:0:0:0")) {
      problem(
          keys.get("listen"),
          "status.listen",
          host
              + " listens on every interface, and the status port has no authentication: name"
              + " one address (127.0.0.1, or this host's private address for a remote Prometheus)");
      return null;
    }
    return new Status(bare, port);
  }

  // --- values -----------------------------------------------------------------------------

  /** The keys of {@code map}; any other key is a problem that lists the known ones. */
  private Map<String, Node> keys(MappingNode map, String path, String... known) {
    Map<String, Node> keys = new LinkedHashMap<>();
    if (map == null) {
      return keys;
    }
    Set<String> allowed = Set.of(known);
    for (NodeTuple tuple : map.getValue()) {
      String key = key(tuple);
      if (keys.containsKey(key)) {
        problem(tuple.getKeyNode(), join(path, key), "given twice");
      } else if (!allowed.contains(key)) {
        problem(
            tuple.getKeyNode(),
            join(path, key),
            "unknown setting (known here: " + String.join(", ", known) + ")");
      } else {
        keys.put(key, tuple.getValueNode());
      }
    }
    return keys;
  }

  /**
   * The entries of a map whose keys are names (backends, outputs, tags); a repeated one is a
   * problem.
   */
  private List<NodeTuple> entries(MappingNode map, String path) {
    List<NodeTuple> entries = new ArrayList<>();
    Set<String> seen = new LinkedHashSet<>();
    for (NodeTuple tuple : map.getValue()) {
      if (seen.add(key(tuple))) {
        entries.add(tuple);
      } else {
        problem(tuple.getKeyNode(), join(path, key(tuple)), "given twice");
      }
    }
    return entries;
  }

  private static String key(NodeTuple tuple) {
    return tuple.getKeyNode() instanceof ScalarNode s ? s.getValue() : "?";
  }

  private MappingNode mapping(Node node, String path) {
    if (node instanceof MappingNode m) {
      return m;
    }
    problem(node, path.isEmpty() ? "(top)" : path, "must be a mapping of settings");
    return null;
  }

  private String string(Node node, String path) {
    if (node == null) {
      return null;
    }
    if (node instanceof ScalarNode s && !s.getValue().isEmpty()) {
      return s.getValue();
    }
    problem(node, path, "must be a non-empty text");
    return null;
  }

  /** A text or a list of texts. */
  private List<String> strings(Node node, String path) {
    if (node instanceof SequenceNode seq) {
      List<String> values = new ArrayList<>();
      for (Node item : seq.getValue()) {
        String v = string(item, path);
        if (v != null) {
          values.add(v);
        }
      }
      if (values.isEmpty()) {
        problem(node, path, "must not be an empty list");
      }
      return values;
    }
    String single = string(node, path);
    return single == null ? List.of() : List.of(single);
  }

  private int integer(Node node, String path, int fallback, int min, int max) {
    if (node == null) {
      return fallback;
    }
    String text = node instanceof ScalarNode s ? s.getValue() : "";
    if (text.matches("\\d{1,9}")) {
      int value = Integer.parseInt(text);
      if (value >= min && value <= max) {
        return value;
      }
    }
    problem(node, path, "must be a whole number from " + min + " to " + max + ": " + text);
    return fallback;
  }

  private double fraction(Node node, String path, double fallback) {
    if (node == null) {
      return fallback;
    }
    String text = node instanceof ScalarNode s ? s.getValue() : "";
    try {
      double value = Double.parseDouble(text);
      if (value > 0 && value <= 1) {
        return value;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    problem(node, path, "must be a share above 0 and at most 1, e.g. 0.5: " + text);
    return fallback;
  }

  private boolean bool(Node node, String path, boolean fallback) {
    if (node == null) {
      return fallback;
    }
    String text = node instanceof ScalarNode s ? s.getValue() : "";
    if (text.equals("true") || text.equals("false")) {
      return Boolean.parseBoolean(text);
    }
    problem(node, path, "must be true or false: " + text);
    return fallback;
  }

  private Duration duration(Node node, String path, Duration fallback) {
    if (node == null) {
      return fallback;
    }
    String text = node instanceof ScalarNode s ? s.getValue() : "";
    Matcher m = DURATION.matcher(text);
    if (!m.matches()) {
      problem(node, path, "must be a duration like 500ms, 15s, 2m or 1h: " + text);
      return fallback;
    }
    long n = Long.parseLong(m.group(1));
    Duration value =
        switch (m.group(2)) {
          case "ms" -> Duration.ofMillis(n);
          case "s" -> Duration.ofSeconds(n);
          case "m" -> Duration.ofMinutes(n);
          default -> Duration.ofHours(n);
        };
    if (value.compareTo(MAX_DURATION) > 0) {
      problem(node, path, "must be at most 24h: " + text);
      return fallback;
    }
    return value;
  }

  private Path path(Node node, String path) {
    String text = string(node, path);
    return text == null ? null : resolve(text);
  }

  /** A path to a file that must exist and be readable now (a header, a template). */
  private Path existing(Node node, String path) {
    Path p = path(node, path);
    if (p != null && !Files.isReadable(p)) {
      problem(node, path, (Files.exists(p) ? "cannot read " : "no such file: ") + p);
    }
    return p;
  }

  /** Relative paths are relative to the configuration file's directory. */
  private Path resolve(String text) {
    Path p = Path.of(text);
    Path dir = file.toAbsolutePath().getParent();
    return p.isAbsolute() || dir == null ? p : dir.resolve(p).normalize();
  }

  private URI url(Node node, String path) {
    String text = string(node, path);
    if (text == null) {
      return null;
    }
    try {
      URI uri = new URI(text);
      if (("http".equals(uri.getScheme()) || "https".equals(uri.getScheme()))
          && uri.getHost() != null) {
        return uri;
      }
    } catch (URISyntaxException e) {
      // reported below
    }
    problem(node, path, "must be an http(s) URL like http://127.0.0.1:8999: " + text);
    return null;
  }

  private void filter(Node node, String path, Function<String[], Query.Builder> apply) {
    if (node == null) {
      return;
    }
    List<String> values = strings(node, path);
    if (!values.isEmpty()) {
      build(node, path, () -> apply.apply(values.toArray(String[]::new)));
    }
  }

  /** Runs a core builder call; its argument check becomes a problem at {@code node}. */
  private void build(Node node, String path, Runnable call) {
    try {
      call.run();
    } catch (IllegalArgumentException e) {
      problem(node, path, e.getMessage());
    }
  }

  private void problem(Node node, String path, String message) {
    int line = node == null ? 0 : node.getStartMark().map(m -> m.getLine() + 1).orElse(0);
    problems.add(printable(file + (line > 0 ? ":" + line : "") + ": " + path + ": " + message));
  }

  /** {@code text} with control and line-breaking characters as {@code \\uXXXX}: one log line. */
  private static String printable(String text) {
    StringBuilder out = new StringBuilder(text.length());
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c < 0x20 || c == 0x7f || c == 0x85 || c == 0x2028 || c == 0x2029) {
        out.append(String.format("\\u%04X", (int) c));
      } else {
        out.append(c);
      }
    }
    return out.toString();
  }

  private static String join(String path, String key) {
    return path.isEmpty() ? key : path + "." + key;
  }

  private static String firstLine(String text) {
    return text == null ? "" : text.lines().findFirst().orElse("");
  }
}
