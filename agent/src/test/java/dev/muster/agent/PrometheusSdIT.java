package dev.muster.agent;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.muster.fixtures.Closeables;
import dev.muster.fixtures.ExternalProcess;
import dev.muster.testkit.FakeEc2;
import dev.muster.testkit.FakeInstance;
import java.net.HttpURLConnection;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Debian's Prometheus reads the agent's guarded view through {@code http_sd_configs} instead of
 * polling EC2 itself: three members on loopback become three targets with the labels relabelled
 * from {@code __meta_muster_*}, and a terminated instance leaves Prometheus' target list once the
 * agent publishes its removal. Only loopback: the members are 127.0.x.y (nothing listens there, so
 * each scrape fails at once on this machine).
 */
class PrometheusSdIT {
  @TempDir Path dir;
  private FakeEc2 ec2;
  private Process muster;
  private Process prometheus;

  @AfterEach
  void stop() {
    Closeables.closeAll(
        () -> {
          if (prometheus != null) {
            prometheus.destroy();
            prometheus.waitFor(20, TimeUnit.SECONDS);
            prometheus.destroyForcibly();
          }
        },
        () -> {
          if (muster != null) {
            muster.destroyForcibly().waitFor(20, TimeUnit.SECONDS);
          }
        },
        () -> {
          if (ec2 != null) {
            ec2.close();
          }
        });
  }

  @Test
  void prometheusFollowsTheGuardedViewThroughHttpSd() throws Exception {
    ec2 = FakeEc2.start();
    List<FakeInstance> web =
        ec2.fleet().launch(3, spec -> spec.tag("layer", "app").tag("team", "checkout"));
    ec2.fleet().launch(1, spec -> spec.tag("layer", "db"));
    int status = ExternalProcess.freeTcpPort();
    Files.writeString(dir.resolve("page.ftl"), "<#list backends.web as m>${m.hostPort}\n</#list>");
    Path config =
        Files.writeString(
            dir.resolve("muster.yaml"),
            """
            aws: {region: us-east-1, endpoint: "ENDPOINT"}
            discovery: {interval: 1s, state_dir: STATE}
            backends:
              web: {tags: {layer: app}, port: 8080}
            outputs:
              page: {type: template, template: page.ftl, file: page.txt, backends: [web]}
            status: {listen: "127.0.0.1:PORT", sd_tags: [team]}
            """
                .replace("ENDPOINT", ec2.endpoint().toString())
                .replace("STATE", dir.toString())
                .replace("PORT", Integer.toString(status)));
    muster = MusterProcess.run(config, dir.resolve("muster.log"));

    int port = ExternalProcess.freeTcpPort();
    Files.writeString(
        dir.resolve("prometheus.yml"),
        """
        global: {scrape_interval: 1h}
        scrape_configs:
          - job_name: web
            http_sd_configs:
              - url: http://127.0.0.1:STATUS/sd/prometheus?backend=web
                refresh_interval: 1s
            relabel_configs:
              - {source_labels: [__meta_muster_zone], target_label: zone}
              - {source_labels: [__meta_muster_instance_id], target_label: instance_id}
              - {source_labels: [__meta_muster_tag_team], target_label: team}
              - {source_labels: [__meta_muster_backend], target_label: backend}
        """
            .replace("STATUS", Integer.toString(status)));
    prometheus =
        new ProcessBuilder(
                "prometheus",
                "--config.file=" + dir.resolve("prometheus.yml"),
                "--storage.tsdb.path=" + dir.resolve("data"),
                "--web.listen-address=127.0.0.1:" + port)
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve("prometheus.log").toFile())
            .start();

    String targets =
        awaitTargets(port, t -> count(t, "\"health\"") == 3, "three targets from the agent");
    for (FakeInstance instance : web) {
      assertTrue(targets.contains("\"instance_id\":\"" + instance.instanceId() + "\""), targets);
      assertTrue(targets.contains("\"instance\":\"" + instance.privateIp() + ":8080\""), targets);
      assertTrue(instance.privateIp().startsWith("127."), instance.privateIp());
    }
    assertTrue(targets.contains("\"zone\":\"us-east-1a\""), targets);
    assertTrue(targets.contains("\"team\":\"checkout\""), targets);
    assertTrue(targets.contains("\"backend\":\"web\""), targets);
    assertTrue(targets.contains("\"__meta_muster_region\":\"us-east-1\""), targets);

    ec2.fleet().terminate(web.get(0).instanceId());
    targets = awaitTargets(port, t -> count(t, "\"health\"") == 2, "the terminated one to leave");
    assertTrue(!targets.contains(web.get(0).instanceId()), targets);
  }

  private String awaitTargets(int port, Predicate<String> done, String what) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    String last = "";
    while (System.nanoTime() < deadline) {
      assertTrue(prometheus.isAlive(), "prometheus ended: " + log("prometheus.log"));
      assertTrue(muster.isAlive(), "muster ended: " + log("muster.log"));
      last = get(port, "/api/v1/targets?state=active");
      if (done.test(last)) {
        return last;
      }
      Thread.sleep(200);
    }
    throw new AssertionError("waited 60 s for " + what + ": " + last + "\n" + log("muster.log"));
  }

  private static int count(String text, String what) {
    return text.split(java.util.regex.Pattern.quote(what), -1).length - 1;
  }

  private String log(String name) {
    try {
      return Files.readString(dir.resolve(name));
    } catch (Exception e) {
      return e.toString();
    }
  }

  private static String get(int port, String path) {
    try {
      HttpURLConnection c =
          (HttpURLConnection)
              URI.create("http://127.0.0.1:" + port + path).toURL().openConnection();
      c.setConnectTimeout(2000);
      c.setReadTimeout(5000);
      if (c.getResponseCode() != 200) {
        return "";
      }
      return new String(c.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    } catch (java.io.IOException e) {
      return "";
    }
  }
}
