package dev.muster.agent;

import dev.muster.agent.AgentConfig.Reload;
import dev.muster.discovery.Sink;
import dev.muster.kamailio.AddressList;
import dev.muster.kamailio.Kamailio;
import java.net.URI;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Trusted sources for Kamailio's permissions module: its {@code address_file}, one group per
 * backend, {@code permissions.addressReload} over JSON-RPC, read back with {@code
 * permissions.addressDump}. A drained source stays trusted until it is gone.
 *
 * @param rpc Kamailio's JSON-RPC URL
 * @param groups the group of each backend
 * @param matchPort whether a record holds the member's port (else 0: any)
 */
record PermissionsOutput(
    String name,
    Path file,
    List<String> backends,
    Reload reload,
    URI rpc,
    Map<String, Integer> groups,
    boolean matchPort)
    implements Output {

  @Override
  public String kind() {
    return "permissions";
  }

  /** A draining source still sends (in-dialog requests, DMQ): it is trusted until it is gone. */
  @Override
  public boolean keepsDrainingMembers() {
    return true;
  }

  @Override
  public Map<String, Path> reads() {
    return Output.paths("reload.master_socket", masterSocket());
  }

  @Override
  public String details() {
    return "; permissions.addressReload over JSON-RPC " + rpc + ", groups " + groups;
  }

  @Override
  public Sink sink(Context context) {
    AddressList.Builder list = Kamailio.permissions().matchPort(matchPort);
    groups.forEach(list::group);
    return Sink.of(
        list.build(),
        context.target(
            this,
            dev.muster.discovery.Validator.NONE,
            Context.reloader(this, Kamailio.permissionsReloader(rpc, file).build())));
  }
}
