package dev.muster.agent;

import dev.muster.agent.AgentConfig.Account;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.snakeyaml.engine.v2.nodes.MappingNode;
import org.snakeyaml.engine.v2.nodes.Node;
import org.snakeyaml.engine.v2.nodes.SequenceNode;

/** Reads where a backend looks: one region and role, or a list of accounts. */
final class AccountReader {
  private static final Pattern ROLE_ARN =
      Pattern.compile("arn:aws[a-z-]*:iam::[0-9]{12}:role/[A-Za-z0-9+=,.@_/-]{1,512}");

  private final Nodes n;

  AccountReader(Nodes n) {
    this.n = n;
  }

  /**
   * Where a backend looks: {@code region}, {@code role_arn} and {@code external_id} on the backend
   * for one place, or {@code accounts:} a list of such mappings for several (members merged, each
   * tagged with its region and account). Empty: {@code aws.region} with the agent's credentials.
   */
  List<Account> read(Map<String, Node> keys, String path) {
    Node list = keys.get("accounts");
    boolean single =
        keys.containsKey("region")
            || keys.containsKey("role_arn")
            || keys.containsKey("external_id");
    if (list != null && single) {
      n.problem(
          list,
          path + ".accounts",
          "replaces region, role_arn and external_id: use one or the other");
      return List.of();
    }
    if (single) {
      Account a = account(keys, path);
      return a == null ? List.of() : List.of(a);
    }
    if (list == null) {
      return List.of();
    }
    if (!(list instanceof SequenceNode seq) || seq.getValue().isEmpty()) {
      n.problem(list, path + ".accounts", "must be a list of {region, role_arn, external_id}");
      return List.of();
    }
    List<Account> out = new ArrayList<>();
    for (int i = 0; i < seq.getValue().size(); i++) {
      String at = path + ".accounts[" + i + "]";
      MappingNode m = n.mapping(seq.getValue().get(i), at);
      if (m != null) {
        Account a = account(n.keys(m, at, "region", "role_arn", "external_id"), at);
        if (a != null) {
          if (out.contains(a)) {
            n.problem(m, at, "is listed twice");
          }
          out.add(a);
        }
      }
    }
    return List.copyOf(out);
  }

  private Account account(Map<String, Node> keys, String path) {
    String region = n.string(keys.get("region"), path + ".region");
    String role = n.string(keys.get("role_arn"), path + ".role_arn");
    String external = n.string(keys.get("external_id"), path + ".external_id");
    String regionProblem = region == null ? null : Regions.problem(region);
    if (regionProblem != null) {
      n.problem(keys.get("region"), path + ".region", regionProblem);
    }
    if (role != null && !ROLE_ARN.matcher(role).matches()) {
      n.problem(
          keys.get("role_arn"),
          path + ".role_arn",
          "must be an IAM role ARN like arn:aws:iam::123456789012:role/muster-read: " + role);
    }
    if (external != null && role == null) {
      n.problem(keys.get("external_id"), path + ".external_id", "needs role_arn");
    }
    return new Account(region, role, external);
  }
}
