package dev.muster.agent;

import dev.muster.agent.AgentConfig.Reload;
import dev.muster.discovery.Drain;
import dev.muster.discovery.Member;
import dev.muster.discovery.Sink;
import dev.muster.discovery.Validator;
import dev.muster.kamailio.Kamailio;
import java.net.URI;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * The DMQ peers of the Kamailio node the agent runs on: every member of the backends but the node
 * itself (its instance id from IMDS) in the file Kamailio imports at its start, and {@code
 * dmq.remove} of a peer once it is gone from EC2. A drained peer stays a peer until then (its
 * dialogs keep replicating while its calls go on); the node's own drain marks it draining (new
 * calls 503) and waits for its own calls.
 *
 * @param rpc Kamailio's JSON-RPC URL
 */
record DmqOutput(String name, Path file, List<String> backends, Reload reload, URI rpc)
    implements Output {

  @Override
  public String kind() {
    return "dmq";
  }

  @Override
  public Map<String, Path> reads() {
    return Output.paths("reload.master_socket", masterSocket());
  }

  @Override
  public String details() {
    return "; dmq.remove over JSON-RPC " + rpc + " when a peer is gone";
  }

  @Override
  public boolean keepsDrainingMembers() {
    return true;
  }

  @Override
  public Sink sink(Context context) {
    // This instance's id, from IMDS when first needed (not by muster check).
    java.util.function.Supplier<String> self =
        () -> {
          try {
            return context.self().get();
          } catch (dev.muster.discovery.InstanceMetadataException e) {
            throw new dev.muster.discovery.RenderException(
                "output "
                    + name
                    + ": the DMQ peers leave out this node, whose instance id comes from IMDS: "
                    + e.getMessage(),
                e);
          }
        };
    return Sink.of(
            memberships -> Kamailio.dmqPeers().self(self.get()).build().render(memberships),
            context.target(
                this, Validator.NONE, Context.reloader(this, Kamailio.dmqReloader(rpc, file))))
        .withDrain(
            members ->
                members.stream().map(Member::instanceId).anyMatch(id -> id.equals(self.get()))
                    ? Kamailio.drainNode(
                        rpc, context.giveBackAfter(), context.clock(), context.sleeper())
                    : Drain.NONE);
  }
}
