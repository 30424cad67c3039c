package dev.muster.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The package's launcher ({@code src/deb/bin/muster}) on every Java runtime installed here (the one
 * running the build at least; Java 25 where it is installed, whose AOT cache takes other options):
 * with an empty cache folder, the install script's {@code muster train} makes the cache; then a
 * command starts with it and says nothing but its answer. On Java 25 the launcher once asked for
 * {@code -Xshare:auto} and the AOT cache together, which the JVM refuses: no command started until
 * a cache existed.
 */
class LauncherIT {
  private static final Path LAUNCHER = Path.of("src", "deb", "bin", "muster").toAbsolutePath();
  private static final Path JAR = Path.of("target", "muster-agent.jar").toAbsolutePath();

  @TempDir Path dir;

  /** This build's runtime, and every Java 25 or later in /usr/lib/jvm. */
  private static List<Path> runtimes() throws IOException {
    List<Path> out = new ArrayList<>();
    out.add(Path.of(System.getProperty("java.home")));
    Path jvms = Path.of("/usr/lib/jvm");
    if (Files.isDirectory(jvms)) {
      try (Stream<Path> all = Files.list(jvms)) {
        all.filter(p -> feature(p) >= 25).forEach(out::add);
      }
    }
    return out;
  }

  private static int feature(Path home) {
    try {
      for (String line : Files.readAllLines(home.resolve("release"))) {
        if (line.startsWith("JAVA_VERSION=\"")) {
          String v = line.substring("JAVA_VERSION=\"".length());
          return Integer.parseInt(v.split("[.\"]")[0]);
        }
      }
    } catch (IOException | RuntimeException e) {
      // not a runtime
    }
    return 0;
  }

  private record Result(int code, String out, String err) {}

  private Result launch(Path javaHome, Path cache, String... args) throws Exception {
    List<String> command = new ArrayList<>(List.of("sh", LAUNCHER.toString()));
    command.addAll(List.of(args));
    Path out = Files.createTempFile(dir, "out", ".txt");
    Path err = Files.createTempFile(dir, "err", ".txt");
    ProcessBuilder pb =
        new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile());
    pb.environment().put("JAVA_HOME", javaHome.toString());
    pb.environment().put("MUSTER_JAR", JAR.toString());
    pb.environment().put("MUSTER_CACHE", cache.toString());
    pb.environment().remove("MUSTER_JAVA_OPTS");
    pb.environment().remove("JAVA_TOOL_OPTIONS");
    Process p = pb.start();
    if (!p.waitFor(120, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("the launcher did not end within 120 s: " + Files.readString(err));
    }
    return new Result(p.exitValue(), Files.readString(out), Files.readString(err));
  }

  @Test
  void onEveryRuntimeTrainingMakesTheCacheAndCommandsStartWithIt() throws Exception {
    List<Path> runtimes = runtimes();
    for (Path java : runtimes) {
      Path cache = Files.createDirectories(dir.resolve("cache-" + java.getFileName()));
      Result before = launch(java, cache, "--version");
      assertEquals(0, before.code(), java + ", no cache yet: " + before.out() + before.err());
      assertEquals(1, before.out().lines().count(), java + ", no cache yet: " + before.out());
      assertEquals("", before.err(), java + ", no cache yet: nothing on stderr");
      try (Stream<Path> made = Files.list(cache)) {
        assertEquals(0, made.count(), java + ": only train makes the cache");
      }
      Result train = launch(java, cache, "train");
      assertEquals(0, train.code(), java + ": " + train.err());
      try (Stream<Path> made = Files.list(cache)) {
        List<String> names = made.map(p -> p.getFileName().toString()).toList();
        String expected = feature(java) >= 25 ? "muster.aot" : "muster.jsa";
        assertTrue(names.contains(expected), java + " made " + names);
      }
      for (int i = 0; i < 2; i++) {
        Result version = launch(java, cache, "--version");
        assertEquals(0, version.code(), java + ": " + version.err());
        assertTrue(version.out().startsWith("muster "), java + ": " + version.out());
        assertEquals(1, version.out().lines().count(), java + ": " + version.out());
        assertEquals("", version.err(), java + ": nothing on stderr");
      }
    }
    assertFalse(runtimes.isEmpty());
  }
}
