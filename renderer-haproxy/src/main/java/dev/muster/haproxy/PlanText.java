package dev.muster.haproxy;

import dev.muster.haproxy.internal.DynamicPlan;
import dev.muster.haproxy.internal.RuntimeApi.ServerStat;
import dev.muster.haproxy.internal.RuntimeApi.ServerState;
import dev.muster.haproxy.internal.ServerSpec;
import java.util.List;
import java.util.Map;

/** A {@link DynamicPlan} in words, one line per server, for {@code muster render}. */
final class PlanText {
  private PlanText() {}

  static void describe(
      String backend,
      DynamicPlan plan,
      Map<String, ServerState> state,
      Map<String, ServerStat> stats,
      int wanted,
      List<String> lines) {
    plan.updates()
        .forEach(
            (name, spec) -> {
              ServerState held = state.get(name);
              ServerStat stat = stats.getOrDefault(name, ServerStat.NONE);
              StringBuilder line = new StringBuilder(backend + ": ~ " + name);
              if (held.weight() != spec.weight()) {
                line.append(" weight ").append(held.weight()).append(" -> ").append(spec.weight());
              }
              if (stat.maxconn() != spec.maxconn()) {
                line.append(" maxconn ")
                    .append(stat.maxconn())
                    .append(" -> ")
                    .append(spec.maxconn());
              }
              lines.add(line.append(" (in place)").toString());
            });
    for (String name : plan.leaving()) {
      ServerState held = state.get(name);
      lines.add(
          backend
              + ": - "
              + name
              + " "
              + endpoint(held)
              + (held.maint() ? " (in maint: del server)" : " (drain, maint, del server)"));
    }
    for (ServerSpec spec : plan.replaced()) {
      lines.add(
          backend
              + ": ~ "
              + spec.name()
              + " id "
              + state.get(spec.name()).id()
              + " -> "
              + spec.id()
              + (spec.backup() ? ", backup" : ", primary")
              + " (swapped: drained, deleted, added again)");
    }
    for (ServerSpec spec : plan.arriving()) {
      lines.add(
          backend
              + ": + "
              + spec.name()
              + " "
              + spec.endpoint()
              + " id "
              + spec.id()
              + (spec.backup() ? " backup" : "")
              + " (add server, ready once its check passes)");
    }
    for (String name : plan.handover()) {
      lines.add(
          backend
              + ": - "
              + name
              + " "
              + endpoint(state.get(name))
              + " (handed over: drained and deleted once its successor is ready)");
    }
    int same = wanted - plan.updates().size() - plan.replaced().size() - plan.arriving().size();
    lines.add(backend + ": " + same + " of " + wanted + " server(s) stay as they are");
  }

  private static String endpoint(ServerState s) {
    return s.address().indexOf(':') >= 0
        ? "[" + s.address() + "]:" + s.port()
        : s.address() + ":" + s.port();
  }
}
