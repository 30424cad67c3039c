package dev.muster.discovery;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Validators and reloaders that run a command, for example {@code Command.validator("haproxy",
 * "-c", "-f", Command.FILE)} or {@code Command.reloader("systemctl", "reload", "haproxy")}. The
 * command runs without a shell; a failure names the command, its exit code and the tail of its
 * output.
 *
 * <p>Immutable and thread-safe.
 */
public final class Command implements Validator, Reloader {
  /** The placeholder replaced by the candidate file's path in a validator's arguments. */
  public static final String FILE = "{file}";

  private static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(30);
  private static final int TAIL = 2000;

  private final List<String> argv;
  private final Duration timeout;
  private final ProcessRunner runner;

  private Command(List<String> argv, Duration timeout, ProcessRunner runner) {
    if (argv.isEmpty() || argv.get(0).isBlank()) {
      throw new IllegalArgumentException("a command needs at least a program name");
    }
    if (timeout.isNegative() || timeout.isZero()) {
      throw new IllegalArgumentException("command timeout must be positive: " + timeout);
    }
    this.argv = List.copyOf(argv);
    this.timeout = timeout;
    this.runner = Objects.requireNonNull(runner, "runner");
  }

  /** A validator running {@code argv} with {@link #FILE} replaced by the candidate's path. */
  public static Command validator(String... argv) {
    Command command = new Command(List.of(argv), DEFAULT_TIMEOUT, ProcessRunner.SYSTEM);
    if (!command.argv.contains(FILE)) {
      throw new IllegalArgumentException(
          "a validator command must name the candidate file "
              + "with "
              + FILE
              + ": "
              + String.join(" ", argv));
    }
    return command;
  }

  /** A reloader running {@code argv}. */
  public static Command reloader(String... argv) {
    return new Command(List.of(argv), DEFAULT_TIMEOUT, ProcessRunner.SYSTEM);
  }

  /** The same command with another timeout (30 s unless set). */
  public Command withTimeout(Duration timeout) {
    return new Command(argv, Objects.requireNonNull(timeout, "timeout"), runner);
  }

  /** The same command run by {@code runner}. */
  public Command withRunner(ProcessRunner runner) {
    return new Command(argv, timeout, runner);
  }

  /** Runs the command with {@link #FILE} replaced by {@code candidate}. */
  @Override
  public void validate(Path candidate) {
    List<String> resolved = new ArrayList<>(argv.size());
    for (String arg : argv) {
      resolved.add(arg.replace(FILE, candidate.toString()));
    }
    run(resolved, "validation");
  }

  /** Runs the command. */
  @Override
  public void reload() {
    run(argv, "reload");
  }

  private void run(List<String> command, String step) {
    ProcessRunner.Result result;
    try {
      result = runner.run(command, timeout);
    } catch (RuntimeException e) {
      throw new ApplyException(step + " failed: " + e.getMessage(), e);
    }
    if (!result.succeeded()) {
      String how =
          result.timedOut()
              ? "timed out after " + timeout.toMillis() + " ms"
              : "exited " + result.exitCode();
      String output = (result.stderr() + result.stdout()).strip();
      String message =
          step
              + " failed: `"
              + String.join(" ", command)
              + "` "
              + how
              + (output.isEmpty() ? "" : ": " + tail(output));
      // A checker that ran and said no refused the candidate; a timeout says nothing about it.
      throw step.equals("validation") && !result.timedOut()
          ? ApplyException.rejected(message, null)
          : new ApplyException(message);
    }
  }

  private static String tail(String text) {
    return text.length() <= TAIL ? text : "..." + text.substring(text.length() - TAIL);
  }

  @Override
  public String toString() {
    return String.join(" ", argv);
  }
}
