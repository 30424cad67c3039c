package dev.muster.agent;

import java.nio.file.Path;

/**
 * The agent as {@code muster run} assembles it (the same reader, assembly, loops, events and status
 * listener), in the demo's process so that the demo can stop it.
 */
final class DemoAgent implements AutoCloseable {
  private final Assembly assembly;
  private final StatusServer status;

  private DemoAgent(Assembly assembly, StatusServer status) {
    this.assembly = assembly;
    this.status = status;
  }

  /** Reads {@code file}, builds and starts everything it describes. */
  static DemoAgent start(Path file) throws ConfigException {
    AgentConfig config = ConfigReader.read(file);
    Assembly assembly = Assembly.forLoop(config, config.aws().region());
    StatusServer status;
    try {
      status =
          StatusServer.start(
              config.status().host(),
              config.status().port(),
              () -> assembly,
              () -> new Run.ConfigStatus(file, java.time.Instant.now(), null, null),
              java.time.Clock.systemUTC());
    } catch (RuntimeException e) {
      assembly.close();
      throw e;
    }
    assembly.loops.values().forEach(loop -> loop.start());
    if (assembly.events != null) {
      assembly.events.start();
    }
    return new DemoAgent(assembly, status);
  }

  /** Whether every output applied what its backends published, with nothing pending. */
  boolean settled() {
    return assembly.pipelines.values().stream()
        .allMatch(p -> p.lastResult() != null && p.pendingSince() == null);
  }

  /** Whether every output tried to apply at least once (HAProxy may be missing in training). */
  boolean attempted() {
    return assembly.pipelines.values().stream().allMatch(p -> p.lastResult() != null);
  }

  @Override
  public void close() {
    status.close();
    assembly.close();
  }
}
