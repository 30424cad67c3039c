package dev.muster.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The samples in README.md and docs/ are real: every YAML sample is a run of lines of a file in
 * docs/examples/ or agent/samples/, each of which passes {@code muster check} (Prometheus' own
 * files {@code promtool check config}); every Java sample is a marked region ({@code // docs:start
 * NAME}) of examples/src/main/java/dev/muster/examples/docs/, which the build compiles and
 * DocsExamplesIT runs, and every region is shown somewhere; every relative link resolves.
 */
class DocsTest {
  private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
  private static final Pattern FENCE =
      Pattern.compile("(?m)^( *)```(\\w*)\\n(.*?)\\n\\1```$", Pattern.DOTALL);

  record Block(Path page, String lang, String text) {
    @Override
    public String toString() {
      return ROOT.relativize(page) + " ```" + lang + ": " + text.lines().findFirst().orElse("");
    }
  }

  private static List<Path> pages() throws IOException {
    List<Path> out = new ArrayList<>(List.of(ROOT.resolve("README.md")));
    try (Stream<Path> docs = Files.list(ROOT.resolve("docs"))) {
      docs.filter(p -> p.toString().endsWith(".md")).sorted().forEach(out::add);
    }
    return out;
  }

  private static List<Block> blocks() throws IOException {
    List<Block> out = new ArrayList<>();
    for (Path page : pages()) {
      Matcher m = FENCE.matcher(Files.readString(page));
      while (m.find()) {
        String indent = m.group(1);
        String text =
            String.join(
                "\n",
                m.group(3)
                    .lines()
                    .map(l -> l.startsWith(indent) ? l.substring(indent.length()) : l)
                    .toList());
        out.add(new Block(page, m.group(2), text));
      }
    }
    return out;
  }

  /** Whether {@code excerpt}'s lines appear, in a run, in {@code file} (trailing blanks aside). */
  private static boolean isExcerptOf(String excerpt, String file) {
    List<String> want = excerpt.lines().map(String::stripTrailing).toList();
    List<String> have = file.lines().map(String::stripTrailing).toList();
    for (int i = 0; i + want.size() <= have.size(); i++) {
      if (have.subList(i, i + want.size()).equals(want)) {
        return true;
      }
    }
    return false;
  }

  private static List<Path> yamlFiles() throws IOException {
    List<Path> out = new ArrayList<>();
    for (Path folder : List.of(ROOT.resolve("docs/examples"), ROOT.resolve("agent/samples"))) {
      try (Stream<Path> files = Files.list(folder)) {
        files
            .filter(p -> p.toString().endsWith(".yaml") || p.toString().endsWith(".yml"))
            .sorted()
            .forEach(out::add);
      }
    }
    return out;
  }

  @Test
  void everyYamlSampleIsPartOfACheckedFile() throws IOException {
    List<Path> files = yamlFiles();
    List<String> orphans = new ArrayList<>();
    int seen = 0;
    for (Block b : blocks()) {
      if (!b.lang().equals("yaml")) {
        continue;
      }
      seen++;
      boolean found = false;
      for (Path f : files) {
        found |= isExcerptOf(b.text(), Files.readString(f));
      }
      if (!found) {
        orphans.add(b.toString());
      }
    }
    assertTrue(seen >= 4, "the docs have their YAML samples: " + seen);
    assertEquals(List.of(), orphans, "YAML samples that are no part of a checked file");
  }

  @Test
  void everyExampleConfigurationPassesItsChecker() throws Exception {
    for (Path f : yamlFiles()) {
      StringWriter out = new StringWriter();
      if (f.getFileName().toString().startsWith("prometheus")) {
        Process p =
            new ProcessBuilder("promtool", "check", "config", f.toString())
                .redirectErrorStream(true)
                .start();
        String said = new String(p.getInputStream().readAllBytes());
        assertEquals(0, p.waitFor(), f + ": " + said);
        continue;
      }
      int code =
          Main.run(
              new String[] {"check", "--config", f.toString()},
              new PrintWriter(out),
              new PrintWriter(out));
      assertEquals(0, code, f + ": " + out);
    }
  }

  @Test
  void everyJsonSampleParsesAndEveryDeployPolicyIsShownWhole() throws IOException {
    org.snakeyaml.engine.v2.api.Load json =
        new org.snakeyaml.engine.v2.api.Load(
            org.snakeyaml.engine.v2.api.LoadSettings.builder().build());
    List<String> texts = new ArrayList<>();
    for (Block b : blocks()) {
      if (b.lang().equals("json")) {
        assertTrue(json.loadFromString(b.text()) instanceof Map<?, ?>, b + " parses");
        texts.add(b.text().strip());
      }
    }
    try (Stream<Path> files = Files.list(ROOT.resolve("examples/deploy"))) {
      for (Path f : files.filter(p -> p.toString().endsWith(".json")).sorted().toList()) {
        String text = Files.readString(f);
        assertTrue(json.loadFromString(text) instanceof Map<?, ?>, f + " parses");
        assertTrue(texts.contains(text.strip()), f + " is shown whole in the docs");
      }
    }
  }

  /** The marked regions of the docs' Java sources, by name, dedented. */
  private static Map<String, String> regions() throws IOException {
    Map<String, String> out = new LinkedHashMap<>();
    Pattern region =
        Pattern.compile("(?m)^ *// docs:start (\\S+)\\n(.*?)^ *// docs:end \\1$", Pattern.DOTALL);
    try (Stream<Path> files =
        Files.list(ROOT.resolve("examples/src/main/java/dev/muster/examples/docs"))) {
      for (Path f : files.sorted().toList()) {
        Matcher m = region.matcher(Files.readString(f));
        while (m.find()) {
          List<String> lines = m.group(2).lines().toList();
          int indent =
              lines.stream()
                  .filter(l -> !l.isBlank())
                  .mapToInt(l -> l.length() - l.stripLeading().length())
                  .min()
                  .orElse(0);
          out.put(
              m.group(1),
              String.join(
                  "\n", lines.stream().map(l -> l.isBlank() ? "" : l.substring(indent)).toList()));
        }
      }
    }
    return out;
  }

  @Test
  void everyJavaSampleIsACompiledAndRunRegionAndEveryRegionIsShown() throws IOException {
    Map<String, String> regions = regions();
    assertTrue(regions.size() >= 6, regions.keySet().toString());
    List<String> orphans = new ArrayList<>();
    List<String> shown = new ArrayList<>();
    for (Block b : blocks()) {
      if (!b.lang().equals("java")) {
        continue;
      }
      String name =
          regions.entrySet().stream()
              .filter(e -> e.getValue().strip().equals(b.text().strip()))
              .map(Map.Entry::getKey)
              .findFirst()
              .orElse(null);
      if (name == null) {
        orphans.add(b.toString());
      } else {
        shown.add(name);
      }
    }
    assertEquals(List.of(), orphans, "Java samples that are no marked region of a source");
    assertEquals(
        regions.keySet().stream().sorted().toList(),
        shown.stream().sorted().toList(),
        "every region shown once");
  }

  @Test
  void everyRelativeLinkResolves() throws IOException {
    Pattern link = Pattern.compile("\\]\\(([^)#:]+)(#[^)]*)?\\)");
    List<String> broken = new ArrayList<>();
    for (Path page : pages()) {
      Matcher m = link.matcher(Files.readString(page));
      while (m.find()) {
        Path target = page.getParent().resolve(m.group(1)).normalize();
        if (!Files.exists(target)) {
          broken.add(ROOT.relativize(page) + " -> " + m.group(1));
        } else if (m.group(2) != null && target.toString().endsWith(".md")) {
          String anchor = m.group(2).substring(1);
          boolean found =
              Files.readString(target)
                  .lines()
                  .filter(l -> l.startsWith("#"))
                  .map(l -> slug(l.replaceFirst("^#+ ", "")))
                  .anyMatch(anchor::equals);
          if (!found) {
            broken.add(ROOT.relativize(page) + " -> " + m.group(1) + m.group(2));
          }
        }
      }
    }
    assertEquals(List.of(), broken, "links to nothing");
  }

  /** GitHub's anchor for a heading. */
  private static String slug(String heading) {
    return heading.strip().toLowerCase().replaceAll("[^\\w\\- ]", "").replace(' ', '-');
  }
}
