package dev.muster.haproxy.internal;

import java.util.Map;

/**
 * The few commands of HAProxy's runtime API that runtime mode uses. {@link StatsSocketApi} speaks
 * them over the stats socket; tests use a fake. Every call fails with an {@code ApplyException}
 * rather than hang.
 */
public interface RuntimeApi {
  /** Admin state bits of {@code show servers state}. CMAINT (configured disabled) is 0x04. */
  int FMAINT = 0x01;

  int CMAINT = 0x04;
  int FDRAIN = 0x08;

  /** {@code srv_op_state} of a server whose checks pass (or that has none). */
  int RUNNING = 2;

  /** {@code srv_check_result} of a passed check. */
  int CHECK_PASSED = 3;

  /** {@code srv_check_state} bit: a health check is configured. */
  int CHECK_CONFIGURED = 0x02;

  /**
   * One server as {@code show servers state} reports it.
   *
   * @param name server name
   * @param id numeric server id
   * @param address address
   * @param port port
   * @param opState operational state (0 stopped, 1 starting, 2 running, 3 stopping)
   * @param adminState admin state bit field
   * @param weight user weight
   * @param checkState health check state bits
   * @param checkResult last check result (0 unknown, 2 failed, 3 passed)
   */
  record ServerState(
      String name,
      int id,
      String address,
      int port,
      int opState,
      int adminState,
      int weight,
      int checkState,
      int checkResult) {
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

  /**
   * One server as {@code show stat} reports it: what {@code show servers state} leaves out.
   *
   * @param sessions current plus queued sessions
   * @param backup whether it is a backup server
   * @param maxconn its {@code maxconn} (session limit), 0 for none
   */
  record ServerStat(long sessions, boolean backup, int maxconn) {
    /** What an unlisted server counts as: no sessions, not a backup, no limit. */
    public static final ServerStat NONE = new ServerStat(0, false, 0);
  }

  /** {@code set server BACKEND/SERVER ARGS}, failing on any answer but success. */
  void setServer(String backend, String server, String args);

  /**
   * {@code add server BACKEND/SERVER ARGS}: a new server, in maintenance with health checks off.
   */
  void addServer(String backend, String server, String args);

  /**
   * {@code del server BACKEND/SERVER} of a server in maintenance.
   *
   * @return false if HAProxy still holds connections to it (try again later)
   */
  boolean delServer(String backend, String server);

  /** {@code enable health BACKEND/SERVER}: starts the checks of a server added at runtime. */
  void enableHealth(String backend, String server);

  /** {@code set maxconn server BACKEND/SERVER N}; 0 removes the limit. */
  void setMaxconn(String backend, String server, int maxconn);

  /** {@code show servers state BACKEND}, by server name; fails if there is no such backend. */
  Map<String, ServerState> serversState(String backend);

  /** Sessions, backup flag and limit per server, from {@code show stat BACKEND 4 -1}. */
  Map<String, ServerStat> stats(String backend);
}
