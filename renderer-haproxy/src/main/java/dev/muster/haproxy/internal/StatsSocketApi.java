package dev.muster.haproxy.internal;

import dev.muster.discovery.ApplyException;
import dev.muster.discovery.internal.UnixSocketCli;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@link RuntimeApi} over the stats socket ({@code stats socket PATH level admin}), one command per
 * connection, each bounded by a 5 s timeout. Column positions are found by name from the header
 * lines, not assumed.
 */
public final class StatsSocketApi implements RuntimeApi {
  private final UnixSocketCli cli;

  public StatsSocketApi(Path statsSocket) {
    this.cli = new UnixSocketCli(statsSocket, Duration.ofSeconds(5));
  }

  /** Sends a command and returns the answer. */
  public String command(String command) {
    try {
      return cli.send(command);
    } catch (IOException e) {
      throw new ApplyException("HAProxy runtime API " + cli.socket() + ": " + e.getMessage(), e);
    }
  }

  @Override
  public void setServer(String backend, String server, String args) {
    String command = "set server " + backend + "/" + server + " " + args;
    String answer = command(command).strip();
    if (!answer.isEmpty()
        && !answer.contains("changed from")
        && !answer.startsWith("no need to change")) {
      throw new ApplyException("HAProxy refused `" + command + "`: " + answer);
    }
  }

  @Override
  public void addServer(String backend, String server, String args) {
    String command = "add server " + backend + "/" + server + " " + args;
    String answer = command(command).strip();
    if (!answer.startsWith("New server registered")) {
      throw new ApplyException("HAProxy refused `" + command + "`: " + answer);
    }
  }

  @Override
  public boolean delServer(String backend, String server) {
    String command = "del server " + backend + "/" + server;
    String answer = command(command).strip();
    if (answer.startsWith("Server deleted")) {
      return true;
    }
    if (answer.contains("still has connections")) {
      return false;
    }
    throw new ApplyException("HAProxy refused `" + command + "`: " + answer);
  }

  @Override
  public void enableHealth(String backend, String server) {
    expectSilence("enable health " + backend + "/" + server);
  }

  @Override
  public void setMaxconn(String backend, String server, int maxconn) {
    expectSilence("set maxconn server " + backend + "/" + server + " " + maxconn);
  }

  private void expectSilence(String command) {
    String answer = command(command).strip();
    if (!answer.isEmpty()) {
      throw new ApplyException("HAProxy refused `" + command + "`: " + answer);
    }
  }

  @Override
  public Map<String, ServerState> serversState(String backend) {
    String answer = command("show servers state " + backend);
    List<String> lines = answer.lines().toList();
    List<String> header = null;
    Map<String, ServerState> servers = new LinkedHashMap<>();
    for (String line : lines) {
      if (line.startsWith("# be_id")) {
        header = Arrays.asList(line.substring(2).split(" "));
        continue;
      }
      if (header == null || line.isBlank() || line.startsWith("#")) {
        continue;
      }
      String[] f = line.split(" ");
      if (f.length < header.size()) {
        continue;
      }
      String name = f[header.indexOf("srv_name")];
      servers.put(
          name,
          new ServerState(
              name,
              Integer.parseInt(f[header.indexOf("srv_id")]),
              f[header.indexOf("srv_addr")],
              Integer.parseInt(f[header.indexOf("srv_port")]),
              Integer.parseInt(f[header.indexOf("srv_op_state")]),
              Integer.parseInt(f[header.indexOf("srv_admin_state")]),
              Integer.parseInt(f[header.indexOf("srv_uweight")]),
              Integer.parseInt(f[header.indexOf("srv_check_state")]),
              Integer.parseInt(f[header.indexOf("srv_check_result")])));
    }
    if (header == null) {
      throw new NoSuchBackendException(backend, "show servers state: " + answer.strip());
    }
    return servers;
  }

  @Override
  public Map<String, ServerStat> stats(String backend) {
    String answer = command("show stat " + backend + " 4 -1");
    Map<String, ServerStat> stats = new HashMap<>();
    List<String> header = null;
    for (String line : answer.lines().toList()) {
      if (line.startsWith("# pxname")) {
        header = Arrays.asList(line.substring(2).split(","));
        continue;
      }
      if (header == null || line.isBlank()) {
        continue;
      }
      String[] f = line.split(",", -1);
      String server = f[header.indexOf("svname")];
      long scur = parse(f[header.indexOf("scur")]);
      long qcur = parse(f[header.indexOf("qcur")]);
      boolean backup = parse(f[header.indexOf("bck")]) == 1;
      int maxconn = (int) parse(f[header.indexOf("slim")]);
      stats.put(server, new ServerStat(scur + qcur, backup, maxconn));
    }
    return stats;
  }

  private static long parse(String text) {
    return text.isEmpty() ? 0 : Long.parseLong(text);
  }
}
