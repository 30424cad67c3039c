package dev.muster.agent;

import dev.muster.agent.AgentConfig.Reload;
import dev.muster.discovery.Sink;
import dev.muster.discovery.internal.AtomicFiles;
import dev.muster.kamailio.Kamailio;
import dev.muster.kamailio.RtpengineTable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Kamailio's rtpengine nodes: the module's {@code db_text} table ({@code file}, in the directory of
 * its {@code db_url}), {@code rtpengine.reload} over JSON-RPC once the module allows it, read back
 * with {@code rtpengine.show all}. The {@code version} table beside it is written once if missing.
 *
 * @param rpc Kamailio's JSON-RPC URL
 * @param sets the rtpengine set of each backend
 */
record RtpengineOutput(
    String name,
    Path file,
    List<String> backends,
    Reload reload,
    URI rpc,
    Map<String, Integer> sets)
    implements Output {

  @Override
  public String kind() {
    return "rtpengine";
  }

  @Override
  public Map<String, Path> reads() {
    return Output.paths("reload.master_socket", masterSocket());
  }

  @Override
  public String details() {
    return "; rtpengine.reload over JSON-RPC " + rpc + ", sets " + sets;
  }

  @Override
  public Sink sink(Context context) {
    RtpengineTable.Builder table = Kamailio.rtpengine();
    sets.forEach(table::set);
    if (context.dryRun() == null) {
      writeVersionTable();
    }
    return Sink.of(
            table.build(),
            context.target(
                this,
                dev.muster.discovery.Validator.NONE,
                Context.reloader(this, Kamailio.rtpengineReloader(rpc, file).build())))
        .withDrain(Kamailio.drainMedia(context.clock(), context.sleeper()));
  }

  /** The {@code version} table the module checks, beside the table, if it is not there. */
  private void writeVersionTable() {
    Path version = file.resolveSibling("version");
    if (Files.exists(version)) {
      return;
    }
    try {
      AtomicFiles.write(
          version, RtpengineTable.VERSION_TABLE.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the db_text version table " + version, e);
    }
  }
}
