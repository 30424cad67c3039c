package dev.muster.agent;

import dev.muster.agent.AgentConfig.Aws;
import dev.muster.agent.AgentConfig.Backend;
import dev.muster.agent.AgentConfig.Events;
import dev.muster.agent.AgentConfig.Loop;
import dev.muster.agent.AgentConfig.Status;
import java.io.IOException;
import java.io.Reader;
import java.net.URI;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.snakeyaml.engine.v2.api.LoadSettings;
import org.snakeyaml.engine.v2.composer.Composer;
import org.snakeyaml.engine.v2.events.Event;
import org.snakeyaml.engine.v2.exceptions.MarkedYamlEngineException;
import org.snakeyaml.engine.v2.exceptions.YamlEngineException;
import org.snakeyaml.engine.v2.nodes.MappingNode;
import org.snakeyaml.engine.v2.nodes.Node;
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
  /** The largest configuration file read; no real one comes near it. */
  private static final int MAX_BYTES = 1 << 20;

  /** The deepest nesting read; a real configuration has five levels. */
  private static final int MAX_DEPTH = 32;

  private final Path file;
  private final Nodes n;

  private ConfigReader(Path file) {
    this.file = file;
    this.n = new Nodes(file);
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
    MappingNode top = n.mapping(root, "");
    if (top == null) {
      throw new ConfigException(n.problems());
    }
    Map<String, Node> keys =
        n.keys(top, "", "aws", "discovery", "backends", "outputs", "status", "events");
    Aws aws = aws(keys.get("aws"));
    Map<String, Node> discovery =
        keys.get("discovery") == null
            ? Map.of()
            : n.keys(
                n.mapping(keys.get("discovery"), "discovery"),
                "discovery",
                "interval",
                "wait",
                "guard",
                "state_dir");
    BackendReader backendReader = new BackendReader(n);
    Loop defaults = new LoopReader(n).read(discovery, "discovery", LoopReader.defaults());
    Path stateDir = n.path(discovery.get("state_dir"), "discovery.state_dir");
    Map<String, Backend> backends = backendReader.read(keys.get("backends"), defaults);
    Map<String, Node> fileNodes = new LinkedHashMap<>();
    Map<String, Output> outputs =
        new OutputReader(n).read(keys.get("outputs"), backendReader.declared(), fileNodes);
    Status status = status(keys.get("status"));
    Events events = events(keys.get("events"));
    new OwnFiles(file, stateDir, backendReader.declared(), n::problem).check(outputs, fileNodes);
    if (!n.problems().isEmpty()) {
      throw new ConfigException(n.problems());
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
          List.of(file + ":" + line + ": not valid YAML: " + Nodes.firstLine(e.getProblem())));
    } catch (YamlEngineException e) {
      throw new ConfigException(
          List.of(file + ": not valid YAML: " + Nodes.firstLine(e.getMessage())));
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
        n.keys(n.mapping(node, "aws"), "aws", "region", "endpoint", "profile", "endpoints", "zone");
    String region = n.string(keys.get("region"), "aws.region");
    String regionProblem = region == null ? null : Regions.problem(region);
    if (regionProblem != null) {
      n.problem(keys.get("region"), "aws.region", regionProblem);
    }
    URI ec2 = n.url(keys.get("endpoint"), "aws.endpoint");
    URI sqs = null;
    URI autoScaling = null;
    URI sts = null;
    if (keys.get("endpoints") != null) {
      Map<String, Node> endpoints =
          n.keys(
              n.mapping(keys.get("endpoints"), "aws.endpoints"),
              "aws.endpoints",
              "ec2",
              "sqs",
              "autoscaling",
              "sts");
      if (endpoints.get("ec2") != null) {
        if (ec2 != null) {
          n.problem(endpoints.get("ec2"), "aws.endpoints.ec2", "aws.endpoint says it already");
        }
        ec2 = n.url(endpoints.get("ec2"), "aws.endpoints.ec2");
      }
      sqs = n.url(endpoints.get("sqs"), "aws.endpoints.sqs");
      autoScaling = n.url(endpoints.get("autoscaling"), "aws.endpoints.autoscaling");
      sts = n.url(endpoints.get("sts"), "aws.endpoints.sts");
    }
    String zone = n.string(keys.get("zone"), "aws.zone");
    if (zone != null && !zone.matches("[a-z]{2}(-[a-z0-9]+)+-\\d+[a-z]")) {
      n.problem(keys.get("zone"), "aws.zone", "must be a zone name like us-east-1a: " + zone);
    }
    return new Aws(
        region, ec2, n.string(keys.get("profile"), "aws.profile"), sqs, autoScaling, sts, zone);
  }

  private Events events(Node node) {
    if (node == null) {
      return null;
    }
    Map<String, Node> keys =
        n.keys(
            n.mapping(node, "events"),
            "events",
            "queue",
            "lifecycle_hook",
            "drain_timeout",
            "heartbeat_interval",
            "visibility_timeout",
            "launch_actions",
            "refresh_spread");
    URI queue = n.url(keys.get("queue"), "events.queue");
    if (keys.get("queue") == null) {
      n.problem(node, "events.queue", "is required: the SQS queue URL");
    }
    String hook = n.string(keys.get("lifecycle_hook"), "events.lifecycle_hook");
    Duration drain =
        n.duration(keys.get("drain_timeout"), "events.drain_timeout", Duration.ofSeconds(300));
    Duration heartbeat =
        n.duration(
            keys.get("heartbeat_interval"), "events.heartbeat_interval", Duration.ofSeconds(60));
    Duration visibility =
        n.duration(
            keys.get("visibility_timeout"), "events.visibility_timeout", Duration.ofSeconds(120));
    if (visibility.toSeconds() < 2 || visibility.toSeconds() > 43_200) {
      n.problem(keys.get("visibility_timeout"), "events.visibility_timeout", "must be 2s to 12h");
    }
    if (drain.isZero() || heartbeat.isZero()) {
      n.problem(node, "events", "drain_timeout and heartbeat_interval must be positive");
    }
    boolean launch = n.bool(keys.get("launch_actions"), "events.launch_actions", false);
    if (launch && hook == null) {
      n.problem(keys.get("launch_actions"), "events.launch_actions", "needs lifecycle_hook");
    }
    Duration spread =
        n.duration(keys.get("refresh_spread"), "events.refresh_spread", Duration.ZERO);
    if (spread.compareTo(Duration.ofMinutes(10)) > 0) {
      n.problem(keys.get("refresh_spread"), "events.refresh_spread", "must be at most 10m");
    }
    return new Events(queue, hook, drain, heartbeat, visibility, launch, spread);
  }

  private Status status(Node node) {
    if (node == null) {
      return null;
    }
    Map<String, Node> keys =
        n.keys(n.mapping(node, "status"), "status", "listen", "stale_after", "sd_tags");
    Duration staleAfter = n.duration(keys.get("stale_after"), "status.stale_after", null);
    List<String> sdTags =
        keys.get("sd_tags") == null ? List.of() : n.strings(keys.get("sd_tags"), "status.sd_tags");
    for (String tag : sdTags) {
      if (tag.isEmpty() || tag.length() > 128) {
        n.problem(keys.get("sd_tags"), "status.sd_tags", "a tag key is 1 to 128 characters");
      }
    }
    String listen = n.string(keys.get("listen"), "status.listen");
    if (listen == null) {
      n.problem(node, "status.listen", "is required, e.g. 127.0.0.1:9333");
      return null;
    }
    Matcher m = Pattern.compile("(.+):(\\d{1,5})").matcher(listen);
    if (!m.matches()) {
      n.problem(keys.get("listen"), "status.listen", "must be HOST:PORT: " + listen);
      return null;
    }
    int port = Integer.parseInt(m.group(2));
    if (port < 1 || port > 65535) {
      n.problem(keys.get("listen"), "status.listen", "the port must be 1 to 65535: " + listen);
      return null;
    }
    String host = m.group(1);
    String bare =
        host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
    if (bare.equals("0.0.0.0")
        || bare.equals("::")
        || bare.equals("*")
        || bare.equals("0:0:0:0:0:0:0:0")) {
      n.problem(
          keys.get("listen"),
          "status.listen",
          host
              + " listens on every interface, and the status port has no authentication: name"
              + " one address (127.0.0.1, or this host's private address for a remote Prometheus)");
      return null;
    }
    return new Status(bare, port, staleAfter, List.copyOf(sdTags));
  }
}
