package dev.muster.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.muster.testkit.FakeEc2;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.NetworkInterface;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * A template output: keepalived's {@code unicast_peer} list from a backend of proxies, as in the
 * HAProxy + keepalived pair of the seed articles, checked by the real {@code keepalived -t}.
 */
@ExtendWith(TestCredentials.class)
class TemplateOutputTest {
  /** Printable, so EC2 validation keeps it: it must not end the list or open a block. */
  private static final String HOSTILE = "x } virtual_ipaddress { 203.0.113.66 } # \"'";

  @TempDir Path dir;
  private FakeEc2 ec2;
  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();

  @BeforeEach
  void start() {
    ec2 = FakeEc2.start();
    ec2.fleet()
        .launch(
            2,
            spec ->
                spec.privateIps("10.0.5.11", "10.0.5.12")
                    .tag("role", "proxy")
                    .tag("Name", HOSTILE));
  }

  @AfterEach
  void stop() {
    ec2.close();
  }

  /** keepalived refuses VRRP on loopback, so the instance names the host's first other one. */
  private static String networkInterface() throws Exception {
    return NetworkInterface.networkInterfaces()
        .filter(i -> !i.getName().equals("lo"))
        .map(NetworkInterface::getName)
        .findFirst()
        .orElseThrow(() -> new AssertionError("keepalived -t needs a non-loopback interface"));
  }

  private Path config(String template) throws Exception {
    Files.writeString(dir.resolve("keepalived.conf.ftl"), template);
    return Files.writeString(
        dir.resolve("muster.yaml"),
        """
        aws: {region: us-east-1, endpoint: ENDPOINT}
        backends:
          proxies: {tags: {role: proxy}, port: 80}
        outputs:
          pair:
            type: template
            template: keepalived.conf.ftl
            file: keepalived.conf
            backends: [proxies]
            validate: [keepalived, -t, -f, "{file}"]
            reload: {command: ["true"]}
        """
            .replace("ENDPOINT", ec2.endpoint().toString()));
  }

  private static final String KEEPALIVED =
      """
      vrrp_instance VI_1 {
          state BACKUP
          interface IFACE
          virtual_router_id 51
          priority 100
          unicast_peer {
      <#list backend["proxies"].members as m>
              ${m.address}    # ${m.tags.Name!""}
      </#list>
          }
          virtual_ipaddress {
              192.0.2.10
          }
      }
      """;

  private int muster(String... args) {
    return Main.run(args, new PrintWriter(out), new PrintWriter(err));
  }

  @Test
  void rendersThePeerListAndKeepalivedAcceptsIt() throws Exception {
    Path config = config(KEEPALIVED.replace("IFACE", networkInterface()));

    assertEquals(0, muster("once", "--config", config.toString()), err.toString());

    String conf = Files.readString(dir.resolve("keepalived.conf"));
    assertTrue(
        conf.contains("        10.0.5.11    # x___virtual_ipaddress___203.0.113.66_______\n"),
        conf);
    assertTrue(conf.contains("        10.0.5.12 "), conf);
    assertFalse(conf.contains("203.0.113.66 }"), "a tag never opens a block: " + conf);
  }

  /** A template that needs a tag one member lacks: that member is left out, never the file. */
  @Test
  void aMemberTheTemplateCannotRenderIsLeftOutAndTheRestWritten() throws Exception {
    ec2.fleet().launch(1, spec -> spec.privateIps("10.0.5.13").tag("role", "proxy"));
    Path config =
        config(KEEPALIVED.replace("IFACE", networkInterface()).replace("Name!\"\"", "Name"));

    assertEquals(0, muster("once", "--config", config.toString()), err.toString());

    String conf = Files.readString(dir.resolve("keepalived.conf"));
    assertTrue(conf.contains("        10.0.5.11 "), conf);
    assertTrue(conf.contains("        10.0.5.12 "), conf);
    assertFalse(conf.contains("10.0.5.13"), "the member without a Name tag: " + conf);
  }

  @Test
  void aCandidateKeepalivedRefusesIsNotWritten() throws Exception {
    Path config =
        config(
            KEEPALIVED
                .replace("IFACE", networkInterface())
                .replace("priority 100", "priorityy 100"));

    assertEquals(3, muster("once", "--config", config.toString()));

    assertTrue(err.toString().contains("output pair: "), err.toString());
    assertTrue(err.toString().contains("keepalived"), err.toString());
    assertTrue(Files.notExists(dir.resolve("keepalived.conf")));
  }

  @Test
  void checkParsesTheTemplateAndNamesTheLineOfASyntaxError() throws Exception {
    Path config = config(KEEPALIVED.replace("</#list>", "</#lisst>"));

    assertEquals(2, muster("check", "--config", config.toString()));

    assertTrue(err.toString().contains("keepalived.conf.ftl"), err.toString());
    assertTrue(err.toString().contains("line 9"), err.toString());
  }
}
