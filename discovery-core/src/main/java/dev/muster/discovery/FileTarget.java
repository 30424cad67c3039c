package dev.muster.discovery;

import dev.muster.discovery.internal.AtomicFiles;
import dev.muster.discovery.internal.IoErrors;
import dev.muster.discovery.internal.UnifiedDiff;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Objects;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes rendered text to a configuration file and makes the proxy take it, safely:
 *
 * <ol>
 *   <li>Byte-identical to the live file: nothing is written or reloaded.
 *   <li>The candidate is written beside the live file (same directory, mode and owner) and forced
 *       to disk.
 *   <li>The {@link Validator} checks the candidate (for example {@code haproxy -c -f FILE}); if it
 *       fails, the candidate is deleted and the live file is untouched.
 *   <li>The live file is copied to {@code FILE.bak}, then atomically replaced by the candidate.
 *   <li>The {@link Reloader} runs. If it fails, the previous file is restored and reloaded again,
 *       and the failure is reported with whether that second reload worked. If there was no
 *       previous file, the new one (already validated) is kept: the proxy needs it to start.
 * </ol>
 *
 * <p><b>Crash safety.</b> Before the new file replaces the live one, a marker {@code
 * .FILE.muster-pending} is written beside it, and it is removed once the proxy has reloaded. If the
 * process dies in between, or the reload failed, the next {@code apply} of the same text reloads
 * although the file is unchanged, so the proxy never stays on an old configuration with a new file
 * on disk. Hidden candidates left by a crash are deleted at the first {@code apply}.
 *
 * <p><b>Symlinks.</b> If the path is a symbolic link, the file it points to is replaced (the link
 * stays). Candidates, the backup and the new file keep the live file's mode and owner.
 *
 * <p>In dry-run mode it computes a unified diff of what would change, hands it to the dry-run
 * output (the log unless set) and touches nothing.
 *
 * <p>Not thread-safe; {@link ConfigPipeline} serialises calls.
 *
 * <p>Why this size: every step of a safe file swap (candidate, validation, backup, crash marker,
 * rollback, symlinks, leftovers) shares the paths and the rollback state; the file operations
 * themselves are {@code internal.AtomicFiles}.
 */
public final class FileTarget implements Target {
  private static final Logger log = LoggerFactory.getLogger("dev.muster.apply");

  private final Path path;
  private final Path backup;
  private final Path marker;
  private final Validator validator;
  private final Reloader reloader;
  private final boolean dryRun;
  private final Consumer<String> dryRunOutput;
  private boolean cleaned;

  private FileTarget(Builder b) {
    this.path = b.path;
    this.backup = b.path.resolveSibling(b.path.getFileName() + ".bak");
    this.marker = b.path.resolveSibling("." + b.path.getFileName() + ".muster-pending");
    this.validator = b.validator;
    this.reloader = b.reloader;
    this.dryRun = b.dryRun;
    this.dryRunOutput = b.dryRunOutput;
  }

  /** A builder for a target writing {@code path}. */
  public static Builder newBuilder(Path path) {
    return new Builder(path);
  }

  /** The live file. */
  public Path path() {
    return path;
  }

  @Override
  public ApplyResult apply(String content) {
    byte[] next = content.getBytes(StandardCharsets.UTF_8);
    Path live = live();
    byte[] current = read(live);
    if (dryRun) {
      if (current != null && Arrays.equals(current, next)) {
        return ApplyResult.UNCHANGED;
      }
      String diff =
          UnifiedDiff.of(
              current == null ? "/dev/null" : path.toString(),
              current == null ? "" : new String(current, StandardCharsets.UTF_8),
              path.toString(),
              content);
      dryRunOutput.accept(diff);
      return new ApplyResult(ApplyResult.Outcome.DRY_RUN, diff);
    }
    cleanUpOnce(live);
    if (current != null && Arrays.equals(current, next)) {
      if (!Files.exists(marker)) {
        return ApplyResult.UNCHANGED;
      }
      // An earlier apply wrote this file but its reload did not complete (it failed, or the
      // process died): the proxy may still run the configuration before it.
      try {
        reloader.reload();
      } catch (ApplyException e) {
        throw new ApplyException(
            e.getMessage() + " (" + path + " is written but the proxy may " + "not run it yet)", e);
      }
      clearMarker();
      log.info("reloaded {}: an earlier reload of it had not completed", path);
      return new ApplyResult(
          ApplyResult.Outcome.APPLIED,
          path + ": reloaded, an earlier " + "reload of it had not completed");
    }

    Path candidate;
    try {
      candidate = AtomicFiles.stage(live, next, ".candidate");
    } catch (IOException e) {
      throw new ApplyException(
          "write failed: cannot write a candidate beside " + live + ": " + describe(e), e);
    }
    try {
      validate(candidate);
      if (current != null) {
        AtomicFiles.write(backup, current, live);
      }
      AtomicFiles.touch(marker);
      AtomicFiles.commit(candidate, live);
    } catch (IOException e) {
      throw new ApplyException("write failed: " + path + ": " + describe(e), e);
    } finally {
      deleteQuietly(candidate);
    }

    try {
      reloader.reload();
    } catch (ApplyException e) {
      throw rollBack(live, current, e);
    }
    clearMarker();
    String summary =
        String.format(
            "%s: %d bytes, %d lines",
            path,
            next.length,
            content.isEmpty()
                ? 0
                : content.split("\n", -1).length - (content.endsWith("\n") ? 1 : 0));
    return new ApplyResult(ApplyResult.Outcome.APPLIED, summary);
  }

  private ApplyException rollBack(Path live, byte[] previous, ApplyException failure) {
    if (previous == null) {
      // Deleting it would leave a proxy that is not running yet nothing to start with.
      return new ApplyException(
          failure.getMessage()
              + "; kept the new "
              + path
              + " (there was "
              + "no previous file; it passed validation)",
          failure);
    }
    try {
      AtomicFiles.write(live, previous);
    } catch (IOException e) {
      return new ApplyException(
          failure.getMessage()
              + "; restoring the previous "
              + path
              + " ALSO FAILED: "
              + describe(e),
          failure);
    }
    try {
      reloader.reload();
    } catch (ApplyException second) {
      return new ApplyException(
          failure.getMessage()
              + "; restored the previous "
              + path
              + ", but reloading it failed too: "
              + second.getMessage(),
          failure);
    }
    clearMarker();
    log.warn("restored the previous {} and reloaded it", path);
    return new ApplyException(
        failure.getMessage() + "; restored the previous " + path + " and reloaded it", failure);
  }

  @Override
  public void check(String content) {
    Path candidate;
    try {
      candidate = AtomicFiles.stage(live(), content.getBytes(StandardCharsets.UTF_8), ".candidate");
    } catch (IOException e) {
      throw new ApplyException(
          "write failed: cannot write a candidate beside " + path + ": " + describe(e), e);
    }
    try {
      validate(candidate);
    } finally {
      deleteQuietly(candidate);
    }
  }

  private void validate(Path candidate) {
    validator.validate(candidate);
  }

  /** The file to replace: the path itself, or the file its symbolic link points to. */
  private Path live() {
    if (!Files.isSymbolicLink(path)) {
      return path;
    }
    try {
      return path.toRealPath();
    } catch (NoSuchFileException e) {
      throw new ApplyException(
          path + " is a symbolic link to a file that does not exist (" + describe(e) + ")", e);
    } catch (IOException e) {
      throw new ApplyException("cannot resolve the symbolic link " + path + ": " + describe(e), e);
    }
  }

  private void cleanUpOnce(Path live) {
    if (cleaned) {
      return;
    }
    cleaned = true;
    try {
      int removed = AtomicFiles.removeLeftovers(live);
      if (!live.equals(path)) {
        removed += AtomicFiles.removeLeftovers(path);
      }
      if (removed > 0) {
        log.info("removed {} leftover candidate file(s) beside {}", removed, path);
      }
    } catch (IOException e) {
      log.warn("could not remove leftover candidates beside {}: {}", path, describe(e));
    }
  }

  private void clearMarker() {
    try {
      Files.deleteIfExists(marker);
    } catch (IOException e) {
      log.warn("could not delete {}: {} (the next apply reloads once more)", marker, describe(e));
    }
  }

  static String describe(IOException e) {
    return IoErrors.describe(e);
  }

  private byte[] read(Path live) {
    try {
      return Files.readAllBytes(live);
    } catch (NoSuchFileException e) {
      return null;
    } catch (IOException e) {
      throw new ApplyException("cannot read the live file " + path + ": " + describe(e), e);
    }
  }

  private static void deleteQuietly(Path file) {
    try {
      Files.deleteIfExists(file);
    } catch (IOException e) {
      log.warn("could not delete {}: {}", file, e.toString());
    }
  }

  @Override
  public String toString() {
    return "file " + path;
  }

  /** Builds a {@link FileTarget}. Not thread-safe. */
  public static final class Builder {
    private final Path path;
    private Validator validator = Validator.NONE;
    private Reloader reloader = Reloader.NONE;
    private boolean dryRun;
    private Consumer<String> dryRunOutput = diff -> log.info("dry run, would change:\n{}", diff);

    private Builder(Path path) {
      this.path = Objects.requireNonNull(path, "path");
      if (path.getFileName() == null) {
        throw new IllegalArgumentException("path must name a file: " + path);
      }
    }

    /** Checks each candidate before it replaces the live file; none unless set. */
    public Builder validator(Validator validator) {
      this.validator = Objects.requireNonNull(validator, "validator");
      return this;
    }

    /** Makes the proxy take the new file; nothing unless set. */
    public Builder reloader(Reloader reloader) {
      this.reloader = Objects.requireNonNull(reloader, "reloader");
      return this;
    }

    /** Computes and reports the diff instead of applying anything. */
    public Builder dryRun(boolean dryRun) {
      this.dryRun = dryRun;
      return this;
    }

    /** Where dry-run diffs go; the log unless set (for example {@code System.out::print}). */
    public Builder dryRunOutput(Consumer<String> output) {
      this.dryRunOutput = Objects.requireNonNull(output, "dryRunOutput");
      return this;
    }

    /** Builds the target. */
    public FileTarget build() {
      return new FileTarget(this);
    }
  }
}
