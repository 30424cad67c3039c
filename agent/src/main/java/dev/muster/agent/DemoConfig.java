package dev.muster.agent;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The files of {@code muster demo}: muster.yaml (an ordinary agent configuration, pointed at the
 * stand-ins) and each installed proxy's own configuration around what Muster writes, with ports
 * chosen free on 127.0.0.1.
 */
final class DemoConfig {
  private final Path dir;
  private final List<String> proxies;
  private final int statusPort = DemoStage.freePort();
  private final int haproxyPort = DemoStage.freePort();
  private final int nginxPort = DemoStage.freePort();
  private final int rpcPort = DemoStage.freePort();
  private final int sipPort = DemoStage.freePort();

  private DemoConfig(Path dir, List<String> proxies) {
    this.dir = dir;
    this.proxies = List.copyOf(proxies);
  }

  /** Writes muster.yaml and the proxies' files for {@code proxies} into the stage's folder. */
  static DemoConfig write(DemoStage stage, List<String> proxies) throws IOException {
    DemoConfig c = new DemoConfig(stage.dir, proxies);
    StringBuilder yaml =
        new StringBuilder(
            """
            # Written by muster demo: an ordinary configuration, pointed at local stand-ins.
            aws:
              region: us-east-1
              zone: us-east-1a
              endpoint: EC2
              endpoints: {sqs: SQS, autoscaling: ASG}
            discovery:
              interval: 5s
              wait: {min: 0s, max: 2s}
              state_dir: DIR/state
            events:
              queue: QUEUE
              lifecycle_hook: HOOK
              drain_timeout: 10s
              heartbeat_interval: 5s
            status: {listen: "127.0.0.1:STATUS"}
            backends:
              web: {asg: web-asg, port: 8080}
            """
                .replace("EC2", stage.ec2.endpoint().toString())
                .replace("SQS", stage.sqs.endpoint().toString())
                .replace("ASG", stage.autoscaling.endpoint().toString())
                .replace("QUEUE", stage.queue)
                .replace("HOOK", DemoStage.HOOK)
                .replace("DIR", c.dir.toString())
                .replace("STATUS", Integer.toString(c.statusPort)));
    if (proxies.contains("kamailio")) {
      yaml.append("  sip: {tags: {role: sip}, port: 5060}\n");
    }
    yaml.append("outputs:\n");
    if (proxies.contains("haproxy")) {
      c.haproxy(yaml);
    }
    if (proxies.contains("nginx")) {
      c.nginx(yaml);
    }
    if (proxies.contains("kamailio")) {
      c.kamailio(yaml);
    }
    if (proxies.isEmpty()) {
      Files.writeString(
          c.dir.resolve("members.ftl"), "<#list backends.web as m>${m.hostPort}\n</#list>");
      yaml.append(
          "  members: {type: template, template: members.ftl, file: members.txt, backends: [web]}\n");
    }
    Files.writeString(c.file(), yaml);
    return c;
  }

  Path file() {
    return dir.resolve("muster.yaml");
  }

  String statusUrl() {
    return "http://127.0.0.1:" + statusPort;
  }

  /** The URLs whose answers name the instance that served them: one per HTTP proxy. */
  List<String> urls() {
    List<String> out = new ArrayList<>();
    if (proxies.contains("haproxy")) {
      out.add("http://127.0.0.1:" + haproxyPort + "/");
    }
    if (proxies.contains("nginx")) {
      out.add("http://127.0.0.1:" + nginxPort + "/");
    }
    return out;
  }

  /** Whether Kamailio's dispatcher list (if Kamailio is in the demo) has {@code count} lines. */
  boolean dispatcherHolds(int count) {
    if (!proxies.contains("kamailio")) {
      return true;
    }
    try {
      Path list = dir.resolve("dispatcher.list");
      return Files.exists(list)
          && Files.readAllLines(list).stream().filter(l -> l.startsWith("1 sip:")).count() == count;
    } catch (IOException e) {
      return false;
    }
  }

  private void haproxy(StringBuilder yaml) throws IOException {
    Files.writeString(
        dir.resolve("haproxy-header.cfg"),
        """
        global
            stats socket DIR/admin.sock mode 600 level admin
            hard-stop-after 10s
        defaults
            mode http
            timeout connect 2s
            timeout client 10s
            timeout server 10s
            option idle-close-on-response
        frontend www
            bind 127.0.0.1:PORT
            default_backend web
        """
            .replace("DIR", dir.toString())
            .replace("PORT", Integer.toString(haproxyPort)));
    yaml.append(
        """
          edge:
            type: haproxy
            mode: runtime
            header: haproxy-header.cfg
            file: haproxy.cfg
            stats_socket: admin.sock
            backends: [web]
            reload: {master_socket: haproxy-master.sock}
            server_options: check inter 1s fall 2 rise 1
            drain_timeout: 10s
        """);
  }

  /** nginx without reloads (Muster's Lua balancer) where the Lua module is installed. */
  private boolean dynamicNginx() {
    return NginxOutputReader.LUA_MODULES.stream().anyMatch(Files::exists);
  }

  private void nginx(StringBuilder yaml) throws IOException {
    Path module =
        NginxOutputReader.LUA_MODULES.stream().filter(Files::exists).findFirst().orElse(null);
    String modules =
        module == null
            ? ""
            : "load_module %s;\nload_module %s;\n"
                .formatted(module.resolveSibling("ndk_http_module.so"), module);
    Files.writeString(
        dir.resolve("nginx.conf"),
        modules
            + """
        pid %1$s/nginx.pid;
        error_log %1$s/nginx-error.log warn;
        worker_processes 1;
        events { worker_connections 256; }
        http {
            access_log off;
            client_body_temp_path %1$s/nginx-body;
            proxy_temp_path %1$s/nginx-proxy;
            include %1$s/upstreams.conf;
            server {
                listen 127.0.0.1:%2$d;
                location / {
                    proxy_pass http://web;
                    proxy_http_version 1.1;
                    proxy_set_header Connection "";
                }
            }
        }
        """
                .formatted(dir, nginxPort));
    yaml.append(
        """
          upstreams:
            type: nginx
            MODE
            file: upstreams.conf
            main_config: nginx.conf
            backends: [web]
            backend_options: {web: "    keepalive 8;"}
            HEALTH
        """
            .replace(
                "HEALTH",
                dynamicNginx()
                    ? "health: {web: {path: /, interval: 1s, timeout: 500ms, rise: 1, fall: 2}}"
                    : "")
            .replace(
                "MODE",
                dynamicNginx()
                    ? "mode: dynamic                 # Muster's Lua balancer: no reloads"
                    : "mode: file                    # nginx's Lua module is not installed"));
  }

  /** How the demo's nginx takes changes, for the narration. */
  String nginxMode() {
    return dynamicNginx() ? "dynamic mode, no reloads" : "file mode, a reload per change";
  }

  private void kamailio(StringBuilder yaml) throws IOException {
    String sample = dev.muster.kamailio.Kamailio.sampleConfig();
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
            .replace("children=4", "children=1")
            .replace("tcp_children=2", "tcp_children=1"));
    yaml.append(
        """
          dispatcher:
            type: kamailio
            file: dispatcher.list
            backends: [sip]
            sets: {sip: 1}
            rpc: http://127.0.0.1:RPC_PORT/RPC
        """
            .replace("RPC_PORT", Integer.toString(rpcPort)));
  }

  /** Starts each proxy once the agent wrote its first file (at most 30 s each). */
  void startProxies(DemoStage stage) throws Exception {
    if (proxies.contains("haproxy") && awaitFile("haproxy.cfg")) {
      stage.start(
          List.of(
              "haproxy",
              "-W",
              "-S",
              dir.resolve("haproxy-master.sock").toString(),
              "-f",
              dir.resolve("haproxy.cfg").toString()),
          "haproxy.log");
    }
    if (proxies.contains("nginx") && awaitFile("upstreams.conf")) {
      stage.start(
          List.of("nginx", "-c", dir.resolve("nginx.conf").toString(), "-g", "daemon off;"),
          "nginx.log");
    }
    if (proxies.contains("kamailio") && awaitFile("dispatcher.list")) {
      stage.start(
          List.of(
              "kamailio",
              "-f",
              dir.resolve("kamailio.cfg").toString(),
              "-DD",
              "-E",
              "-P",
              dir.resolve("kamailio.pid").toString(),
              "-Y",
              dir.toString(),
              "-m",
              "64",
              "-M",
              "16"),
          "kamailio.log");
    }
  }

  private boolean awaitFile(String name) throws InterruptedException {
    try {
      return DemoStage.await(Duration.ofSeconds(30), () -> Files.exists(dir.resolve(name)));
    } catch (UncheckedIOException e) {
      return false;
    }
  }
}
