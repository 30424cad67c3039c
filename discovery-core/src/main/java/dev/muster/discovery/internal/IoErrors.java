package dev.muster.discovery.internal;

import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;

/**
 * Turns an I/O error into words a user can act on: the JDK's {@code NoSuchFileException} says only
 * the path, and a decoding error says {@code Input length = 1}.
 */
public final class IoErrors {
  private IoErrors() {}

  /** For example {@code /etc/x: Permission denied} or {@code /etc/x: not valid UTF-8}. */
  public static String describe(IOException e) {
    if (e instanceof CharacterCodingException) {
      return "not valid UTF-8 (" + e.getMessage() + ")";
    }
    String kind =
        e instanceof AccessDeniedException
            ? "Permission denied"
            : e instanceof NoSuchFileException
                ? "No such file or directory"
                : e instanceof FileSystemException f && f.getReason() != null
                    ? f.getReason()
                    : null;
    String message = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    return kind == null || message.contains(kind) ? message : message + ": " + kind;
  }
}
