package dev.muster.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.muster.testkit.FakeEc2;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code muster train}, what the package's install script runs to make the class cache, on the
 * shaded jar as the package ships it: it ends by itself, leaves no folder behind, and the archive
 * it makes holds what a later {@code once} loads (Muster's and the SDK's classes), which is what
 * makes the cache worth having (BENCHMARKS.md, issue 25).
 */
class TrainIT {
  private static final Path JAR = Path.of("target", "muster-agent.jar").toAbsolutePath();

  @TempDir Path dir;

  private static Set<Path> trainingFolders() throws IOException {
    try (Stream<Path> all = Files.list(Path.of(System.getProperty("java.io.tmpdir")))) {
      return all.filter(p -> p.getFileName().toString().startsWith("muster-train-"))
          .collect(Collectors.toSet());
    }
  }

  private int java(Map<String, String> env, Path log, String... args) throws Exception {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-XX:+UseSerialGC");
    command.addAll(List.of(args));
    ProcessBuilder pb =
        new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
    pb.environment().putAll(env);
    Process p = pb.start();
    if (!p.waitFor(120, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("did not end within 120 s: " + Files.readString(log));
    }
    return p.exitValue();
  }

  @Test
  void theArchiveOfATrainingRunHoldsWhatOnceLoads() throws Exception {
    Set<Path> before = trainingFolders();
    Path archive = dir.resolve("muster.jsa");
    Path trained = dir.resolve("train.log");
    int code =
        java(
            Map.of(),
            trained,
            "-XX:ArchiveClassesAtExit=" + archive,
            "-jar",
            JAR.toString(),
            "train");
    assertEquals(0, code, Files.readString(trained));
    assertTrue(Files.size(archive) > 0, "the archive was made");
    assertEquals(before, trainingFolders(), "the training folder was removed");

    try (FakeEc2 ec2 = FakeEc2.start()) {
      ec2.fleet().launch(50, Map.of("role", "web"));
      Files.writeString(
          dir.resolve("header.cfg"),
          "defaults\n    mode http\n    timeout connect 1s\n    timeout client 1s\n"
              + "    timeout server 1s\nfrontend www\n    bind 127.0.0.1:18998\n"
              + "    default_backend web\n");
      Path config = dir.resolve("muster.yaml");
      Files.writeString(
          config,
          """
          aws: {region: us-east-1, endpoint: "EC2"}
          discovery: {state_dir: "DIR"}
          backends:
            web: {tags: {role: web}, port: 80}
          outputs:
            edge: {type: haproxy, header: header.cfg, file: haproxy.cfg, backends: [web], reload: {command: ["true"]}}
          """
              .replace("EC2", ec2.endpoint().toString())
              .replace("DIR", dir.toString()));
      Path loads = dir.resolve("loads.txt");
      Path once = dir.resolve("once.log");
      code =
          java(
              Map.of("AWS_ACCESS_KEY_ID", "AKIDTEST", "AWS_SECRET_ACCESS_KEY", "secret"),
              once,
              "-XX:SharedArchiveFile=" + archive,
              "-Xshare:on",
              "-Xlog:class+load=info:file=" + loads,
              "-jar",
              JAR.toString(),
              "once",
              "--config",
              config.toString());
      assertEquals(0, code, Files.readString(once));
      List<String> ours =
          Files.readAllLines(loads).stream()
              .filter(l -> l.contains(" dev.muster.") || l.contains(" software.amazon."))
              .filter(l -> !l.contains("$$Lambda")) // made at run time, archived or not
              .toList();
      List<String> missed = ours.stream().filter(l -> !l.contains("shared objects file")).toList();
      assertTrue(ours.size() > 1000, "once loads Muster's and the SDK's classes: " + ours.size());
      assertTrue(
          missed.size() * 50 < ours.size(),
          "at most 2 % of them are not in the archive: "
              + missed.size()
              + " of "
              + ours.size()
              + ", e.g. "
              + missed.stream().limit(20).toList());
    }
  }
}
