package dev.muster.discovery.internal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * Replaces files so that readers see the old bytes or the new ones, never a mix: write a temporary
 * file beside the target, force it to disk, rename it over the target, force the directory. The new
 * file keeps the old one's mode and owner (or gets {@code rw-r--r--}).
 */
public final class AtomicFiles {
  private AtomicFiles() {}

  /** Writes {@code bytes} to {@code target} atomically. */
  public static void write(Path target, byte[] bytes) throws IOException {
    write(target, bytes, target);
  }

  /**
   * Writes {@code bytes} to {@code target} atomically, with the mode and owner of {@code
   * attributesFrom} (for a backup that must stay as private as the live file).
   */
  public static void write(Path target, byte[] bytes, Path attributesFrom) throws IOException {
    Path staged = stage(target, bytes, ".tmp", attributesFrom);
    try {
      commit(staged, target);
    } finally {
      Files.deleteIfExists(staged);
    }
  }

  /**
   * Writes {@code bytes} to a new hidden file beside {@code target}, on disk, with the target's
   * mode and owner; the caller validates it and then {@link #commit commits} or deletes it.
   */
  public static Path stage(Path target, byte[] bytes, String suffix) throws IOException {
    return stage(target, bytes, suffix, target);
  }

  private static Path stage(Path target, byte[] bytes, String suffix, Path attributesFrom)
      throws IOException {
    Path dir = target.toAbsolutePath().getParent();
    Files.createDirectories(dir);
    Path staged = Files.createTempFile(dir, "." + target.getFileName() + ".", suffix);
    try {
      try (FileChannel channel =
          FileChannel.open(
              staged, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
        ByteBuffer buffer = ByteBuffer.wrap(bytes);
        while (buffer.hasRemaining()) {
          channel.write(buffer);
        }
        channel.force(true);
      }
      copyAttributes(attributesFrom, staged);
      return staged;
    } catch (IOException | RuntimeException e) {
      Files.deleteIfExists(staged);
      throw e;
    }
  }

  /** Renames {@code staged} over {@code target} and forces the directory. */
  public static void commit(Path staged, Path target) throws IOException {
    try {
      Files.move(
          staged, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (AtomicMoveNotSupportedException e) {
      Files.move(staged, target, StandardCopyOption.REPLACE_EXISTING);
    }
    forceDirectory(target.toAbsolutePath().getParent());
  }

  /**
   * Deletes what a crash between {@link #stage} and {@link #commit} left beside {@code target}:
   * hidden {@code .NAME.*.candidate} and {@code .NAME.*.tmp} files.
   *
   * @return how many were deleted
   */
  public static int removeLeftovers(Path target) throws IOException {
    Path dir = target.toAbsolutePath().getParent();
    String prefix = "." + target.getFileName() + ".";
    int removed = 0;
    if (!Files.isDirectory(dir)) {
      return 0;
    }
    try (java.util.stream.Stream<Path> files = Files.list(dir)) {
      for (Path file : (Iterable<Path>) files::iterator) {
        String name = file.getFileName().toString();
        if (name.startsWith(prefix)
            && (name.endsWith(".candidate") || name.endsWith(".tmp"))
            && Files.isRegularFile(file, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
          Files.deleteIfExists(file);
          removed++;
        }
      }
    }
    return removed;
  }

  /** Creates an empty {@code file} (or keeps it) and makes sure it is on disk. */
  public static void touch(Path file) throws IOException {
    try (FileChannel channel =
        FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
      channel.force(true);
    }
    forceDirectory(file.toAbsolutePath().getParent());
  }

  private static void copyAttributes(Path from, Path to) throws IOException {
    PosixFileAttributeView view = Files.getFileAttributeView(to, PosixFileAttributeView.class);
    if (view == null) {
      return;
    }
    if (Files.exists(from)) {
      PosixFileAttributes attributes = Files.readAttributes(from, PosixFileAttributes.class);
      view.setPermissions(attributes.permissions());
      try {
        view.setOwner(attributes.owner());
        view.setGroup(attributes.group());
      } catch (IOException | SecurityException e) {
        // Only root may give a file away; the mode is what matters to the proxy.
      }
    } else {
      view.setPermissions(PosixFilePermissions.fromString("rw-r--r--"));
    }
  }

  private static void forceDirectory(Path dir) {
    try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ)) {
      channel.force(true);
    } catch (IOException e) {
      // Some file systems cannot open or sync a directory; the rename itself has happened.
    }
  }
}
