package dev.muster.discovery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TemplateRendererTest {
  private static final Instant T = Instant.parse("2026-01-01T00:00:00Z");
  private static final Escaper BRACKETS =
      text -> {
        if (text.contains("!")) {
          throw new IllegalArgumentException("'!' cannot be written here");
        }
        return "[" + text + "]";
      };

  private static TemplateRenderer renderer(String text) {
    return TemplateRenderer.newBuilder()
        .templateText("t.ftl", text)
        .escaper("test", BRACKETS)
        .variable("header", "global\n  maxconn 100")
        .build();
  }

  private static Map<String, Snapshot> web(Member... members) {
    return Map.of("web", Snapshot.of(List.of(members), T));
  }

  private static Member member(String id, String note) {
    return Member.newBuilder(id)
        .address("10.0.0.1")
        .port(8080)
        .weight(1000 / 10)
        .tag("note", note)
        .build();
  }

  @Test
  void escapesEveryInterpolationUnlessMarkedTrusted() {
    String out =
        renderer(
                "${header?no_esc}\n<#list backend.web.members as m>"
                    + "server ${m.name?no_esc} ${m.tags.note}\n</#list>")
            .render(web(member("i-1", "a b")));

    assertEquals("global\n  maxconn 100\nserver i-1 [a b]\n", out);
  }

  @Test
  void refusedValueFailsTheRenderNamingTemplateAndLine() {
    RenderException e =
        assertThrows(
            RenderException.class,
            () ->
                renderer(
                        "x\n<#list backends as b><#list b.members as m>${m.tags.note}"
                            + "</#list></#list>")
                    .render(web(member("i-1", "hi!"))));

    assertTrue(e.getMessage().startsWith("template t.ftl line 2"), e.getMessage());
    assertTrue(e.getMessage().contains("'!' cannot be written here"), e.getMessage());
  }

  @Test
  void missingVariableIsAnErrorWithTemplateAndLine() {
    RenderException e =
        assertThrows(RenderException.class, () -> renderer("a\nb ${nope}\n").render(web()));

    assertTrue(e.getMessage().startsWith("template t.ftl line 2, column 5"), e.getMessage());
    assertTrue(e.getMessage().contains("nope"), e.getMessage());
  }

  @Test
  void absentOptionalFieldNeedsADefault() {
    assertThrows(
        RenderException.class,
        () ->
            renderer("<#list backend.web.members as m>${m.publicIp}</#list>")
                .render(web(member("i-1", ""))));
    assertEquals(
        "[-]",
        renderer("<#list backend.web.members as m>${m.publicIp!\"-\"}</#list>")
            .render(web(member("i-1", ""))));
  }

  @Test
  void syntaxErrorFailsAtBuildTime() {
    RenderException e = assertThrows(RenderException.class, () -> renderer("<#list x as>"));

    assertTrue(e.getMessage().startsWith("template t.ftl line 1"), e.getMessage());
  }

  @Test
  void numbersPrintAsPlainDigits() {
    Member m = Member.newBuilder("i-1").address("10.0.0.1").port(65535).weight(256).build();

    assertEquals(
        "65535 256",
        renderer("<#list backend.web.members as m>${m.port?no_esc} " + "${m.weight?no_esc}</#list>")
            .render(web(m)));
  }

  @Test
  void sameMembershipsRenderTheSameBytes() {
    TemplateRenderer r =
        renderer(
            "<#list backends as b>${b.name}:<#list b.members as m>"
                + "${m.id}<#list m.tags as k, v>${k}=${v}</#list></#list>;</#list>");
    Map<String, Snapshot> memberships =
        Map.of(
            "b", Snapshot.of(List.of(member("i-2", "x"), member("i-1", "y")), T),
            "a", Snapshot.of(List.of(member("i-3", "z")), T));

    String first = r.render(memberships);

    assertEquals(first, r.render(Map.of("a", memberships.get("a"), "b", memberships.get("b"))));
    assertTrue(first.indexOf("[a]") < first.indexOf("[b]"), "backends in name order");
    assertTrue(first.indexOf("[i-1]") < first.indexOf("[i-2]"), "members in id order");
  }

  @Test
  void reservedVariableNamesAreRefused() {
    assertThrows(
        IllegalArgumentException.class,
        () -> TemplateRenderer.newBuilder().variable("backends", "x"));
  }

  @Test
  void unsafeNamesAreSanitizedAndUnique() {
    Member a = Member.newBuilder("i-1 x").address("10.0.0.1").port(1).build();
    Member b = Member.newBuilder("i-1;x").address("10.0.0.2").port(1).build();

    assertEquals(
        "i-1_x i-1_x_ ",
        renderer("<#list backend.web.members as m>${m.name?no_esc} " + "</#list>")
            .render(web(a, b)));
  }

  @Test
  void safeNameMakesAnyTextOneIdentifier() {
    TemplateRenderer r =
        TemplateRenderer.newBuilder()
            .escaper("token", text -> text)
            .templateText(
                "t.ftl",
                "<#list backends as b><#list b.members as m>${safeName(m.tags.Name!m.id)}\n</#list></#list>")
            .build();
    Member named =
        Member.newBuilder("i-1").address("10.0.0.1").port(80).tag("Name", "web 1; drop #x").build();
    Member bare = Member.newBuilder("i-2").address("10.0.0.2").port(80).build();

    assertEquals(
        "web_1__drop__x\ni-2\n",
        r.render(
            Map.of("web", Snapshot.of(java.util.List.of(named, bare), java.time.Instant.EPOCH))));
  }

  /**
   * A member whose tag value the escaper refuses (or that lacks a tag the template needs) is left
   * out of the output, warned and listed; the others are applied, and later changes still are.
   */
  @Test
  void aMemberTheRenderRefusesIsLeftOutAndTheRestApplied() {
    List<String> written = new java.util.ArrayList<>();
    ConfigPipeline pipeline =
        ConfigPipeline.newBuilder()
            .renderer(
                renderer(
                    "<#list backend.web.members as m>"
                        + "server ${m.name?no_esc} ${m.tags.note}\n</#list>"))
            .target(
                content -> {
                  written.add(content);
                  return new ApplyResult(ApplyResult.Outcome.APPLIED, "");
                })
            .build();
    MembershipListener web = pipeline.backend("web");
    Member missingTag = Member.newBuilder("i-3").address("10.0.0.3").port(8080).build();

    web.onChange(
        Snapshot.of(List.of(member("i-1", "ok"), member("i-2", "bad!"), missingTag), T),
        Changes.NONE);

    assertEquals("server i-1 [ok]\n", written.get(written.size() - 1));
    assertEquals(java.util.Set.of("web/i-2", "web/i-3"), pipeline.rejectedMembers());
    web.onChange(
        Snapshot.of(
            List.of(member("i-1", "ok"), member("i-2", "bad!"), missingTag, member("i-4", "new")),
            T),
        Changes.NONE);
    assertEquals("server i-1 [ok]\nserver i-4 [new]\n", written.get(written.size() - 1));
    web.onChange(
        Snapshot.of(List.of(member("i-1", "ok"), member("i-2", "fixed")), T), Changes.NONE);
    assertEquals("server i-1 [ok]\nserver i-2 [fixed]\n", written.get(written.size() - 1));
    assertEquals(java.util.Set.of(), pipeline.rejectedMembers());
  }
}
