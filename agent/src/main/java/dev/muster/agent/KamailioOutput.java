package dev.muster.agent;

import dev.muster.agent.AgentConfig.Reload;
import dev.muster.discovery.Sink;
import dev.muster.kamailio.DispatcherList;
import dev.muster.kamailio.DispatcherReloader;
import dev.muster.kamailio.DispatcherSet;
import dev.muster.kamailio.Kamailio;
import java.net.URI;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Kamailio's dispatcher list: every line validated, {@code dispatcher.reload} over JSON-RPC, read
 * back. A drain waits until the dialog module counts no call through the drained members.
 *
 * @param rpc the JSON-RPC URL
 * @param sets the dispatcher set id of each backend
 * @param template a whole-file template, or {@code null} for the built-in one
 * @param maxEntries the longest list the checker accepts
 */
record KamailioOutput(
    String name,
    Path file,
    List<String> backends,
    Reload reload,
    URI rpc,
    Map<String, Integer> sets,
    Path template,
    int maxEntries)
    implements Output {

  @Override
  public String kind() {
    return "kamailio";
  }

  @Override
  public Map<String, Path> reads() {
    return Output.paths("template", template, "reload.master_socket", masterSocket());
  }

  @Override
  public String details() {
    return "; reload over JSON-RPC " + rpc + ", sets " + sets;
  }

  @Override
  public Sink sink(Context context) {
    DispatcherList.Builder renderer = context.zoned(Kamailio.renderer());
    sets.forEach((backend, id) -> renderer.set(backend, DispatcherSet.of(id)));
    if (template != null) {
      renderer.template(template);
    }
    DispatcherReloader dispatcher = Kamailio.reloader(rpc, file).build();
    // An empty list passes only if a backend of it may be empty (allow_empty).
    boolean mayBeEmpty = backends.stream().anyMatch(context.allowEmpty()::contains);
    return Sink.of(
            renderer.build(),
            context.target(
                this,
                Kamailio.validator(maxEntries, mayBeEmpty),
                Context.reloader(this, dispatcher)))
        .withDrain(Kamailio.drainCalls(dispatcher, context.clock(), context.sleeper()));
  }
}
