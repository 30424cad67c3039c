package dev.muster.haproxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.muster.discovery.Member;
import dev.muster.discovery.RenderException;
import dev.muster.discovery.Renderer;
import dev.muster.discovery.Snapshot;
import dev.muster.discovery.TemplateRenderer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HaproxyConfigTest {
  private static final Instant T = Instant.parse("2026-01-01T00:00:00Z");
  static final String HEADER =
      """
      global
          log stderr format raw local0 err
      defaults
          mode http
          timeout connect 2s
          timeout client 10s
          timeout server 10s
      frontend fe
          bind 127.0.0.1:18081
          default_backend web
      """;

  private static Member member(String id, String address, int port, Map<String, String> tags) {
    return Member.newBuilder(id).address(address).port(port).weight(50).tags(tags).build();
  }

  @Test
  void rendersOneServerLinePerMember() {
    Renderer r =
        HaproxyConfig.newBuilder()
            .headerText(HEADER)
            .backendOptions("web", "    balance roundrobin")
            .build();

    String cfg =
        r.render(
            Map.of(
                "web",
                Snapshot.of(
                    List.of(
                        member("i-2", "10.0.0.2", 8080, Map.of("muster:maxconn", "64")),
                        member("i-1", "2600::1", 8081, Map.of())),
                    T)));

    assertTrue(cfg.startsWith(HEADER));
    assertTrue(
        cfg.endsWith(
            """
        backend web
            balance roundrobin
            server i-1 [2600::1]:8081 id 723080783 weight 50 check inter 5s fall 3
            server i-2 10.0.0.2:8080 id 723080348 weight 50 maxconn 64 check inter 5s fall 3
        """),
        cfg);
  }

  @Test
  void nonNumericMaxconnTagIsIgnored() {
    String cfg =
        HaproxyConfig.newBuilder()
            .headerText("")
            .build()
            .render(
                Map.of(
                    "web",
                    Snapshot.of(
                        List.of(
                            member("i-1", "10.0.0.1", 80, Map.of("muster:maxconn", "10 backup"))),
                        T)));

    assertTrue(
        cfg.contains("server i-1 10.0.0.1:80 id 723080783 weight 50 check inter 5s fall 3\n"), cfg);
  }

  @Test
  void defaultOutputPassesHaproxyCheck(@TempDir Path dir) throws IOException {
    String cfg =
        HaproxyConfig.newBuilder()
            .headerText(HEADER)
            .build()
            .render(
                Map.of("web", Snapshot.of(List.of(member("i-1", "127.0.0.1", 8080, Map.of())), T)));
    Path file = dir.resolve("haproxy.cfg");
    Files.writeString(file, cfg);

    Haproxy.validator().validate(file);
  }

  @Test
  void hostileTagValuesProduceNoExtraLineEvenInAUserTemplate(@TempDir Path dir) throws IOException {
    // A user template that writes a tag value into a directive: the escaper makes it one word.
    Path template = dir.resolve("custom.ftl");
    Files.writeString(
        template,
        """
        ${header?no_esc}
        <#list backends as b>
        backend ${b.safeName}
        <#list b.members as m>
            server ${m.name} ${m.hostPort} weight ${m.weight} # note ${m.tags.note!""}
            http-request set-header X-Owner ${m.tags.owner!"none"} if { always_true }
        </#list>
        </#list>
        """);
    List<String> corpus = HostileCorpus.VALUES;
    String cfg = renderCorpus(template, "note", "owner");
    Path file = dir.resolve("haproxy.cfg");
    Files.writeString(file, cfg);

    long serverLines = cfg.lines().filter(l -> l.strip().startsWith("server ")).count();
    long headerLines = cfg.lines().filter(l -> l.strip().startsWith("http-request")).count();
    assertEquals(corpus.size(), serverLines);
    assertEquals(corpus.size(), headerLines);
    assertEquals(HEADER.lines().count() + 1 + 2L * corpus.size() + 1, cfg.lines().count(), cfg);
    Haproxy.validator().validate(file);
  }

  @Test
  void theReadmesTemplateExampleTurnsEveryHostileNameIntoOneServerAndPassesHaproxyCheck(
      @TempDir Path dir) throws Exception {
    String readme = Files.readString(Path.of("..", "docs", "haproxy.md"));
    int start = readme.indexOf("<#-- README example: haproxy -->");
    assertTrue(start > 0, "the README has the example");
    Path template = dir.resolve("readme.ftl");
    Files.writeString(template, readme.substring(start, readme.indexOf("```", start)));
    List<String> corpus = HostileCorpus.VALUES;

    String cfg = renderCorpus(template, "Name", "owner");

    List<String> servers = cfg.lines().filter(l -> l.strip().startsWith("server ")).toList();
    assertEquals(corpus.size(), servers.size(), cfg);
    assertTrue(
        servers.stream().allMatch(l -> l.strip().split(" ")[1].matches("[A-Za-z0-9_.-]+")),
        "every server name is one plain word: " + servers);
    Path file = dir.resolve("haproxy.cfg");
    Files.writeString(file, cfg);
    Haproxy.validator().validate(file);
  }

  @Test
  void theReadmesTemplateExampleRendersMembersWithoutOrWithEmptyOptionalTags(@TempDir Path dir)
      throws Exception {
    String readme = Files.readString(Path.of("..", "docs", "haproxy.md"));
    int start = readme.indexOf("<#-- README example: haproxy -->");
    Path template = dir.resolve("readme.ftl");
    Files.writeString(template, readme.substring(start, readme.indexOf("```", start)));
    List<Member> members =
        List.of(
            member("i-001", "127.0.0.1", 8001, Map.of()),
            member("i-002", "127.0.0.1", 8002, Map.of("Name", "", "owner", "")),
            member("i-003", "127.0.0.1", 8003, Map.of("Name", "web 3")));

    String cfg =
        HaproxyConfig.newBuilder()
            .headerText(HEADER)
            .template(template)
            .build()
            .render(Map.of("web", Snapshot.of(members, T)));

    assertEquals(3, cfg.lines().filter(l -> l.strip().startsWith("server ")).count(), cfg);
    assertTrue(cfg.contains("X-Owner none "), cfg);
    Path file = dir.resolve("haproxy.cfg");
    Files.writeString(file, cfg);
    Haproxy.validator().validate(file);
  }

  /** One member per value of the hostile corpus, in both tags, rendered by {@code template}. */
  private static String renderCorpus(Path template, String tag, String otherTag) {
    List<String> corpus = HostileCorpus.VALUES;
    List<Member> members = new java.util.ArrayList<>();
    for (int i = 0; i < corpus.size(); i++) {
      members.add(
          member(
              String.format("i-%03d", i),
              "127.0.0.1",
              8000 + i,
              Map.of(tag, corpus.get(i), otherTag, corpus.get(i))));
    }
    return HaproxyConfig.newBuilder()
        .headerText(HEADER)
        .template(template)
        .build()
        .render(Map.of("web", Snapshot.of(members, T)));
  }

  @Test
  void escaperWritesPlainTokensAsTheyAreAndQuotesTheRest() {
    assertEquals("10.0.0.1:8080", HaproxySyntax.INSTANCE.escape("10.0.0.1:8080"));
    assertEquals("'a b'", HaproxySyntax.INSTANCE.escape("a b"));
    assertEquals("'#x'", HaproxySyntax.INSTANCE.escape("#x"));
    assertEquals("'${HOME}'", HaproxySyntax.INSTANCE.escape("${HOME}"));
    assertEquals("'it'\\''s'", HaproxySyntax.INSTANCE.escape("it's"));
  }

  @Test
  void emptyValueInADirectiveFailsTheRenderBeforeHaproxySeesIt() {
    TemplateRenderer r =
        TemplateRenderer.newBuilder()
            .escaper("haproxy", HaproxySyntax.INSTANCE)
            .templateText(
                "t.ftl",
                "<#list backend.web.members as m>\n"
                    + "http-request set-header X-Owner ${m.tags.owner} if { always_true }\n</#list>")
            .build();

    RenderException e =
        assertThrows(
            RenderException.class,
            () ->
                r.render(
                    Map.of(
                        "web",
                        Snapshot.of(
                            List.of(member("i-1", "10.0.0.1", 80, Map.of("owner", ""))), T))));

    assertTrue(e.getMessage().contains("line 2"), e.getMessage());
    assertTrue(e.getMessage().contains("HAProxy drops empty arguments"), e.getMessage());
  }
}
