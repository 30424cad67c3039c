package dev.muster.discovery;

import dev.muster.discovery.internal.AtomicFiles;
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
 *   <li>The candidate is written beside the live file (same directory, mode and owner) and
 *       forced to disk.
 *   <li>The {@link Validator} checks the candidate (for example {@code haproxy -c -f FILE});
 *       if it fails, the candidate is deleted and the live file is untouched.
 *   <li>The live file is copied to {@code FILE.bak}, then atomically replaced by the candidate.
 *   <li>The {@link Reloader} runs. If it fails, the previous file is restored and reloaded
 *       again, and the failure is reported with whether that second reload worked.
 * </ol>
 *
 * <p>In dry-run mode it computes a unified diff of what would change, hands it to the
 * dry-run output (the log unless set) and touches nothing.
 *
 * <p>Not thread-safe; {@link ConfigPipeline} serialises calls.
 */
public final class FileTarget implements Target {
  private static final Logger log = LoggerFactory.getLogger("dev.muster.apply");

  private final Path path;
  private final Path backup;
  private final Validator validator;
  private final Reloader reloader;
  private final boolean dryRun;
  private final Consumer<String> dryRunOutput;

  private FileTarget(Builder b) {
    this.path = b.path;
    this.backup = b.path.resolveSibling(b.path.getFileName() + ".bak");
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
    byte[] current = read();
    if (current != null && Arrays.equals(current, next)) {
      return ApplyResult.UNCHANGED;
    }
    if (dryRun) {
      String diff = UnifiedDiff.of(current == null ? "/dev/null" : path.toString(),
          current == null ? "" : new String(current, StandardCharsets.UTF_8),
          path.toString(), content);
      dryRunOutput.accept(diff);
      return new ApplyResult(ApplyResult.Outcome.DRY_RUN, diff);
    }

    Path candidate;
    try {
      candidate = AtomicFiles.stage(path, next, ".candidate");
    } catch (IOException e) {
      throw new ApplyException("write failed: cannot write a candidate beside " + path + ": "
          + e.getMessage(), e);
    }
    try {
      validator.validate(candidate);
      if (current != null) {
        AtomicFiles.write(backup, current);
      }
      AtomicFiles.commit(candidate, path);
    } catch (IOException e) {
      throw new ApplyException("write failed: " + path + ": " + e.getMessage(), e);
    } finally {
      deleteQuietly(candidate);
    }

    try {
      reloader.reload();
    } catch (ApplyException e) {
      throw rollBack(current, e);
    }
    String summary = String.format("%s: %d bytes, %d lines", path, next.length,
        content.isEmpty() ? 0 : content.split("\n", -1).length - (content.endsWith("\n") ? 1 : 0));
    return new ApplyResult(ApplyResult.Outcome.APPLIED, summary);
  }

  private ApplyException rollBack(byte[] previous, ApplyException failure) {
    try {
      if (previous == null) {
        Files.deleteIfExists(path);
      } else {
        AtomicFiles.write(path, previous);
      }
    } catch (IOException e) {
      return new ApplyException(failure.getMessage() + "; restoring the previous " + path
          + " ALSO FAILED: " + e.getMessage(), failure);
    }
    if (previous == null) {
      return new ApplyException(failure.getMessage() + "; removed the new " + path
          + " (there was no previous file)", failure);
    }
    try {
      reloader.reload();
    } catch (ApplyException second) {
      return new ApplyException(failure.getMessage() + "; restored the previous " + path
          + ", but reloading it failed too: " + second.getMessage(), failure);
    }
    log.warn("restored the previous {} and reloaded it", path);
    return new ApplyException(failure.getMessage() + "; restored the previous " + path
        + " and reloaded it", failure);
  }

  private byte[] read() {
    try {
      return Files.readAllBytes(path);
    } catch (NoSuchFileException e) {
      return null;
    } catch (IOException e) {
      throw new ApplyException("cannot read the live file " + path + ": " + e.getMessage(), e);
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
