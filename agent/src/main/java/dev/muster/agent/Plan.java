package dev.muster.agent;

import dev.muster.agent.AgentConfig.Backend;

/** What a configuration will do, in words: the output of {@code muster check}. */
final class Plan {
  private Plan() {}

  static String of(AgentConfig config) {
    StringBuilder out = new StringBuilder();
    out.append(config.file()).append(": OK\n");
    out.append("aws: region ")
        .append(
            config.aws().region() == null
                ? "(AWS_REGION, profile, then IMDS)"
                : config.aws().region())
        .append(config.aws().endpoint() == null ? "" : ", endpoint " + config.aws().endpoint())
        .append('\n');
    out.append("backends:\n");
    for (Backend b : config.backends().values()) {
      out.append("  ")
          .append(b.name())
          .append(": ")
          .append(b.query())
          .append("; port ")
          .append(b.mapping().port())
          .append(", address ")
          .append(b.mapping().addressSource().name().toLowerCase().replace('_', '-'))
          .append("; every ")
          .append(b.loop().interval().toSeconds())
          .append(" s, guard ")
          .append(b.loop().minMembers())
          .append("+ members, ")
          .append(Math.round(b.loop().maxRemoval() * 100))
          .append("% removal held ")
          .append(b.loop().holdMin().toSeconds())
          .append(" s\n");
    }
    out.append("outputs:\n");
    for (Output o : config.outputs().values()) {
      out.append("  ")
          .append(o.name())
          .append(": ")
          .append(o.kind())
          .append(" -> ")
          .append(o.file())
          .append("; backends ")
          .append(String.join(", ", o.backends()));
      if (o.reload() != null) {
        out.append("; reload ")
            .append(
                o.reload().masterSocket() != null
                    ? "through the master CLI " + o.reload().masterSocket()
                    : "with " + String.join(" ", o.reload().command()));
      }
      out.append(o.details()).append('\n');
    }
    if (config.events() != null) {
      AgentConfig.Events e = config.events();
      out.append("events: ")
          .append(e.queue())
          .append(
              e.lifecycleHook() == null
                  ? "; refresh only (no lifecycle_hook)"
                  : "; drains before completing lifecycle hook "
                      + e.lifecycleHook()
                      + " (at most "
                      + e.drainTimeout().toSeconds()
                      + " s, heartbeat every "
                      + e.heartbeatInterval().toSeconds()
                      + " s)"
                      + (e.launchActions() ? ", completes launch actions" : ""))
          .append('\n');
    }
    if (config.status() != null) {
      out.append("status: http://")
          .append(config.status().host())
          .append(':')
          .append(config.status().port())
          .append("/status\n");
    }
    return out.toString();
  }
}
