package dev.muster.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The packages the build makes, target/muster_VERSION_all.deb and target/rpm/muster-*.rpm: checked
 * by lintian and rpmlint, then installed, upgraded, run, removed and purged in throwaway roots
 * (src/test/sh/throwaway-root.sh: an overlay over the host's /usr, a copy of its /etc), so the
 * host's own muster package, /etc/muster and services are never touched. Installing needs root, as
 * CI runs; without root it is skipped with that reason. A missing tool is a failure.
 */
class PackageIT {
  private static final Path SCRIPT = Path.of("src/test/sh/throwaway-root.sh").toAbsolutePath();
  private static Path deb;
  private static Path rpm;

  @TempDir Path dir;

  @BeforeAll
  static void findPackages() throws IOException {
    deb = only(Path.of("target"), "muster_*.deb");
    rpm = only(Path.of("target", "rpm"), "muster-*.noarch.rpm");
  }

  private static Path only(Path folder, String glob) throws IOException {
    Path found = null;
    if (Files.isDirectory(folder)) {
      try (DirectoryStream<Path> files = Files.newDirectoryStream(folder, glob)) {
        for (Path p : files) {
          found = p.toAbsolutePath();
        }
      }
    }
    assertTrue(found != null, folder + "/" + glob + " was not built by the package phase");
    return found;
  }

  /** Removes the throwaway roots (rm is quick and quiet about their links into the host). */
  @org.junit.jupiter.api.AfterEach
  void removeRoots() throws Exception {
    run("rm", "-rf", dir.resolve("deb-root").toString(), dir.resolve("rpm-root").toString());
  }

  private static void needRoot() {
    Assumptions.assumeTrue(
        "root".equals(System.getProperty("user.name")),
        "installing into a throwaway root needs root (mount namespaces, chroot); CI runs so");
  }

  @Test
  void lintianAndRpmlintFindNoError() throws Exception {
    Result lintian = run("lintian", "--fail-on", "error", deb.toString());
    assertEquals(0, lintian.code(), lintian.output());
    assertFalse(lintian.output().lines().anyMatch(l -> l.startsWith("E: ")), lintian.output());

    Result rpmlint = run("rpmlint", "-r", "src/rpm/muster.rpmlintrc", rpm.toString());
    assertEquals(0, rpmlint.code(), rpmlint.output());
    assertTrue(rpmlint.output().contains(" 0 errors,"), rpmlint.output());
  }

  @Test
  void theControlDataDeclaresConffilesJavaAndTheLicence() throws Exception {
    Result conffiles = run("dpkg-deb", "--info", deb.toString(), "conffiles");
    assertEquals("/etc/muster/muster.yaml\n/etc/muster/haproxy-header.cfg\n", conffiles.output());
    Result depends = run("dpkg-deb", "--field", deb.toString(), "Depends");
    assertTrue(depends.output().contains("java17-runtime-headless"), depends.output());

    Result requires = run("rpm", "-qp", "--requires", rpm.toString());
    assertTrue(requires.output().contains("(java-headless >= 1:17 or java-17-amazon-corretto"));
    Result info = run("rpm", "-qp", "--qf", "%{LICENSE} %{URL}\\n", rpm.toString());
    assertEquals("Apache-2.0 https://github.com/muster-dev/muster\n", info.output());
    Result config = run("rpm", "-qp", "--configfiles", rpm.toString());
    assertEquals("/etc/muster/haproxy-header.cfg\n/etc/muster/muster.yaml\n", config.output());
    Result triggers = run("rpm", "-qp", "--filetriggers", rpm.toString());
    assertTrue(triggers.output().contains("/usr/lib/jvm"), "remakes the cache: " + triggers);
    assertTrue(triggers.output().contains("muster train"), triggers.output());
    Result scripts = run("rpm", "-qp", "--scripts", rpm.toString());
    assertTrue(scripts.output().contains("try-restart muster.service"), scripts.output());
    assertTrue(scripts.output().contains("disable --now muster.service"), scripts.output());
  }

  @Test
  void theDebInstallsQuietlyRunsUpgradesRestartingARunningAgentAndPurgesItsLinks()
      throws Exception {
    needRoot();
    Path root = dir.resolve("deb-root");
    inRoot(root, "true");
    Files.copy(deb, root.resolve("tmp/muster.deb"));

    Result install = inRoot(root, "dpkg", "--force-depends", "-i", "/tmp/muster.deb");
    assertEquals(0, install.code(), install.output());
    assertFalse(install.output().contains("[warning]"), "no JVM notes: " + install.output());
    assertTrue(
        Files.size(root.resolve("var/cache/muster/muster.jsa")) > 0,
        "the install script made the class-data archive");
    Result version = inRoot(root, "muster", "--version");
    assertTrue(version.output().startsWith("muster 0."), version.output());
    assertEquals(1, version.output().lines().count(), "one line, no warnings: " + version);
    Result check = inRoot(root, "muster", "check", "--config", "/etc/muster/muster.yaml");
    assertTrue(check.output().startsWith("/etc/muster/muster.yaml: OK\n"), check.output());
    Result unit = inRoot(root, "systemd-analyze", "verify", "/lib/systemd/system/muster.service");
    assertEquals(0, unit.code(), unit.output());
    assertEquals("", unit.output(), "systemd-analyze has no complaint");
    Result completion = inRoot(root, "bash", "-c", completionProbe());
    assertTrue(completion.output().contains("once"), completion.output());
    assertTrue(completion.output().contains("render"), completion.output());
    javaUpdateRemakesTheCache(root, root.resolve("var/cache/muster/muster.jsa"));

    // The operator enables it; then systemd runs (a stand-in systemctl records what is asked).
    Result enable = inRoot(root, "systemctl", "enable", "muster.service");
    assertEquals(0, enable.code(), enable.output());
    Path wants = root.resolve("etc/systemd/system/multi-user.target.wants/muster.service");
    assertTrue(Files.isSymbolicLink(wants), enable.output());
    Files.createDirectories(root.resolve("run/systemd/system"));
    Path fake = root.resolve(".usr-upper/local/sbin/systemctl");
    Files.createDirectories(fake.getParent());
    Files.writeString(fake, "#!/bin/sh\necho \"$*\" >> /var/log/systemctl.log\n");
    fake.toFile().setExecutable(true);
    // A container's policy-rc.d (exit 101) forbids starting services; this root allows it.
    Path policy = root.resolve(".usr-upper/sbin/policy-rc.d");
    Files.createDirectories(policy.getParent());
    Files.writeString(policy, "#!/bin/sh\nexit 0\n");
    policy.toFile().setExecutable(true);
    Files.writeString(root.resolve("etc/muster/muster.yaml"), "# edited\n", APPEND);

    Result upgrade = inRoot(root, "dpkg", "--force-depends", "-i", "/tmp/muster.deb");
    assertEquals(0, upgrade.code(), upgrade.output());
    String asked = Files.readString(root.resolve("var/log/systemctl.log"));
    assertTrue(asked.contains("daemon-reload"), asked);
    assertTrue(asked.contains("try-restart muster.service"), "restarts a running agent: " + asked);
    assertTrue(Files.readString(root.resolve("etc/muster/muster.yaml")).endsWith("# edited\n"));

    Result remove = inRoot(root, "dpkg", "--force-depends", "-r", "muster");
    assertEquals(0, remove.code(), remove.output());
    asked = Files.readString(root.resolve("var/log/systemctl.log"));
    assertTrue(asked.contains("stop muster.service"), "stops it on removal: " + asked);

    Files.delete(fake);
    Result purge = inRoot(root, "dpkg", "--purge", "muster");
    assertEquals(0, purge.code(), purge.output());
    assertFalse(Files.exists(wants, java.nio.file.LinkOption.NOFOLLOW_LINKS), "no dangling link");
    assertFalse(Files.exists(root.resolve("etc/muster")), "conffiles purged");
    assertFalse(Files.exists(root.resolve("var/lib/muster")), "state purged");
    assertFalse(Files.exists(root.resolve("var/cache/muster")), "cache purged");
  }

  @Test
  void theRpmInstallsIntoAThrowawayRootRunsAndErases() throws Exception {
    needRoot();
    Path root = dir.resolve("rpm-root");
    inRoot(root, "true");
    String r = root.toString();

    Result install = onHost(root, "rpm", "--root", r, "-i", "--nodeps", rpm.toString());
    assertEquals(0, install.code(), install.output());
    assertFalse(install.output().contains("[warning]"), install.output());
    assertEquals(0, inRoot(root, "getent", "passwd", "muster").code(), "the muster user");
    Result version = inRoot(root, "muster", "--version");
    assertEquals(1, version.output().lines().count(), version.output());
    assertTrue(version.output().startsWith("muster 0."), version.output());
    Result verify = onHost(root, "rpm", "--root", r, "-V", "--nodeps", "muster");
    assertEquals(0, verify.code(), "files as packaged: " + verify.output());
    Result unit =
        inRoot(root, "systemd-analyze", "verify", "/usr/lib/systemd/system/muster.service");
    assertEquals(0, unit.code(), unit.output());
    assertEquals("", unit.output(), "systemd-analyze has no complaint");

    Result erase = onHost(root, "rpm", "--root", r, "-e", "muster");
    assertEquals(0, erase.code(), erase.output());
    assertFalse(Files.exists(root.resolve("var/lib/muster")), "state removed");
    assertFalse(Files.exists(root.resolve("etc/muster/muster.yaml")), "unchanged config removed");
  }

  /**
   * Any package changing /usr/lib/jvm (a Java security update, say) triggers muster's postinst,
   * which makes the class cache anew: a probe package with a file there, installed and removed.
   * dpkg processes a trigger only for a package whose dependencies hold, so a second probe first
   * provides what muster depends on (this root has the host's Java, not its package).
   */
  private static void javaUpdateRemakesTheCache(Path root, Path cache) throws Exception {
    String probes =
        "mk() { mkdir -p /tmp/$1/DEBIAN; printf 'Package: %s\\nVersion: 1\\nArchitecture: all\\n"
            + "Maintainer: Muster tests <tests@example.org>\\nDescription: a probe\\n%b' \"$1\" \"$2\""
            + " > /tmp/$1/DEBIAN/control; dpkg-deb --root-owner-group --build /tmp/$1 /tmp/$1.deb; }"
            + " && mk muster-test-deps 'Provides: java17-runtime-headless, adduser\\n'"
            + " && mkdir -p /tmp/muster-java-probe/usr/lib/jvm/muster-java-probe"
            + " && echo 'JAVA_VERSION=\"17\"' > /tmp/muster-java-probe/usr/lib/jvm/muster-java-probe/release"
            + " && mk muster-java-probe '' && dpkg -i /tmp/muster-test-deps.deb";
    Result built = inRoot(root, "sh", "-c", probes);
    assertEquals(0, built.code(), built.output());
    for (String[] step :
        List.of(
            new String[] {"dpkg", "-i", "/tmp/muster-java-probe.deb"},
            new String[] {"dpkg", "-r", "muster-java-probe"})) {
      Files.setLastModifiedTime(cache, java.nio.file.attribute.FileTime.fromMillis(0));
      Result update = inRoot(root, step);
      assertEquals(0, update.code(), update.output());
      assertTrue(update.output().contains("Processing triggers for muster"), update.output());
      assertTrue(
          Files.size(cache) > 0 && Files.getLastModifiedTime(cache).toMillis() > 0,
          String.join(" ", step) + ": the cache was made anew");
    }
  }

  private static final java.nio.file.StandardOpenOption APPEND =
      java.nio.file.StandardOpenOption.APPEND;

  /** Bash with the installed completion: what `muster <TAB>` offers. */
  private static String completionProbe() {
    return ". /usr/share/bash-completion/completions/muster; COMP_WORDS=(muster \"\");"
        + " COMP_CWORD=1; COMP_LINE='muster '; COMP_POINT=7; _complete_muster;"
        + " printf '%s\\n' \"${COMPREPLY[@]}\"";
  }

  private record Result(int code, String output) {}

  private static Result inRoot(Path root, String... argv) throws Exception {
    List<String> command = new ArrayList<>(List.of(SCRIPT.toString(), root.toString()));
    command.addAll(List.of(argv));
    return run(command.toArray(String[]::new));
  }

  private static Result onHost(Path root, String... argv) throws Exception {
    List<String> command = new ArrayList<>(List.of(SCRIPT.toString(), root.toString(), "--host"));
    command.addAll(List.of(argv));
    return run(command.toArray(String[]::new));
  }

  private static Result run(String... argv) throws Exception {
    Process process = new ProcessBuilder(argv).redirectErrorStream(true).start();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(process.waitFor(180, TimeUnit.SECONDS), String.join(" ", argv) + " hung");
    return new Result(process.exitValue(), output);
  }
}
