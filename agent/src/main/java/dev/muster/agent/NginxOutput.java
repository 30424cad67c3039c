package dev.muster.agent;

import dev.muster.agent.AgentConfig.Reload;
import dev.muster.discovery.Sink;
import dev.muster.nginx.Nginx;
import dev.muster.nginx.NginxConfig;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * nginx: an include of {@code upstream} blocks, checked with {@code nginx -t} inside the main
 * config, then a graceful reload. A drain waits for the workers from before the reload to exit.
 *
 * @param mainConfig the {@code nginx.conf} that includes {@code file}
 * @param template a whole-file template, or {@code null} for the built-in one
 * @param backendOptions per backend, lines at the top of its {@code upstream}
 */
record NginxOutput(
    String name,
    Path file,
    List<String> backends,
    Reload reload,
    Path mainConfig,
    Path template,
    Map<String, String> backendOptions)
    implements Output {

  @Override
  public String kind() {
    return "nginx";
  }

  @Override
  public Map<String, Path> reads() {
    return Output.paths(
        "main_config", mainConfig,
        "template", template,
        "reload.master_socket", masterSocket());
  }

  @Override
  public Sink sink(Context context) {
    NginxConfig.Builder renderer = context.zoned(Nginx.renderer());
    backendOptions.forEach(renderer::upstreamOptions);
    if (template != null) {
      renderer.template(template);
    }
    return Sink.of(
            renderer.build(),
            context.target(
                this,
                Nginx.validator(mainConfig, file),
                Context.reloader(this, Nginx.reloader(mainConfig))))
        .withDrain(Nginx.drainOldWorkers(mainConfig, context.clock(), context.sleeper()));
  }
}
