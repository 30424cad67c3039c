package dev.muster.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The Debian package the build makes (target/muster_VERSION_all.deb): checked by lintian, installed
 * with dpkg, run, its unit checked by systemd-analyze, then purged. Installing needs root, as CI
 * runs; a missing tool or a non-root run is a failure, not a skip.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class PackageIT {
  private static Path deb;

  @BeforeAll
  static void findPackage() throws IOException {
    try (DirectoryStream<Path> debs = Files.newDirectoryStream(Path.of("target"), "muster_*.deb")) {
      for (Path p : debs) {
        deb = p.toAbsolutePath();
      }
    }
    assertTrue(deb != null, "target/muster_*.deb was not built by the package phase");
  }

  @AfterAll
  static void purge() throws Exception {
    run("dpkg", "--purge", "muster");
  }

  @Test
  @Order(1)
  void lintianFindsNoError() throws Exception {
    Result lintian = run("lintian", "--fail-on", "error", deb.toString());
    assertEquals(0, lintian.code(), lintian.output());
    assertFalse(lintian.output().lines().anyMatch(l -> l.startsWith("E: ")), lintian.output());
  }

  @Test
  @Order(2)
  void theControlDataDeclaresConffilesAndJava() throws Exception {
    Result conffiles = run("dpkg-deb", "--info", deb.toString(), "conffiles");
    assertEquals("/etc/muster/muster.yaml\n/etc/muster/haproxy-header.cfg\n", conffiles.output());
    Result control = run("dpkg-deb", "--field", deb.toString(), "Depends");
    assertTrue(control.output().contains("java17-runtime-headless"), control.output());
  }

  @Test
  @Order(3)
  void installsRunsAndChecksTheShippedSample() throws Exception {
    assertEquals(
        "root", System.getProperty("user.name"), "installing the package needs root (CI runs so)");
    Result install = run("dpkg", "-i", deb.toString());
    assertEquals(0, install.code(), install.output());

    Result version = run("/usr/bin/muster", "--version");
    assertEquals(0, version.code(), version.output());
    assertTrue(version.output().startsWith("muster 0."), version.output());

    assertTrue(
        Files.size(Path.of("/var/cache/muster/muster.jsa")) > 0,
        "the first run made the class-data archive");
    Result check = run("/usr/bin/muster", "check", "--config", "/etc/muster/muster.yaml");
    assertEquals(0, check.code(), check.output());
    assertTrue(check.output().startsWith("/etc/muster/muster.yaml: OK\n"), check.output());

    Result user = run("getent", "passwd", "muster");
    assertEquals(0, user.code(), "the muster system user: " + user.output());

    Result unit = run("systemd-analyze", "verify", "/lib/systemd/system/muster.service");
    assertEquals(0, unit.code(), unit.output());
    assertEquals("", unit.output(), "systemd-analyze has no complaint");
  }

  private record Result(int code, String output) {}

  private static Result run(String... argv) throws Exception {
    Process process = new ProcessBuilder(argv).redirectErrorStream(true).start();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(process.waitFor(120, TimeUnit.SECONDS), String.join(" ", argv) + " hung");
    return new Result(process.exitValue(), output);
  }
}
