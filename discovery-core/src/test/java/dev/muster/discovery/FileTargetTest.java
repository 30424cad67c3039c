package dev.muster.discovery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FileTargetTest {
  @TempDir Path dir;

  private final List<String> validated = new ArrayList<>();
  private int reloads;
  private boolean failValidation;
  private int failReloads;

  private FileTarget target(Path file) {
    return FileTarget.newBuilder(file)
        .validator(
            candidate -> {
              try {
                validated.add(Files.readString(candidate));
              } catch (IOException e) {
                throw new AssertionError(e);
              }
              if (failValidation) {
                throw new ApplyException("validation failed: bad config");
              }
            })
        .reloader(
            () -> {
              reloads++;
              if (failReloads > 0) {
                failReloads--;
                throw new ApplyException("reload failed: proxy said no");
              }
            })
        .build();
  }

  private List<String> files() throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  @Test
  void writesValidatesAndReloads() throws IOException {
    Path file = dir.resolve("proxy.cfg");

    ApplyResult result = target(file).apply("one\n");

    assertEquals(ApplyResult.Outcome.APPLIED, result.outcome());
    assertEquals("one\n", Files.readString(file));
    assertEquals(List.of("one\n"), validated, "the candidate is validated before it goes live");
    assertEquals(1, reloads);
    assertEquals(List.of("proxy.cfg"), files(), "no candidate left behind");
  }

  @Test
  void identicalTextWritesAndReloadsNothing() throws IOException {
    Path file = dir.resolve("proxy.cfg");
    FileTarget target = target(file);
    target.apply("same\n");
    long modified = Files.getLastModifiedTime(file).toMillis();

    for (int i = 0; i < 10; i++) {
      assertEquals(ApplyResult.UNCHANGED, target.apply("same\n"));
    }

    assertEquals(1, reloads);
    assertEquals(1, validated.size());
    assertEquals(modified, Files.getLastModifiedTime(file).toMillis());
  }

  @Test
  void failedValidationLeavesTheLiveFileUntouched() throws IOException {
    Path file = dir.resolve("proxy.cfg");
    FileTarget target = target(file);
    target.apply("good\n");
    failValidation = true;

    ApplyException e = assertThrows(ApplyException.class, () -> target.apply("bad\n"));

    assertTrue(e.getMessage().contains("bad config"));
    assertEquals("good\n", Files.readString(file));
    assertEquals(1, reloads, "no reload after a failed validation");
    assertEquals(List.of("proxy.cfg"), files());
  }

  @Test
  void failedReloadRestoresThePreviousFileAndReloadsIt() throws IOException {
    Path file = dir.resolve("proxy.cfg");
    FileTarget target = target(file);
    target.apply("good\n");
    failReloads = 1;

    ApplyException e = assertThrows(ApplyException.class, () -> target.apply("new\n"));

    assertEquals("good\n", Files.readString(file));
    assertEquals(3, reloads, "first apply, failed reload, reload of the restored file");
    assertTrue(e.getMessage().contains("restored the previous"), e.getMessage());
    assertTrue(e.getMessage().contains("reloaded it"), e.getMessage());
  }

  @Test
  void reportsWhenEvenTheRestoredFileFailsToReload() throws IOException {
    Path file = dir.resolve("proxy.cfg");
    FileTarget target = target(file);
    target.apply("good\n");
    failReloads = 2;

    ApplyException e = assertThrows(ApplyException.class, () -> target.apply("new\n"));

    assertEquals("good\n", Files.readString(file));
    assertTrue(e.getMessage().contains("reloading it failed too"), e.getMessage());
  }

  @Test
  void keepsThePreviousVersionAsBak() throws IOException {
    Path file = dir.resolve("proxy.cfg");
    FileTarget target = target(file);

    target.apply("v1\n");
    target.apply("v2\n");

    assertEquals("v2\n", Files.readString(file));
    assertEquals("v1\n", Files.readString(dir.resolve("proxy.cfg.bak")));
  }

  @Test
  void keepsTheLiveFilesMode() throws IOException {
    Path file = dir.resolve("proxy.cfg");
    Files.writeString(file, "old\n");
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r-----"));

    target(file).apply("new\n");

    assertEquals("rw-r-----", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
  }

  @Test
  void newFileIsWorldReadable() throws IOException {
    Path file = dir.resolve("proxy.cfg");

    target(file).apply("new\n");

    assertEquals("rw-r--r--", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
  }

  @Test
  void dryRunReportsADiffAndTouchesNothing() throws IOException {
    Path file = dir.resolve("proxy.cfg");
    Files.writeString(file, "a\nb\nc\n");
    List<String> printed = new ArrayList<>();
    FileTarget dry =
        FileTarget.newBuilder(file)
            .dryRun(true)
            .dryRunOutput(printed::add)
            .reloader(() -> reloads++)
            .build();

    ApplyResult result = dry.apply("a\nB\nc\n");

    assertEquals(ApplyResult.Outcome.DRY_RUN, result.outcome());
    assertEquals(
        "--- " + file + "\n+++ " + file + "\n@@ -1,3 +1,3 @@\n a\n-b\n+B\n c\n", result.detail());
    assertEquals(List.of(result.detail()), printed);
    assertEquals("a\nb\nc\n", Files.readString(file));
    assertEquals(0, reloads);
    assertFalse(Files.exists(dir.resolve("proxy.cfg.bak")));
  }

  @Test
  void firstWriteIsKeptWhenTheFirstReloadFailsAndTheReloadIsRetried() throws IOException {
    Path file = dir.resolve("dispatcher.list");
    FileTarget target = target(file);
    failReloads = 1;

    ApplyException e = assertThrows(ApplyException.class, () -> target.apply("first\n"));

    assertEquals("first\n", Files.readString(file), "the proxy needs it to start");
    assertTrue(e.getMessage().contains("kept the new"), e.getMessage());
    ApplyResult retried = target.apply("first\n");
    assertEquals(ApplyResult.Outcome.APPLIED, retried.outcome(), "unchanged, but reloaded");
    assertEquals(2, reloads);
    assertEquals(ApplyResult.Outcome.UNCHANGED, target.apply("first\n").outcome());
    assertEquals(2, reloads);
  }

  @Test
  void aCrashBetweenTheWriteAndTheReloadIsReloadedByTheNextProcess() throws IOException {
    Path file = dir.resolve("proxy.cfg");
    // What a process killed after the rename and before the reload leaves behind.
    Files.writeString(file, "new\n");
    Files.createFile(dir.resolve(".proxy.cfg.muster-pending"));

    ApplyResult result = target(file).apply("new\n");

    assertEquals(ApplyResult.Outcome.APPLIED, result.outcome());
    assertEquals(1, reloads);
    assertFalse(Files.exists(dir.resolve(".proxy.cfg.muster-pending")));
  }

  @Test
  void noMarkerIsLeftAfterASuccessfulOrRolledBackApply() throws IOException {
    Path file = dir.resolve("proxy.cfg");
    FileTarget target = target(file);
    target.apply("one\n");
    failReloads = 1;
    assertThrows(ApplyException.class, () -> target.apply("two\n"));

    assertEquals(List.of("proxy.cfg", "proxy.cfg.bak"), files());
  }

  @Test
  void leftoversOfACrashAreRemovedAtTheFirstApply() throws IOException {
    Path file = dir.resolve("proxy.cfg");
    Files.writeString(dir.resolve(".proxy.cfg.123.candidate"), "half");
    Files.writeString(dir.resolve(".proxy.cfg.bak.456.tmp"), "half");
    Files.writeString(dir.resolve(".other.cfg.789.tmp"), "not ours");

    target(file).apply("one\n");

    assertEquals(List.of(".other.cfg.789.tmp", "proxy.cfg"), files());
  }

  @Test
  void writesThroughASymbolicLinkAndKeepsTheLink() throws IOException {
    Path real = Files.createDirectories(dir.resolve("releases")).resolve("proxy.cfg");
    Files.writeString(real, "old\n");
    Path link = Files.createSymbolicLink(dir.resolve("proxy.cfg"), real);

    target(link).apply("new\n");

    assertTrue(Files.isSymbolicLink(link));
    assertEquals("new\n", Files.readString(real));
    assertEquals("old\n", Files.readString(dir.resolve("proxy.cfg.bak")));
  }

  @Test
  void theBackupIsAsPrivateAsTheLiveFile() throws IOException {
    Path file = dir.resolve("proxy.cfg");
    Files.writeString(file, "userlist secrets\n");
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r-----"));

    target(file).apply("new\n");

    assertEquals(
        "rw-r-----",
        PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("proxy.cfg.bak"))));
  }

  @Test
  void describeNamesTheKindOfIoError() {
    assertEquals(
        "/x: Permission denied",
        FileTarget.describe(new java.nio.file.AccessDeniedException("/x")));
    assertEquals(
        "/nope: No such file or directory",
        FileTarget.describe(new java.nio.file.NoSuchFileException("/nope")));
  }
}
