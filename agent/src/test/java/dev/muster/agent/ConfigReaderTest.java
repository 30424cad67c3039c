package dev.muster.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.muster.discovery.MemberMapping;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The configuration file: the issue's example as written, and one message per mistake. */
class ConfigReaderTest {
  @TempDir Path dir;
  private Path header;

  /** The example from the agent issue, with the header at a path that exists here. */
  private String example() {
    return """
        aws:
          region: us-west-2
          endpoint: http://127.0.0.1:8999        # optional: VPC endpoint or a stand-in
        discovery:
          interval: 15s
          wait: {min: 0s, max: 10s}
          guard: {confirmations: 3, max_removal: 0.5, allow_empty: false, min_members: 1}
          state_dir: /var/lib/muster
        backends:
          web: {tags: {layer: app}, port: 8080}
          api: {tags: {layer: api}, port: 9090, address: private-ip}
        outputs:
          edge:
            type: haproxy
            mode: file                            # or runtime
            header: HEADER
            file: /etc/haproxy/haproxy.cfg
            backends: [web, api]
            reload: {master_socket: /run/haproxy-master.sock}   # or command: [systemctl, reload, haproxy]
        status:
          listen: 127.0.0.1:9333
        """
        .replace("HEADER", header.toString());
  }

  @Test
  void theLifecycleIssuesExampleWorksAsWritten() throws Exception {
    AgentConfig config =
        read(
            example()
                    .replace(
                        "  endpoint: http://127.0.0.1:8999        # optional: VPC endpoint or a stand-in\n",
                        "  endpoint: http://127.0.0.1:8999        # optional: VPC endpoint or a stand-in\n"
                            + "  endpoints: {sqs: http://127.0.0.1:8999, autoscaling: http://127.0.0.1:8999}"
                            + "  # optional, per service\n")
                + """
                events:
                  queue: https://sqs.us-west-2.amazonaws.com/123456789012/muster-edge
                  lifecycle_hook: muster-edge        # the hook this agent completes; none: events only refresh
                  drain_timeout: 300s                # complete with CONTINUE at the latest after this
                """);

    assertEquals("muster-edge", config.events().lifecycleHook());
    assertEquals(java.time.Duration.ZERO, config.events().refreshSpread());
    assertEquals(java.time.Duration.ofSeconds(300), config.events().drainTimeout());
    assertEquals(
        "https://sqs.us-west-2.amazonaws.com/123456789012/muster-edge",
        config.events().queue().toString());
    assertEquals("http://127.0.0.1:8999", config.aws().sqsEndpoint().toString());
    assertEquals("http://127.0.0.1:8999", config.aws().autoScalingEndpoint().toString());
  }

  @Test
  void emptyServerOptionsMeanServersWithoutAHealthCheck() throws Exception {
    String withOptions =
        example()
            .replace(
                "    backends: [web, api]\n",
                "    backends: [web, api]\n    server_options: OPT\n");

    assertEquals(
        "",
        ((HaproxyOutput) read(withOptions.replace("OPT", "\"\"")).outputs().get("edge"))
            .servers()
            .serverOptions());
    assertEquals(
        "check inter 2s",
        ((HaproxyOutput) read(withOptions.replace("OPT", "check inter 2s")).outputs().get("edge"))
            .servers()
            .serverOptions());
    assertNull(
        ((HaproxyOutput) read(example()).outputs().get("edge")).servers().serverOptions(),
        "the default applies");
  }

  @Test
  void anAddressFromOneNetworkInterface() throws Exception {
    String web = "  web: {tags: {layer: app}, port: 8080";
    assertTrue(example().contains(web), "the example has the web backend");

    MemberMapping byIndex =
        read(example().replace(web, web + ", interface: {device_index: 1}, secondary_ip: 2"))
            .backends()
            .get("web")
            .mapping();
    assertEquals(1, byIndex.deviceIndex());
    assertEquals(2, byIndex.secondaryIp());
    assertEquals(
        "eth1 data",
        read(example().replace(web, web + ", address: ipv6, interface: {description: eth1 data}"))
            .backends()
            .get("web")
            .mapping()
            .interfaceDescription());

    assertProblem(
        example().replace(web, web + ", interface: {device_index: 1, description: x}"),
        "backends.web.interface: needs exactly one of device_index and description");
    assertProblem(
        example().replace(web, web + ", interface: {device_index: 32}"),
        "backends.web.interface.device_index");
    assertProblem(
        example().replace(web, web + ", address: private-dns, interface: {device_index: 1}"),
        "backends.web.interface: goes with address private-ip, public-ip or ipv6, not private-dns");
    assertProblem(
        example().replace(web, web + ", address: public-ip, secondary_ip: 1"),
        "backends.web.secondary_ip: goes with address private-ip, not public-ip");
  }

  @Test
  void accountsAndRolesPerBackend() throws Exception {
    String web = "  web: {tags: {layer: app}, port: 8080";
    String role = "arn:aws:iam::123456789012:role/muster-read";
    AgentConfig.Backend one =
        read(example()
                .replace(
                    web, web + ", region: eu-west-1, role_arn: \"" + role + "\", external_id: x1"))
            .backends()
            .get("web");
    assertEquals(List.of(new AgentConfig.Account("eu-west-1", role, "x1")), one.accounts());
    assertEquals("123456789012", one.accounts().get(0).accountId());
    AgentConfig.Backend two =
        read(example()
                .replace(
                    web,
                    web + ", accounts: [{}, {role_arn: \"" + role + "\"}, {region: eu-west-1}]"))
            .backends()
            .get("web");
    assertEquals(3, two.accounts().size());
    assertEquals(new AgentConfig.Account(null, null, null), two.accounts().get(0));
    assertTrue(read(example()).backends().get("web").accounts().isEmpty());

    assertProblem(
        example().replace(web, web + ", role_arn: muster-read"),
        "backends.web.role_arn: must be an IAM role ARN");
    assertProblem(
        example().replace(web, web + ", external_id: x1"),
        "backends.web.external_id: needs role_arn");
    assertProblem(
        example().replace(web, web + ", region: moon-1, accounts: [{region: eu-west-1}]"),
        "backends.web.accounts: replaces region, role_arn and external_id");
    assertProblem(
        example().replace(web, web + ", accounts: [{region: eu-west-1}, {region: eu-west-1}]"),
        "backends.web.accounts[1]: is listed twice");
    assertProblem(
        example().replace(web, web + ", accounts: [{region: eu-west-1, rol_arn: x}]"),
        "backends.web.accounts[0].rol_arn: unknown setting");
  }

  @Test
  void runtimeModeNamesWhatHaproxyRefusesForServersAddedAtRuntime() throws Exception {
    String runtime = "mode: runtime\n    stats_socket: /run/haproxy/admin.sock\n    #";
    assertProblem(
        example()
            .replace("mode: file ", runtime)
            .replace(
                "backends: [web, api]",
                "backends: [web, api]\n    backend_options: {web: 'balance uri'}"),
        "outputs.edge.backend_options.web: `balance uri` with hash-type map-based");
    assertProblem(
        example()
            .replace("mode: file ", runtime)
            .replace(
                "backends: [web, api]", "backends: [web, api]\n    server_options: check cookie x"),
        "outputs.edge.server_options: `cookie` cannot be given to a server added at runtime");
    Files.writeString(header, Files.readString(header) + "defaults\n    balance source\n");
    assertProblem(
        example().replace("mode: file ", runtime),
        "outputs.edge.header: for backend api: `balance source`");
    assertEquals(
        "haproxy runtime mode",
        read(example()
                .replace("mode: file ", runtime)
                .replace(
                    "backends: [web, api]",
                    "backends: [web, api]\n    backend_options:\n      web: |\n        balance uri\n"
                        + "        hash-type consistent\n      api: balance roundrobin"))
            .outputs()
            .get("edge")
            .kind());
  }

  @Test
  void rtpengineAndPermissionsOutputsFromTheVoipExample() throws Exception {
    String voip = Files.readString(Path.of("samples/voip-edge.yaml"));

    AgentConfig config = read(voip);

    RtpengineOutput media = (RtpengineOutput) config.outputs().get("media");
    assertEquals(java.util.Map.of("media", 0), media.sets());
    assertEquals("rtpengine", media.kind());
    PermissionsOutput trusted = (PermissionsOutput) config.outputs().get("trusted");
    assertEquals(java.util.Map.of("edges", 1), trusted.groups());
    assertEquals(false, trusted.matchPort());
    DmqOutput peers = (DmqOutput) config.outputs().get("peers");
    assertEquals("dmq", peers.kind());
    assertEquals(java.util.List.of("edges"), peers.backends());
    assertTrue(peers.keepsDrainingMembers() && trusted.keepsDrainingMembers());
    assertFalse(media.keepsDrainingMembers());
  }

  @Test
  void rtpengineAndPermissionsOutputsNameWhatIsWrong() throws Exception {
    String voip = Files.readString(Path.of("samples/voip-edge.yaml"));
    assertProblem(
        voip.replace("    groups: {edges: 1}  ", "    groups: {edges: 0}  "),
        "outputs.trusted.groups.edges: must be a whole number from 1 to 65535");
    assertProblem(
        voip.replace("    sets: {media: 0}", "    groups: {media: 1}"),
        "outputs.media.groups: only permissions has it");
    assertProblem(
        voip.replace(
            "    rpc: http://127.0.0.1:5071/RPC                   # rtpengine.reload, then rtpengine.show all\n",
            ""),
        "outputs.media.rpc: is required for rtpengine");
    assertProblem(
        voip.replace("    sets: {media: 0}", "    sets: {acd: 0}"),
        "outputs.media.sets.acd: is not one of this output's backends");
    assertProblem(
        voip.replace(
            "    rpc: http://127.0.0.1:5071/RPC                   # dmq.remove of a peer once it is gone\n",
            ""),
        "outputs.peers.rpc: is required for dmq");
    assertProblem(
        voip.replace("    type: dmq\n", "    type: dmq\n    groups: {edges: 1}\n"),
        "outputs.peers.groups: only permissions has it");
  }

  @Test
  void zoneAwareBackendsAndTheProxysZone() throws Exception {
    String web = "  web: {tags: {layer: app}, port: 8080";
    assertEquals(
        2, read(example().replace(web, web + ", zone_aware: 2")).backends().get("web").zoneFloor());
    assertEquals(null, read(example()).backends().get("web").zoneFloor());
    assertProblem(example().replace(web, web + ", zone_aware: -1"), "backends.web.zone_aware");
    assertEquals(
        1,
        read(example()
                .replace(web, web + ", zone_aware: 1")
                .replace(
                    "mode: file ",
                    "mode: runtime\n    stats_socket: /run/haproxy/admin.sock\n    #"))
            .backends()
            .get("web")
            .zoneFloor(),
        "runtime mode swaps a server's backup flag by deleting and adding it");
    assertProblem(
        example().replace("aws:\n", "aws:\n  zone: us-east-1\n"),
        "aws.zone: must be a zone name like us-east-1a");
  }

  @Test
  void inServiceOnlyWithItsCache() throws Exception {
    String web = "  web: {tags: {layer: app}, port: 8080";
    AgentConfig.Backend on =
        read(example().replace(web, web + ", in_service_only: true, in_service_cache: 15s"))
            .backends()
            .get("web");
    assertTrue(on.inServiceOnly());
    assertEquals(Duration.ofSeconds(15), on.inServiceCache());
    assertEquals(
        Duration.ofSeconds(60),
        read(example().replace(web, web + ", in_service_only: true"))
            .backends()
            .get("web")
            .inServiceCache());
    assertFalse(read(example()).backends().get("web").inServiceOnly());
    assertProblem(
        example().replace(web, web + ", in_service_cache: 15s"),
        "backends.web.in_service_cache: needs in_service_only: true");
    assertProblem(
        example().replace(web, web + ", in_service_only: true, in_service_cache: 2h"),
        "backends.web.in_service_cache: must be 0s to 1h");
  }

  @Test
  void eventSettingsAreCheckedLikeAnyOther() throws Exception {
    String base = example() + "events:\n";
    assertProblem(base + "  lifecycle_hook: h\n", "events.queue: is required");
    assertProblem(
        base + "  queue: https://q.example/1/q\n  launch_actions: true\n",
        "events.launch_actions: needs lifecycle_hook");
    assertProblem(
        base + "  queue: https://q.example/1/q\n  drain_timout: 10s\n",
        "events.drain_timout: unknown setting");
    assertProblem(
        base + "  queue: https://q.example/1/q\n  visibility_timeout: 1s\n",
        "events.visibility_timeout: must be 2s to 12h");
    assertProblem(
        example()
            .replace("  region: us-west-2\n", "  region: us-west-2\n  endpoints: {s3: http://x}\n"),
        "aws.endpoints.s3: unknown setting");
  }

  private void assertProblem(String yaml, String expected) {
    ConfigException e =
        org.junit.jupiter.api.Assertions.assertThrows(ConfigException.class, () -> read(yaml));
    assertTrue(
        e.problems().stream().anyMatch(p -> p.contains(expected)),
        expected + " not in " + e.problems());
  }

  @BeforeEach
  void files() throws IOException {
    header = Files.writeString(dir.resolve("haproxy-header.cfg"), "defaults\n");
  }

  private AgentConfig read(String text) throws Exception {
    Path file = dir.resolve("muster.yaml");
    Files.writeString(file, text);
    return ConfigReader.read(file);
  }

  @Test
  void nginxDynamicModeIsItsOwnOutputWithItsAdminSocket() throws Exception {
    Path main = Files.writeString(dir.resolve("nginx.conf"), "events {}\n");
    String yaml =
        """
        aws: {region: us-east-1}
        backends:
          web: {tags: {role: web}, port: 8080}
        outputs:
          web:
            type: nginx
            mode: dynamic
            file: muster.conf
            main_config: nginx.conf
            backends: [web]
        """;
    Output output = read(yaml).outputs().get("web");
    assertTrue(output instanceof NginxDynamicOutput, output.toString());
    assertTrue(output.details().contains(dir.resolve("muster-admin.sock").toString()));
    assertTrue(main.toFile().exists());
    assertProblem(
        yaml.replace("mode: dynamic", "mode: hot"), "outputs.web.mode: must be file or dynamic");
    assertProblem(
        yaml.replace("mode: dynamic", "mode: file\n    admin_socket: /run/x.sock"),
        "outputs.web.admin_socket: only nginx in dynamic mode has it");
    assertProblem(
        yaml.replace("mode: dynamic", "mode: dynamic\n    template: x.ftl"),
        "outputs.web.template: dynamic mode writes Muster's own include");
    Output checked =
        read(yaml.replace(
                "mode: dynamic",
                "mode: dynamic\n    health: {web: {path: /health, interval: 500ms, rise: 3}}"))
            .outputs()
            .get("web");
    assertEquals(
        new dev.muster.nginx.HealthCheck(
            "/health", java.time.Duration.ofMillis(500), java.time.Duration.ofMillis(500), 3, 3),
        ((NginxDynamicOutput) checked).health().get("web"));
    assertProblem(
        yaml.replace("mode: dynamic", "mode: dynamic\n    health: {web: {path: health}}"),
        "outputs.web.health.web: health path must start with /");
    assertProblem(
        yaml.replace("mode: dynamic", "mode: dynamic\n    health: {api: {path: /}}"),
        "outputs.web.health.api: is not a backend of this output");
    assertProblem(
        yaml.replace("mode: dynamic", "mode: file\n    health: {web: {path: /}}"),
        "outputs.web.health: only nginx in dynamic mode has it");
  }

  @Test
  void theIssuesExampleWorksAsWritten() throws Exception {
    AgentConfig config = read(example());

    assertEquals("us-west-2", config.aws().region());
    assertEquals(List.of("web", "api"), List.copyOf(config.backends().keySet()));
    assertEquals(
        "tag:layer=app, instance-state-name=running",
        config.backends().get("web").query().toString());
    assertEquals(9090, config.backends().get("api").mapping().port());
    assertEquals(Duration.ofSeconds(10), config.backends().get("web").loop().waitMax());
    Output edge = config.outputs().get("edge");
    assertTrue(edge instanceof HaproxyOutput, edge.toString());
    assertEquals("haproxy file mode", edge.kind());
    assertEquals(List.of("web", "api"), edge.backends());
    assertEquals(Path.of("/run/haproxy-master.sock"), edge.reload().masterSocket());
    assertEquals(9333, config.status().port());
    assertEquals(Path.of("/var/lib/muster"), config.stateDir());
  }

  @Test
  void backendsOverrideTheDiscoveryDefaults() throws Exception {
    AgentConfig config =
        read(
            example()
                .replace(
                    "web: {tags: {layer: app}, port: 8080}",
                    "web: {tags: {layer: app}, port: 8080, interval: 1m, guard: {min_members: 3}}"));

    AgentConfig.Loop web = config.backends().get("web").loop();
    assertEquals(Duration.ofMinutes(1), web.interval());
    assertEquals(3, web.minMembers());
    assertEquals(0.5, web.maxRemoval());
    assertEquals(1, config.backends().get("api").loop().minMembers());
  }

  /** Each mistake, the line it is reported at, and what the message says. */
  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      value = {
        "unknown top-level key   | 'status:' -> 'stats:'                  | 20 | stats: unknown setting",
        "misspelt aws key        | 'region: us-west-2' -> 'regoin: us-west-2' | 2 | aws.regoin: unknown setting",
        "bad region              | 'us-west-2' -> 'us west'                | 2 | aws.region: must be a region name",
        "endpoint without scheme | 'http://127.0.0.1:8999' -> '127.0.0.1:8999' | 3 | aws.endpoint: must be an http(s) URL",
        "bad duration            | 'interval: 15s' -> 'interval: 15'       | 5 | discovery.interval: must be a duration",
        "interval too short      | 'interval: 15s' -> 'interval: 100ms'    | 5 | discovery.interval: must be at least 1s",
        "wait max below min      | '{min: 0s, max: 10s}' -> '{min: 20s, max: 10s}' | 6 | discovery.wait.max: must not be shorter",
        "confirmations zero      | 'confirmations: 3' -> 'confirmations: 0' | 7 | discovery.guard.confirmations: must be a whole number from 1 to 1000",
        "max removal above one   | 'max_removal: 0.5' -> 'max_removal: 2'  | 7 | discovery.guard.max_removal: must be a share",
        "allow empty not boolean | 'allow_empty: false' -> 'allow_empty: no' | 7 | discovery.guard.allow_empty: must be true or false",
        "min members zero        | 'min_members: 1' -> 'min_members: 0'   | 7 | discovery.guard.min_members: must be a whole number from 1",
        "unknown guard key       | 'min_members: 1' -> 'min_member: 1'    | 7 | discovery.guard.min_member: unknown setting",
        "port out of range       | 'port: 8080' -> 'port: 80800'          | 10 | backends.web.port: must be a whole number from 1 to 65535",
        "port missing            | ', port: 8080}' -> '}'                 | 10 | backends.web.port: is required",
        "no query                | '{tags: {layer: app}, port: 8080}' -> '{port: 8080}' | 10 | backends.web: needs tags, tag_keys or asg",
        "bad address             | 'address: private-ip' -> 'address: elastic-ip' | 11 | backends.api.address: must be private-ip",
        "tag with a control char | 'layer: api' -> 'layer: \"a\\u0007pi\"' | 11 | backends.api.tags.layer: tag:layer value",
        "unknown backend key     | 'port: 9090' -> 'prot: 9090'           | 11 | backends.api.prot: unknown setting",
        "bad backend name        | '  web: {' -> '  \"web app\": {'         | 10 | backends.web app: a backend name is",
        "unknown output type     | 'type: haproxy' -> 'type: envoy'       | 14 | outputs.edge.type: must be haproxy, nginx, kamailio, rtpengine, permissions, dmq or template",
        "escape on haproxy       | 'mode: file ' -> 'escape: token '      | 15 | outputs.edge.escape: only a template output has it",
        "validate on haproxy     | 'mode: file ' -> 'validate: [x] '      | 15 | outputs.edge.validate: only a template output has it",
        "template without one    | 'type: haproxy' -> 'type: template'    | 14 | outputs.edge.template: is required for a template output",
        "bad mode                | 'mode: file ' -> 'mode: hot '          | 15 | outputs.edge.mode: must be file or runtime",
        "missing backend         | 'backends: [web, api]' -> 'backends: [web, apl]' | 18 | outputs.edge.backends: no backend named apl",
        "header does not exist   | 'header: ' -> 'header: /nope'          | 16 | outputs.edge.header: no such file: /nope",
        "two reloads             | '{master_socket: /run/haproxy-master.sock}' -> '{master_socket: /m, command: [true]}' | 19 | outputs.edge.reload: needs exactly one",
        "options for a stranger  | 'reload: {master_socket: /run/haproxy-master.sock}' -> 'backend_options: {db: x}' | 19 | outputs.edge.backend_options.db: is not one of this output's backends",
        "runtime without socket  | 'mode: file ' -> 'mode: runtime '      | 14 | outputs.edge.stats_socket: is required in runtime mode",
        "not YAML at all         | 'listen: 127.0.0.1:9333' -> 'listen: [127.0.0.1' | 22 | not valid YAML",
        "bad listen              | '127.0.0.1:9333' -> '127.0.0.1'         | 21 | status.listen: must be HOST:PORT",
        "duplicate key           | '{min: 0s, max: 10s}' -> '{min: 0s, min: 1s}' | 6 | discovery.wait.min: given twice",
        "duplicate backend       | '  api: {tags' -> '  web: {tags'          | 11 | backends.web: given twice",
        "duplicate output        | 'status:' -> '  edge: {type: nginx}\\nstatus:' | 20 | outputs.edge: given twice",
        "duplicate tag key       | '{layer: app}' -> '{layer: app, layer: web}' | 10 | backends.web.tags.layer: given twice",
        "empty tags              | '{tags: {layer: app}, port: 8080}' -> '{tags: {}, port: 8080}' | 10 | backends.web.tags: must name at least one tag",
        "bad output name         | '  edge:' -> '  \"edge\\u0007x\":'         | 13 | an output name is 1 to 63 letters, digits",
        "duration too long       | 'interval: 15s' -> 'interval: 999999999h' | 5 | discovery.interval: must be at most 24h",
        "listen on port 0        | '127.0.0.1:9333' -> '127.0.0.1:0'       | 21 | status.listen: the port must be 1 to 65535",
        "listen everywhere       | '127.0.0.1:9333' -> '0.0.0.0:9333'      | 21 | status.listen: 0.0.0.0 listens on every interface",
        "output over itself      | 'file: /etc/haproxy/haproxy.cfg' -> 'file: muster.yaml' | 17 | outputs.edge.file: would overwrite the configuration file",
        "output over its header  | 'file: /etc/haproxy/haproxy.cfg' -> 'file: haproxy-header.cfg' | 17 | outputs.edge.file: would overwrite outputs.edge.header",
        "output over a state file | 'file: /etc/haproxy/haproxy.cfg' -> 'file: /var/lib/muster/web.state' | 17 | outputs.edge.file: would overwrite the state file of backend web",
        "output is a directory   | 'file: /etc/haproxy/haproxy.cfg' -> 'file: /tmp' | 17 | outputs.edge.file: is a directory",
      })
  void eachMistakeIsReportedWithItsLineAndSetting(
      String what, String change, int line, String message) {
    String[] parts = change.split(" -> ");
    String from = parts[0].strip();
    String to = parts[1].strip();
    from = from.substring(1, from.length() - 1);
    to = to.substring(1, to.length() - 1).replace("\\n", "\n").replace("\\u0007", "\\a");
    String text = example();
    if (from.startsWith("header: ")) {
      text = text.replace("header: " + header, to);
    } else {
      assertTrue(text.contains(from), what + ": the example has no " + from);
      text =
          text.replaceFirst(
              java.util.regex.Pattern.quote(from), java.util.regex.Matcher.quoteReplacement(to));
    }
    String yaml = text;

    ConfigException e = assertThrows(ConfigException.class, () -> read(yaml), what);

    String expected = dir.resolve("muster.yaml") + ":" + line + ": ";
    assertTrue(
        e.problems().stream().anyMatch(p -> p.startsWith(expected) && p.contains(message)),
        what + ": expected '" + expected + "... " + message + "' in " + e.problems());
  }

  @Test
  void anOutputCannotWriteTheConfigurationThroughASymlinkOrItsBackup() throws Exception {
    Path link = dir.resolve("innocent.cfg");
    Files.createSymbolicLink(link, dir.resolve("muster.yaml"));

    assertProblem(
        example().replace("file: /etc/haproxy/haproxy.cfg", "file: " + link),
        "outputs.edge.file: would overwrite the configuration file");
  }

  @Test
  void twoOutputsOnOneFileThroughASymlinkAreRefused() throws Exception {
    Path real = dir.resolve("haproxy.cfg");
    Path link = dir.resolve("alias.cfg");
    Files.writeString(real, "");
    Files.createSymbolicLink(link, real);
    String second =
        example()
            .replace("file: /etc/haproxy/haproxy.cfg", "file: " + real)
            .replace(
                "status:\n",
                "  other:\n    type: haproxy\n    header: "
                    + header
                    + "\n    file: "
                    + link
                    + "\n    backends: [web]\nstatus:\n");

    assertProblem(second, "outputs.other.file: another output writes");
  }

  @Test
  void deepNestingATooLargeFileAndAnEndlessFileAreOneLineEach() throws Exception {
    Path nested = Files.writeString(dir.resolve("nested.yaml"), "a: " + "[".repeat(20_000));
    Path large = Files.writeString(dir.resolve("large.yaml"), "# x\n".repeat(400_000));

    List<String> deep =
        assertThrows(ConfigException.class, () -> ConfigReader.read(nested)).problems();
    assertEquals(1, deep.size(), deep.toString());
    assertTrue(deep.get(0).contains("nested more than"), deep.toString());
    List<String> big =
        assertThrows(ConfigException.class, () -> ConfigReader.read(large)).problems();
    assertEquals(List.of(large + ": larger than 1 MiB: not a configuration file"), big);
    Path zero = Path.of("/dev/zero");
    List<String> endless =
        assertThrows(ConfigException.class, () -> ConfigReader.read(zero)).problems();
    assertEquals(List.of(zero + ": larger than 1 MiB: not a configuration file"), endless);
  }

  @Test
  void everyProblemIsReportedAtOnce() {
    String yaml = example().replace("port: 8080", "port: 0").replace("type: haproxy", "type: x");

    ConfigException e = assertThrows(ConfigException.class, () -> read(yaml));

    assertEquals(2, e.problems().size(), e.problems().toString());
  }

  @Test
  void anEmptyFileOrNotUtf8IsOneLine() throws IOException {
    Path empty = Files.writeString(dir.resolve("empty.yaml"), "");
    Path latin1 = Files.write(dir.resolve("latin1.yaml"), new byte[] {'a', ':', ' ', (byte) 0xe9});

    assertEquals(
        List.of(empty + ": the file is empty"),
        assertThrows(ConfigException.class, () -> ConfigReader.read(empty)).problems());
    assertEquals(
        List.of(latin1 + ": not valid UTF-8"),
        assertThrows(ConfigException.class, () -> ConfigReader.read(latin1)).problems());
  }

  @Test
  void checkPrintsThePlanOrEveryProblemWithExitTwo() throws Exception {
    Path file = Files.writeString(dir.resolve("muster.yaml"), example());
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();

    assertEquals(
        0,
        Main.run(
            new String[] {"check", "--config", file.toString()},
            new PrintWriter(out),
            new PrintWriter(err)));
    assertTrue(
        out.toString().contains("edge: haproxy file mode -> /etc/haproxy/haproxy.cfg"),
        out.toString());

    Files.writeString(file, example().replace("port: 8080", "port: x"));
    StringWriter err2 = new StringWriter();
    assertEquals(
        2,
        Main.run(
            new String[] {"check", "--config", file.toString()},
            new PrintWriter(new StringWriter()),
            new PrintWriter(err2)));
    assertTrue(
        err2.toString().startsWith("muster: " + file + ":10: backends.web.port:"), err2.toString());
  }

  @Test
  void checkShowsTheEventPlan() throws Exception {
    Path file =
        Files.writeString(
            dir.resolve("muster.yaml"),
            example()
                + "events: {queue: https://sqs.us-west-2.amazonaws.com/1/q, lifecycle_hook: h}\n");
    StringWriter out = new StringWriter();

    assertEquals(
        0,
        Main.run(
            new String[] {"check", "--config", file.toString()},
            new PrintWriter(out),
            new PrintWriter(new StringWriter())));

    assertTrue(
        out.toString()
            .contains(
                "events: https://sqs.us-west-2.amazonaws.com/1/q; drains before completing"
                    + " lifecycle hook h (at most 300 s, heartbeat every 60 s)\n"),
        out.toString());
  }

  @Test
  void checkRefusesARegionTheSdkDoesNotKnowWithTheNearestNames() throws Exception {
    Path file =
        Files.writeString(
            dir.resolve("muster.yaml"), example().replace("region: us-west-2", "region: us-est-1"));
    StringWriter err = new StringWriter();
    assertEquals(
        2,
        Main.run(
            new String[] {"check", "--config", file.toString()},
            new PrintWriter(new StringWriter()),
            new PrintWriter(err)));
    assertTrue(
        err.toString().contains("aws.region: unknown region us-est-1; did you mean us-east-1,"),
        err.toString());
  }

  @Test
  void anUnknownOptionIsNamedWithTheNearestRealOne() {
    StringWriter err = new StringWriter();
    assertEquals(
        2,
        Main.run(
            new String[] {"check", "--conifg", "muster.yaml"},
            new PrintWriter(new StringWriter()),
            new PrintWriter(err)));
    assertTrue(
        err.toString().startsWith("muster: unknown option --conifg; did you mean --config?\n"),
        err.toString());
    assertTrue(!err.toString().contains("Missing required"), err.toString());
  }

  @Test
  void logLinesAreStampedUnlessStderrIsTheJournal() {
    assertEquals("true", Logging.settings(false).get("org.slf4j.simpleLogger.showDateTime"));
    assertEquals("false", Logging.settings(true).get("org.slf4j.simpleLogger.showDateTime"));
  }

  @Test
  void versionAndHelpExitZero() {
    StringWriter out = new StringWriter();
    assertEquals(
        0, Main.run(new String[] {"--version"}, new PrintWriter(out), new PrintWriter(out)));
    assertTrue(out.toString().startsWith("muster "), out.toString());
    assertEquals(
        0, Main.run(new String[] {"check", "--help"}, new PrintWriter(out), new PrintWriter(out)));
  }

  @ParameterizedTest
  @org.junit.jupiter.params.provider.ValueSource(
      strings = {"haproxy.yaml", "nginx.yaml", "kamailio.yaml", "voip-edge.yaml"})
  void theShippedSamplesPassTheCheck(String sample) throws Exception {
    Path file = Path.of("samples", sample).toAbsolutePath();
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();

    assertEquals(
        0,
        Main.run(
            new String[] {"check", "--config", file.toString()},
            new PrintWriter(out),
            new PrintWriter(err)),
        err.toString());
    assertTrue(out.toString().startsWith(file + ": OK"), out.toString());
  }
}
