package dev.muster.nginx;

import dev.muster.discovery.ApplyException;
import dev.muster.discovery.Command;
import dev.muster.discovery.Validator;
import dev.muster.discovery.internal.IoErrors;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Checks a candidate include file with {@code nginx -t} against your own main configuration: a
 * temporary copy of the main file, written beside it (so relative includes resolve the same),
 * includes the candidate where the main file includes the live file. The live file is untouched,
 * and the check sees the candidate in its real context.
 *
 * <p>The main file must name the live include file in an {@code include} directive, by its absolute
 * path or by the path relative to the main file's directory.
 */
public final class NginxValidator implements Validator {
  private final Path mainConfig;
  private final Path liveInclude;
  private final Duration timeout;
  private final List<String> extraArgs;

  /**
   * @param mainConfig the main configuration, as given to {@code nginx -c}
   * @param liveInclude the include file Muster writes
   */
  NginxValidator(Path mainConfig, Path liveInclude) {
    this(mainConfig, liveInclude, Duration.ofSeconds(30), List.of());
  }

  private NginxValidator(
      Path mainConfig, Path liveInclude, Duration timeout, List<String> extraArgs) {
    this.mainConfig = mainConfig.toAbsolutePath().normalize();
    this.liveInclude = liveInclude.toAbsolutePath().normalize();
    this.timeout = Objects.requireNonNull(timeout, "timeout");
    this.extraArgs = List.copyOf(extraArgs);
  }

  /** The same validator also passing {@code args} to nginx, e.g. {@code -p PREFIX}. */
  public NginxValidator withArgs(String... args) {
    return new NginxValidator(mainConfig, liveInclude, timeout, List.of(args));
  }

  @Override
  public void validate(Path candidate) {
    String main;
    try {
      main = Files.readString(mainConfig);
    } catch (IOException e) {
      throw new ApplyException("validation failed: cannot read " + IoErrors.describe(e), e);
    }
    String absolute = liveInclude.toString();
    String relative = mainConfig.getParent().relativize(liveInclude).toString();
    String swapped;
    if (main.contains(absolute)) {
      swapped = main.replace(absolute, candidate.toAbsolutePath().toString());
    } else if (main.contains(relative)) {
      swapped = main.replace(relative, candidate.toAbsolutePath().toString());
    } else {
      throw new ApplyException(
          "validation failed: "
              + mainConfig
              + " does not include "
              + absolute
              + " (nor "
              + relative
              + "), so nginx -t cannot check the candidate");
    }
    Path copy = null;
    try {
      copy =
          Files.createTempFile(
              mainConfig.getParent(), "." + mainConfig.getFileName() + ".", ".muster-check");
      Files.writeString(copy, swapped);
      List<String> argv = new ArrayList<>(List.of("nginx", "-t", "-q", "-c", Command.FILE));
      argv.addAll(extraArgs);
      // -q keeps nginx quiet on success; errors still go to stderr and into the message.
      Command.validator(argv.toArray(String[]::new)).withTimeout(timeout).validate(copy);
    } catch (ApplyException e) {
      String message =
          e.getMessage().replace(String.valueOf(copy), mainConfig + " (with the candidate)");
      throw e.rejected() ? ApplyException.rejected(message, e) : new ApplyException(message, e);
    } catch (IOException e) {
      throw new ApplyException(
          "validation failed: cannot write a copy of " + mainConfig + ": " + IoErrors.describe(e),
          e);
    } finally {
      if (copy != null) {
        try {
          Files.deleteIfExists(copy);
        } catch (IOException e) {
          // a leftover hidden file; harmless
        }
      }
    }
  }

  @Override
  public String toString() {
    return "nginx -t -c " + mainConfig;
  }
}
