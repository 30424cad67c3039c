package dev.muster.haproxy;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.muster.discovery.Member;
import dev.muster.discovery.RenderException;
import dev.muster.discovery.Snapshot;
import dev.muster.discovery.testing.RandomMemberships;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.RepetitionInfo;
import org.junit.jupiter.api.Test;

/**
 * Runtime mode's slot file writes what the default template writes, line for line, except that
 * servers are named after their slots; or both refuse. Free slots are disabled placeholders.
 */
class SlotFileRendererTest {

  @RepeatedTest(300)
  void writesTheTemplatesLinesWithSlotNames(RepetitionInfo info) {
    Random random = new Random(info.getCurrentRepetition());
    HaproxyConfig.Builder b =
        HaproxyConfig.newBuilder()
            .headerText(random.nextBoolean() ? "" : "global\n    maxconn 100\n")
            .serverOptions(random.nextBoolean() ? "" : "check inter 2s")
            .backendOptions("web", "    balance roundrobin")
            .serverOptions("api", "check");
    Map<String, Snapshot> memberships = RandomMemberships.of(random);
    Map<String, List<Member>> slots = new LinkedHashMap<>();
    memberships.forEach((backend, s) -> slots.put(backend, s.members()));

    String template = null;
    String slotFile = null;
    RenderException templateError = null;
    RenderException slotError = null;
    try {
      template = b.build().render(memberships);
    } catch (RenderException e) {
      templateError = e;
    }
    try {
      slotFile = b.buildSlotFile().renderSlots(slots);
    } catch (RenderException e) {
      slotError = e;
    }
    assertEquals(
        templateError == null,
        slotError == null,
        "both render or both refuse: " + templateError + " / " + slotError);
    if (template != null) {
      assertEquals(withSlotNames(template), slotFile);
    }
  }

  /**
   * The template's output with each backend's servers renamed srv1, srv2, ... in order, and without
   * the instance-derived {@code id}: a slot is reused by other members over time, so runtime mode's
   * slots keep HAProxy's own numbering.
   */
  private static String withSlotNames(String config) {
    List<String> out = new ArrayList<>();
    int slot = 0;
    for (String line : config.split("\n", -1)) {
      if (line.startsWith("backend ")) {
        slot = 0;
      } else if (line.startsWith("    server ")) {
        String[] f = line.split(" ", 7); // 4 spaces of indent give 4 empty fields
        f[5] = "srv" + ++slot;
        line = String.join(" ", f).replaceFirst(" id [0-9]+ weight ", " weight ");
      }
      out.add(line);
    }
    return String.join("\n", out);
  }

  @Test
  void freeSlotsAreDisabledPlaceholdersWithTheServerOptions() {
    Member m = Member.newBuilder("i-1").address("10.0.0.1").port(80).build();

    String file =
        HaproxyConfig.newBuilder()
            .headerText("global\n")
            .serverOptions("check inter 2s")
            .buildSlotFile()
            .renderSlots(Map.of("web", Arrays.asList(m, null)));

    assertEquals(
        "global\n\n\nbackend web\n"
            + "    server srv1 10.0.0.1:80 weight 100 check inter 2s\n"
            + "    server srv2 127.0.0.1:1 disabled check inter 2s\n",
        file);
  }
}
