package dev.muster.haproxy.internal;

import dev.muster.discovery.ApplyException;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * HAProxy's runtime API on the stats socket ({@code level admin}): the few commands Muster
 * uses and parsers for their answers. Column positions are found by name from the header
 * lines, not assumed.
 */
public final class RuntimeApi {
  /** Admin state bits of {@code show servers state}. CMAINT (configured disabled) is 0x04. */
  public static final int FMAINT = 0x01;

  public static final int CMAINT = 0x04;
  public static final int FDRAIN = 0x08;
  /** {@code srv_op_state} of a server whose checks pass (or that has none). */
  public static final int RUNNING = 2;
  /** {@code srv_check_result} of a passed check. */
  public static final int CHECK_PASSED = 3;
  /** {@code srv_check_state} bit: a health check is configured. */
  public static final int CHECK_CONFIGURED = 0x02;

  /**
   * One server as {@code show servers state} reports it.
   *
   * @param name server name
   * @param address address
   * @param port port
   * @param opState operational state (0 stopped, 1 starting, 2 running, 3 stopping)
   * @param adminState admin state bit field
   * @param weight user weight
   * @param checkState health check state bits
   * @param checkResult last check result (0 unknown, 2 failed, 3 passed)
   */
  public record ServerState(String name, String address, int port, int opState, int adminState,
      int weight, int checkState, int checkResult) {
    /** Whether a health check is configured. */
    public boolean hasCheck() {
      return (checkState & CHECK_CONFIGURED) != 0;
    }

    /** Running and, if it has a check, with a passed check. */
    public boolean healthy() {
      return opState == RUNNING && (!hasCheck() || checkResult == CHECK_PASSED);
    }

    /** Ready for traffic: no maintenance or drain flag besides the leftover CMAINT. */
    public boolean ready() {
      return (adminState & ~CMAINT) == 0;
    }

    /** In forced maintenance. */
    public boolean maint() {
      return (adminState & FMAINT) != 0;
    }
  }

  private final UnixSocketCli cli;

  public RuntimeApi(Path statsSocket) {
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

  /** {@code set server BACKEND/SERVER ARGS}, failing on any answer but success. */
  public void setServer(String backend, String server, String args) {
    String command = "set server " + backend + "/" + server + " " + args;
    String answer = command(command).strip();
    if (!answer.isEmpty() && !answer.contains("changed from")
        && !answer.startsWith("no need to change")) {
      throw new ApplyException("HAProxy refused `" + command + "`: " + answer);
    }
  }

  /** {@code show servers state BACKEND}, by server name. */
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
      servers.put(name, new ServerState(name, f[header.indexOf("srv_addr")],
          Integer.parseInt(f[header.indexOf("srv_port")]),
          Integer.parseInt(f[header.indexOf("srv_op_state")]),
          Integer.parseInt(f[header.indexOf("srv_admin_state")]),
          Integer.parseInt(f[header.indexOf("srv_uweight")]),
          Integer.parseInt(f[header.indexOf("srv_check_state")]),
          Integer.parseInt(f[header.indexOf("srv_check_result")])));
    }
    if (header == null) {
      throw new ApplyException("HAProxy has no backend " + backend + " (show servers state: "
          + answer.strip() + ")");
    }
    return servers;
  }

  /** Current plus queued sessions per server, from {@code show stat BACKEND 4 -1}. */
  public Map<String, Long> sessions(String backend) {
    String answer = command("show stat " + backend + " 4 -1");
    Map<String, Long> sessions = new HashMap<>();
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
      sessions.put(server, scur + qcur);
    }
    return sessions;
  }

  private static long parse(String text) {
    return text.isEmpty() ? 0 : Long.parseLong(text);
  }
}
