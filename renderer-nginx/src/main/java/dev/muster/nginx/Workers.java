package dev.muster.nginx;

import dev.muster.discovery.ApplyException;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * nginx's workers of earlier configurations, which finish their connections after a graceful reload
 * ({@code nginx: worker process is shutting down}): the children of the master whose pid file the
 * main configuration names, read from {@code /proc} (Linux).
 */
final class Workers {
  private static final Pattern PID = Pattern.compile("(?m)^\\s*pid\\s+([^;\\s]+)\\s*;");
  private static final Path DEFAULT_PID = Path.of("/run/nginx.pid");

  private Workers() {}

  static Set<Long> workers(Path mainConfig, Path proc) {
    long master = masterPid(mainConfig);
    Set<Long> workers = new TreeSet<>();
    try (DirectoryStream<Path> processes = Files.newDirectoryStream(proc, "[0-9]*")) {
      for (Path p : processes) {
        if (parent(p) == master) {
          workers.add(Long.parseLong(p.getFileName().toString()));
        }
      }
    } catch (IOException e) {
      throw new ApplyException("cannot list " + proc + ": " + e.getMessage(), e);
    }
    return workers;
  }

  /** The master's pid, from the pid file that {@code mainConfig} names (or nginx's default). */
  static long masterPid(Path mainConfig) {
    try {
      Matcher m = PID.matcher(Files.readString(mainConfig));
      Path pidFile = m.find() ? mainConfig.resolveSibling(m.group(1)) : DEFAULT_PID;
      return Long.parseLong(Files.readString(pidFile).strip());
    } catch (IOException | NumberFormatException e) {
      throw new ApplyException(
          "cannot read nginx's master pid for " + mainConfig + ": " + e.getMessage(), e);
    }
  }

  private static long parent(Path process) {
    try {
      String stat = Files.readString(process.resolve("stat"));
      // pid (comm) state ppid ...: comm may hold spaces and parentheses, so read after the last
      // ')'.
      String[] rest = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
      return Long.parseLong(rest[1]);
    } catch (IOException | RuntimeException e) {
      return -1; // gone while listed, or not readable
    }
  }
}
