package dev.muster.discovery;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Commands run as real processes, without a shell. */
class CommandTest {

  @Test
  void validatorPassesTheCandidatePath() {
    Command.validator("/bin/sh", "-c", "test \"$0\" = /tmp/x.cfg", Command.FILE)
        .validate(Path.of("/tmp/x.cfg"));
  }

  @Test
  void failureNamesTheCommandExitCodeAndOutput() {
    ApplyException e =
        assertThrows(
            ApplyException.class,
            () ->
                Command.reloader(
                        "/bin/sh", "-c", "echo 'config line 3: unknown keyword' >&2; exit 3")
                    .reload());

    assertTrue(e.getMessage().startsWith("reload failed: `/bin/sh -c"), e.getMessage());
    assertTrue(e.getMessage().contains("exited 3"), e.getMessage());
    assertTrue(e.getMessage().contains("unknown keyword"), e.getMessage());
  }

  @Test
  void overrunningCommandIsKilledAndReported() {
    ApplyException e =
        assertThrows(
            ApplyException.class,
            () ->
                Command.reloader("/bin/sleep", "30").withTimeout(Duration.ofMillis(200)).reload());

    assertTrue(e.getMessage().contains("timed out after 200 ms"), e.getMessage());
  }

  @Test
  void missingProgramIsAnApplyFailure() {
    ApplyException e =
        assertThrows(
            ApplyException.class, () -> Command.reloader("/nonexistent/muster-proxy").reload());

    assertTrue(e.getMessage().contains("cannot start"), e.getMessage());
  }

  @Test
  void validatorMustNameTheFile() {
    assertThrows(IllegalArgumentException.class, () -> Command.validator("haproxy", "-c"));
  }
}
