package dev.muster.discovery.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.RepetitionInfo;
import org.junit.jupiter.api.Test;

class UnifiedDiffTest {

  @Test
  void equalTextHasNoDiff() {
    assertEquals("", UnifiedDiff.of("a", "x\n", "b", "x\n"));
  }

  @Test
  void newFileIsAllAdditions() {
    assertEquals(
        "--- /dev/null\n+++ f\n@@ -0,0 +1,2 @@\n+a\n+b\n",
        UnifiedDiff.of("/dev/null", "", "f", "a\nb\n"));
  }

  @Test
  void distantChangesMakeSeparateHunks() {
    StringBuilder before = new StringBuilder();
    for (int i = 1; i <= 20; i++) {
      before.append("line").append(i).append('\n');
    }
    String after = before.toString().replace("line2\n", "two\n").replace("line18\n", "");

    assertEquals(
        "--- a\n+++ b\n"
            + "@@ -1,5 +1,5 @@\n line1\n-line2\n+two\n line3\n line4\n line5\n"
            + "@@ -15,6 +15,5 @@\n line15\n line16\n line17\n-line18\n line19\n line20\n",
        UnifiedDiff.of("a", before.toString(), "b", after));
  }

  /** Applying the diff to the old text must give the new text. */
  @RepeatedTest(300)
  void patchReproducesTheNewText(RepetitionInfo info) {
    Random random = new Random(info.getCurrentRepetition());
    List<String> a = randomLines(random);
    List<String> b = new ArrayList<>(a);
    int edits = random.nextInt(6);
    for (int i = 0; i < edits; i++) {
      int where = b.isEmpty() ? 0 : random.nextInt(b.size() + 1);
      switch (random.nextInt(3)) {
        case 0 -> b.add(where, "new" + random.nextInt(5));
        case 1 -> {
          if (where < b.size()) {
            b.remove(where);
          }
        }
        default -> {
          if (where < b.size()) {
            b.set(where, "changed" + random.nextInt(5));
          }
        }
      }
    }
    String before = join(a);
    String after = join(b);

    String diff = UnifiedDiff.of("a", before, "b", after);

    assertEquals(b, apply(a, diff));
  }

  private static List<String> randomLines(Random random) {
    List<String> lines = new ArrayList<>();
    int n = random.nextInt(30);
    for (int i = 0; i < n; i++) {
      lines.add("l" + random.nextInt(8));
    }
    return lines;
  }

  private static String join(List<String> lines) {
    StringBuilder out = new StringBuilder();
    lines.forEach(l -> out.append(l).append('\n'));
    return out.toString();
  }

  private static List<String> apply(List<String> a, String diff) {
    if (diff.isEmpty()) {
      return a;
    }
    List<String> out = new ArrayList<>();
    int next = 0;
    String[] lines = diff.split("\n");
    for (int i = 2; i < lines.length; i++) {
      String line = lines[i];
      if (line.startsWith("@@")) {
        String old = line.substring(4, line.indexOf(' ', 4));
        int start = Integer.parseInt(old.split(",")[0]);
        int count = old.contains(",") ? Integer.parseInt(old.split(",")[1]) : 1;
        int zeroBased = count == 0 ? start : start - 1;
        while (next < zeroBased) {
          out.add(a.get(next++));
        }
      } else if (line.startsWith(" ")) {
        assertEquals(a.get(next), line.substring(1));
        out.add(a.get(next++));
      } else if (line.startsWith("-")) {
        assertEquals(a.get(next), line.substring(1));
        next++;
      } else if (line.startsWith("+")) {
        out.add(line.substring(1));
      }
    }
    while (next < a.size()) {
      out.add(a.get(next++));
    }
    return out;
  }
}
