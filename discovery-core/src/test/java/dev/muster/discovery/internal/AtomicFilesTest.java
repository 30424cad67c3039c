package dev.muster.discovery.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AtomicFilesTest {

  @Test
  void replacesTheFileAndLeavesNoTemporaryFileBehind(@TempDir Path dir) throws IOException {
    Path target = dir.resolve("sub/out.cfg");

    AtomicFiles.write(target, "one".getBytes());
    AtomicFiles.write(target, "two".getBytes());

    assertEquals("two", Files.readString(target));
    try (Stream<Path> files = Files.list(target.getParent())) {
      assertEquals(1, files.count());
    }
  }
}
