package dev.muster.agent;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.snakeyaml.engine.v2.nodes.Node;

/**
 * Keeps outputs off the files the agent itself depends on: an output must not write (nor keep its
 * backup or pending marker at) the configuration file, a header, template or main config it reads,
 * a state file, or a socket it talks to; two outputs must not write one file; and an output's file
 * must not be a directory. Paths are compared as they really are: symbolic links resolved, {@code
 * ..} and relative paths made absolute, so another spelling of a file is the same file.
 */
final class OwnFiles {
  /** Where a problem goes: the node it is about, the setting's path, the message. */
  interface Problems {
    void add(Node node, String path, String message);
  }

  private final Path config;
  private final Path stateDir;
  private final Set<String> backends;
  private final Problems problems;

  OwnFiles(Path config, Path stateDir, Set<String> backends, Problems problems) {
    this.config = config;
    this.stateDir = stateDir;
    this.backends = backends;
    this.problems = problems;
  }

  /** Checks every output's file against the agent's own files and the other outputs. */
  void check(Map<String, Output> outputs, Map<String, Node> fileNodes) {
    Map<Path, String> own = new LinkedHashMap<>();
    own(own, config, "the configuration file");
    if (stateDir != null) {
      for (String backend : backends) {
        own(own, stateDir.resolve(backend + ".state"), "the state file of backend " + backend);
      }
    }
    outputs.forEach(
        (name, o) ->
            o.reads()
                .forEach((setting, path) -> own(own, path, "outputs." + name + "." + setting)));
    Map<Path, String> written = new LinkedHashMap<>();
    outputs.forEach(
        (name, o) -> {
          Node node = fileNodes.get(name);
          String setting = "outputs." + name + ".file";
          Path real = real(o.file());
          if (Files.isDirectory(real)) {
            problems.add(node, setting, "is a directory: " + o.file());
            return;
          }
          for (Path path : writes(real)) {
            String what = own.get(path);
            if (what != null) {
              problems.add(node, setting, "would overwrite " + what + " (" + path + ")");
            }
            String other = written.putIfAbsent(path, name);
            if (other != null && !other.equals(name)) {
              problems.add(
                  node, setting, "another output writes " + path + " (outputs." + other + ")");
            }
          }
        });
  }

  private static void own(Map<Path, String> own, Path path, String what) {
    if (path != null) {
      own.putIfAbsent(real(path), what);
    }
  }

  /** The files an output at {@code file} writes: the file, its backup and its pending marker. */
  private static List<Path> writes(Path file) {
    List<Path> paths = new ArrayList<>();
    paths.add(file);
    paths.add(file.resolveSibling(file.getFileName() + ".bak"));
    paths.add(file.resolveSibling("." + file.getFileName() + ".muster-pending"));
    return paths;
  }

  /**
   * {@code path} as it really is: absolute, normalised, and with every symbolic link of it or its
   * parents resolved (the part that does not exist yet is kept as written).
   */
  static Path real(Path path) {
    Path absolute = path.toAbsolutePath().normalize();
    Path existing = absolute;
    while (existing != null && !Files.exists(existing, LinkOption.NOFOLLOW_LINKS)) {
      existing = existing.getParent();
    }
    if (existing == null) {
      return absolute;
    }
    try {
      return existing.toRealPath().resolve(existing.relativize(absolute)).normalize();
    } catch (IOException e) {
      return absolute; // a dangling link: compared as written
    }
  }
}
