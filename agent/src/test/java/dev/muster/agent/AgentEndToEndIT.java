package dev.muster.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.muster.fixtures.ExternalProcess;
import dev.muster.fixtures.HttpBackend;
import dev.muster.fixtures.HttpFleet;
import dev.muster.fixtures.LoadClient;
import dev.muster.fixtures.Proxies;
import dev.muster.fixtures.ProxyConfigs;
import dev.muster.testkit.FakeEc2;
import java.net.HttpURLConnection;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One agent process, one config file, three real proxies: HAProxy in runtime mode with two
 * backends, nginx with one upstream, Kamailio with two dispatcher sets, all fed from the test kit's
 * EC2 through the real SDK while the fleet changes. After each change every proxy serves exactly
 * the right members (read from the proxy itself: HAProxy's stats socket, nginx's answers,
 * Kamailio's dispatcher.list over RPC); a keep-alive load through HAProxy sees no failed request; a
 * SIGHUP that adds a backend takes effect without a restart.
 */
class AgentEndToEndIT {
  private static final Duration PATIENCE = Duration.ofSeconds(60);

  @TempDir Path dir;

  private FakeEc2 ec2;
  private HttpFleet web;
  private HttpFleet api;
  private HttpFleet admin;
  private Process muster;
  private final List<ExternalProcess> proxies = new ArrayList<>();
  private int haproxyPort;
  private int nginxPort;
  private int rpcPort;
  private int statusPort;

  @AfterEach
  void stop() {
    if (muster != null) {
      muster.destroyForcibly();
    }
    proxies.forEach(ExternalProcess::close);
    for (AutoCloseable c : new AutoCloseable[] {web, api, admin, ec2}) {
      try {
        if (c != null) {
          c.close();
        }
      } catch (Exception e) {
        // best effort
      }
    }
  }

  @Test
  void oneAgentKeepsHaproxyNginxAndKamailioInStepWithNoFailedRequest() throws Exception {
    ec2 = FakeEc2.start();
    web = HttpFleet.start(ec2, "web", 3, 20);
    api = HttpFleet.start(ec2, "api", 2, 30);
    admin = HttpFleet.start(ec2, "admin", 1, 35);
    web.launch(web.server(0));
    web.launch(web.server(1));
    api.launch(api.server(0));
    String acd0 = sip("acd", "127.0.0.70");
    sip("acd", "127.0.0.71");
    sip("ivr", "127.0.0.72");
    writeFiles();
    Path config = writeConfig("web, api");

    startMuster(config);
    awaitTrue(
        () ->
            Files.exists(dir.resolve("haproxy.cfg"))
                && Files.exists(dir.resolve("upstreams.conf"))
                && Files.exists(dir.resolve("dispatcher.list")),
        "the first files, written before any proxy runs");
    startProxies();

    awaitEquals(hostPorts(web, 0, 1), () -> haproxyUp("web"), "HAProxy web");
    awaitEquals(hostPorts(api, 0), () -> haproxyUp("api"), "HAProxy api");
    awaitEquals(names(web, 0, 1), this::nginxAnswers, "nginx upstream web");
    awaitEquals(
        Map.of(1, Set.of("127.0.0.70:5060", "127.0.0.71:5060"), 2, Set.of("127.0.0.72:5060")),
        this::kamailioSets,
        "Kamailio sets");

    try (LoadClient load =
        LoadClient.start(
            "127.0.0.1",
            haproxyPort,
            LoadClient.Mode.KEEP_ALIVE,
            "/",
            4,
            1_000_000,
            Duration.ofSeconds(150))) {
      // Scale out, then in: each proxy follows, the load sees no failure.
      web.launch(web.server(2));
      api.launch(api.server(1));
      awaitEquals(hostPorts(web, 0, 1, 2), () -> haproxyUp("web"), "HAProxy web after +1");
      awaitEquals(hostPorts(api, 0, 1), () -> haproxyUp("api"), "HAProxy api after +1");
      awaitEquals(names(web, 0, 1, 2), this::nginxAnswers, "nginx after +1");

      ec2.fleet().terminate(web.instanceOf(web.server(0)));
      awaitEquals(hostPorts(web, 1, 2), () -> haproxyUp("web"), "HAProxy web after -1");
      awaitEquals(names(web, 1, 2), this::nginxAnswers, "nginx after -1");

      ec2.fleet().terminate(acd0);
      sip("acd", "127.0.0.73");
      sip("ivr", "127.0.0.74");
      awaitEquals(
          Map.of(
              1,
              Set.of("127.0.0.71:5060", "127.0.0.73:5060"),
              2,
              Set.of("127.0.0.72:5060", "127.0.0.74:5060")),
          this::kamailioSets,
          "Kamailio sets after the change");

      // What it cost: every request the agent sent to EC2, against the fetches its loops made.
      String metrics = get("/metrics");
      double requests = sum(metrics, "muster_aws_requests_total{");
      double fetches = sum(metrics, "muster_fetches_total{");
      System.out.printf(
          "Agent end to end: %.0f EC2 requests for %.0f backend fetches (4 backends, 4 queries; departures looked up)%n",
          requests, fetches);
      assertTrue(requests > 0 && fetches > 0, metrics);

      // SIGHUP with a third HAProxy backend: no restart, the process stays the same.
      admin.launch(admin.server(0));
      long pid = muster.pid();
      writeConfig("web, api, admin");
      signal("HUP");
      awaitEquals(hostPorts(admin, 0), () -> haproxyUp("admin"), "the backend SIGHUP added");
      assertTrue(muster.isAlive());
      assertEquals(pid, muster.pid());
      awaitEquals(hostPorts(web, 1, 2), () -> haproxyUp("web"), "HAProxy web after SIGHUP");

      // muster render: what runtime mode would change, read from the live HAProxy: nothing.
      Process render =
          MusterProcess.start(dir.resolve("render.log"), "render", "--config", config.toString());
      assertTrue(render.waitFor(60, TimeUnit.SECONDS), "render ends by itself");
      String plan = Files.readString(dir.resolve("render.log"));
      assertTrue(plan.contains("web: 2 of 2 server(s) stay as they are"), plan);
      assertTrue(plan.contains("admin: 1 of 1 server(s) stay as they are"), plan);

      load.stop();
      load.awaitCompletion();
      System.out.printf(
          "Agent end to end: HAProxy runtime mode under keep-alive load: %d ok, %d failed%n",
          load.ok(), load.failed());
      assertTrue(load.ok() > 100, load.toString());
      assertEquals(0, load.failed(), load.failures().toString());
    }

    signal("TERM");
    assertTrue(muster.waitFor(30, TimeUnit.SECONDS));
    assertEquals(0, muster.exitValue(), log());
  }

  /** Launches an instance tagged {@code role} at {@code address}, as a SIP server. */
  private String sip(String role, String address) {
    return ec2.fleet()
        .launch(1, spec -> spec.privateIps(address).tag("role", role))
        .get(0)
        .instanceId();
  }

  private void writeFiles() throws Exception {
    haproxyPort = ExternalProcess.freeTcpPort();
    nginxPort = ExternalProcess.freeTcpPort();
    rpcPort = ExternalProcess.freeTcpPort();
    statusPort = ExternalProcess.freeTcpPort();
    Files.writeString(
        dir.resolve("haproxy-header.cfg"),
        ProxyConfigs.haproxyHeader(haproxyPort, dir.resolve("admin.sock")));
    Files.writeString(
        dir.resolve("nginx.conf"),
        ProxyConfigs.nginxMain(dir, nginxPort, dir.resolve("upstreams.conf").toString()));
    int sipPort = ExternalProcess.freeUdpPort("127.0.0.1");
    String sample =
        Files.readString(
            Path.of("../renderer-kamailio/src/main/resources/dev/muster/kamailio/kamailio.cfg"));
    Files.writeString(
        dir.resolve("kamailio.cfg"),
        sample
            .replace(
                "!MUSTER_SIP_ADDR!127.0.0.1:5070!", "!MUSTER_SIP_ADDR!127.0.0.1:" + sipPort + "!")
            .replace(
                "!MUSTER_RPC_ADDR!127.0.0.1:5071!", "!MUSTER_RPC_ADDR!127.0.0.1:" + rpcPort + "!")
            .replace(
                "!MUSTER_LIST!/etc/kamailio/dispatcher.list!",
                "!MUSTER_LIST!" + dir.resolve("dispatcher.list") + "!")
            .replace("!MUSTER_RELOAD_DELTA!5!", "!MUSTER_RELOAD_DELTA!1!")
            .replace("children=4", "children=2"));
  }

  private Path writeConfig(String edgeBackends) throws Exception {
    return Files.writeString(
        dir.resolve("muster.yaml"),
        """
        aws: {region: us-east-1, endpoint: ENDPOINT}
        discovery:
          interval: 1s
          wait: {min: 0s, max: 2s}
          state_dir: state
        backends:
          web: {tags: {role: web}, port: 80}
          api: {tags: {role: api}, port: 80}
          admin: {tags: {role: admin}, port: 80}
          acd: {tags: {role: acd}, port: 5060}
          ivr: {tags: {role: ivr}, port: 5060}
        outputs:
          edge:
            type: haproxy
            mode: runtime
            header: haproxy-header.cfg
            file: haproxy.cfg
            stats_socket: admin.sock
            backends: [EDGE]
            reload: {master_socket: master.sock}
            server_options: check inter 200ms fall 2 rise 1
            backend_options: {web: "    option httpchk GET /health"}
            drain_timeout: 10s
            warmup_timeout: 5s
          site:
            type: nginx
            file: upstreams.conf
            main_config: nginx.conf
            backends: [web]
          sip:
            type: kamailio
            file: dispatcher.list
            rpc: http://127.0.0.1:RPCPORT/RPC
            backends: [acd, ivr]
            sets: {acd: 1, ivr: 2}
        status: {listen: "127.0.0.1:STATUS"}
        """
            .replace("ENDPOINT", ec2.endpoint().toString())
            .replace("EDGE", edgeBackends)
            .replace("RPCPORT", Integer.toString(rpcPort))
            .replace("STATUS", Integer.toString(statusPort)));
  }

  private void startMuster(Path config) throws Exception {
    Files.createDirectories(dir.resolve("state"));
    muster = MusterProcess.run(config, dir.resolve("muster.log"));
  }

  private void startProxies() throws Exception {
    proxies.add(
        Proxies.haproxy(dir.resolve("haproxy.cfg"), dir.resolve("master.sock"), haproxyPort));
    proxies.add(Proxies.nginx(dir.resolve("nginx.conf"), nginxPort));
    proxies.add(Proxies.kamailio(dir.resolve("kamailio.cfg"), dir, rpcPort));
  }

  private static Set<String> hostPorts(HttpFleet fleet, int... servers) {
    Set<String> out = new TreeSet<>();
    for (int i : servers) {
      HttpBackend s = fleet.server(i);
      out.add(s.address() + ":" + s.port());
    }
    return out;
  }

  private static Set<String> names(HttpFleet fleet, int... servers) {
    Set<String> out = new TreeSet<>();
    for (int i : servers) {
      out.add(fleet.server(i).name());
    }
    return out;
  }

  private Set<String> haproxyUp(String backend) {
    return HaproxyStats.up(dir.resolve("admin.sock"), backend);
  }

  /** Which web servers answer through nginx: enough requests, each on a new connection. */
  private Set<String> nginxAnswers() {
    Set<String> names = new TreeSet<>();
    for (int i = 0; i < 12; i++) {
      try {
        HttpURLConnection c =
            (HttpURLConnection)
                URI.create("http://127.0.0.1:" + nginxPort + "/").toURL().openConnection();
        c.setRequestProperty("Connection", "close");
        c.setConnectTimeout(2000);
        c.setReadTimeout(2000);
        if (c.getResponseCode() == 200) {
          names.add(new String(c.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip());
        } else {
          names.add("HTTP " + c.getResponseCode());
        }
      } catch (Exception e) {
        names.add(e.toString());
      }
    }
    return names;
  }

  /** Kamailio's loaded destinations per set, from dispatcher.list over JSON-RPC. */
  private Map<Integer, Set<String>> kamailioSets() {
    try {
      HttpURLConnection c =
          (HttpURLConnection)
              URI.create("http://127.0.0.1:" + rpcPort + "/RPC").toURL().openConnection();
      c.setDoOutput(true);
      c.setConnectTimeout(2000);
      c.setReadTimeout(2000);
      c.setRequestProperty("Content-Type", "application/json");
      c.getOutputStream()
          .write(
              "{\"jsonrpc\":\"2.0\",\"method\":\"dispatcher.list\",\"id\":1}"
                  .getBytes(StandardCharsets.UTF_8));
      String json = new String(c.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      Map<Integer, Set<String>> sets = new TreeMap<>();
      // Each set: "SET": { "ID": n, "TARGETS": [ { "DEST": { "URI": "sip:a:p", ...
      for (String chunk : json.split("\"SET\"")) {
        Matcher id = Pattern.compile("\"ID\"\\s*:\\s*(\\d+)").matcher(chunk);
        if (!id.find()) {
          continue;
        }
        Set<String> uris = new TreeSet<>();
        Matcher uri = Pattern.compile("\"URI\"\\s*:\\s*\"sip:([^\"]+)\"").matcher(chunk);
        while (uri.find()) {
          uris.add(uri.group(1));
        }
        sets.put(Integer.parseInt(id.group(1)), uris);
      }
      return sets;
    } catch (Exception e) {
      return Map.of(-1, Set.of(e.toString()));
    }
  }

  private String get(String path) {
    try {
      HttpURLConnection c =
          (HttpURLConnection)
              URI.create("http://127.0.0.1:" + statusPort + path).toURL().openConnection();
      c.setConnectTimeout(2000);
      c.setReadTimeout(2000);
      return new String(c.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    } catch (Exception e) {
      return e.toString();
    }
  }

  /** The sum of the samples whose name and labels start with {@code prefix}. */
  private static double sum(String metrics, String prefix) {
    return metrics
        .lines()
        .filter(l -> l.startsWith(prefix))
        .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1)))
        .sum();
  }

  private void signal(String name) throws Exception {
    assertTrue(MusterProcess.signal(muster, name));
  }

  private <T> void awaitEquals(T expected, Supplier<T> actual, String what) throws Exception {
    long deadline = System.nanoTime() + PATIENCE.toNanos();
    T last = actual.get();
    while (!expected.equals(last)) {
      assertTrue(muster.isAlive(), "muster ended early: " + log());
      assertTrue(
          System.nanoTime() < deadline,
          "waited "
              + PATIENCE.toSeconds()
              + " s for "
              + what
              + ": expected "
              + expected
              + ", have "
              + last
              + "\n"
              + log());
      Thread.sleep(100);
      last = actual.get();
    }
  }

  private void awaitTrue(Supplier<Boolean> condition, String what) throws Exception {
    awaitEquals(true, condition, what);
  }

  private String log() {
    try {
      // Kept whole next to the build's reports, since the temporary directory goes.
      Files.copy(
          dir.resolve("muster.log"),
          Path.of("target", "agent-end-to-end-muster.log"),
          java.nio.file.StandardCopyOption.REPLACE_EXISTING);
      String text = Files.readString(dir.resolve("muster.log"));
      return text.length() > 20_000 ? text.substring(text.length() - 20_000) : text;
    } catch (Exception e) {
      return e.toString();
    }
  }
}
