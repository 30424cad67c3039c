package dev.muster.haproxy;

import dev.muster.discovery.ApplyException;
import dev.muster.haproxy.internal.RuntimeApi;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * HAProxy's runtime API as runtime mode sees it, in memory: servers loaded from the configuration
 * file (as HAProxy does at start and on reload), commands that change them, and health checks and
 * sessions the test decides. Commands can be made to fail, as when HAProxy restarts under them.
 */
final class FakeRuntimeApi implements RuntimeApi {
  private static final Pattern BACKEND = Pattern.compile("^backend (\\S+)$");
  private static final Pattern SERVER = Pattern.compile("^\\s+server (\\S+) (.*)$");

  /** One server's state. */
  static final class Server {
    int id;
    String address;
    int port;
    int weight = 1;
    int maxconn;
    boolean backup;
    boolean maint;
    boolean drain;
    boolean forcedDown;
    boolean check;
    boolean healthEnabled = true;
    long sessions;

    /** A server from the arguments of a server line or of {@code add server}. */
    static Server parse(String args) {
      Server server = new Server();
      String[] a = args.split(" ");
      int colon = a[0].lastIndexOf(':');
      server.address = a[0].substring(0, colon).replace("[", "").replace("]", "");
      server.port = Integer.parseInt(a[0].substring(colon + 1));
      for (int i = 1; i < a.length; i++) {
        switch (a[i]) {
          case "id" -> server.id = Integer.parseInt(a[++i]);
          case "weight" -> server.weight = Integer.parseInt(a[++i]);
          case "maxconn" -> server.maxconn = Integer.parseInt(a[++i]);
          case "backup" -> server.backup = true;
          case "disabled" -> server.maint = true;
          case "check" -> server.check = true;
          default -> {
            // inter 1s, pool-max-conn -1 and the like
          }
        }
      }
      return server;
    }
  }

  /** Every command sent, in order. */
  final java.util.List<String> log = new java.util.ArrayList<>();

  /** Servers that still hold connections: {@code del server} is refused for them. */
  final Set<String> connected = new HashSet<>();

  final Map<String, Map<String, Server>> backends = new LinkedHashMap<>();

  /** Addresses whose health checks pass. */
  final Set<String> healthy = new HashSet<>();

  final Map<String, Long> sessionsByAddress = new HashMap<>();

  /** The number of the command that fails once (counting from 1), or 0 for none. */
  int failAt;

  int commands;

  /** Loads the servers from {@code config}, as HAProxy does when it starts or reloads. */
  void load(Path config) {
    try {
      backends.clear();
      Map<String, Server> current = null;
      for (String line : Files.readAllLines(config)) {
        Matcher b = BACKEND.matcher(line);
        if (b.matches()) {
          current = new LinkedHashMap<>();
          backends.put(b.group(1), current);
          continue;
        }
        Matcher s = SERVER.matcher(line);
        if (current != null && s.matches()) {
          Server server = Server.parse(s.group(2));
          if (server.id == 0) {
            server.id = current.size() + 1; // HAProxy numbers servers without an id by position
          }
          current.put(s.group(1), server);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  Server server(String backend, String name) {
    return backends.get(backend).get(name);
  }

  /** The name of the server at {@code address}, or null. */
  String serverAt(String backend, String address) {
    return backends.get(backend).entrySet().stream()
        .filter(e -> e.getValue().address.equals(address))
        .map(Map.Entry::getKey)
        .findFirst()
        .orElse(null);
  }

  private void maybeFail() {
    commands++;
    if (commands == failAt) {
      throw new ApplyException("HAProxy runtime API admin.sock: did not answer within 5000 ms");
    }
  }

  private Map<String, Server> backend(String backend) {
    Map<String, Server> servers = backends.get(backend);
    if (servers == null) {
      throw new dev.muster.haproxy.internal.NoSuchBackendException(backend, "not in its file");
    }
    return servers;
  }

  @Override
  public void addServer(String backend, String name, String args) {
    maybeFail();
    log.add("add server " + backend + "/" + name + " " + args);
    Map<String, Server> servers = backend(backend);
    Server server = Server.parse(args);
    if (servers.containsKey(name)) {
      throw new ApplyException(
          "HAProxy refused add server: Already exists a server with the same name in backend.");
    }
    if (servers.values().stream().anyMatch(s -> s.id == server.id)) {
      throw new ApplyException(
          "HAProxy refused add server: 'id' : custom id " + server.id + " already used");
    }
    server.maint = true;
    server.healthEnabled = false;
    servers.put(name, server);
  }

  @Override
  public boolean delServer(String backend, String name) {
    maybeFail();
    log.add("del server " + backend + "/" + name);
    Server s = backend(backend).get(name);
    if (s == null) {
      throw new ApplyException("HAProxy refused del server: No such server.");
    }
    if (!s.maint) {
      throw new ApplyException(
          "HAProxy refused del server: Only servers in maintenance mode can be deleted.");
    }
    if (connected.contains(name)) {
      return false;
    }
    backend(backend).remove(name);
    return true;
  }

  @Override
  public void enableHealth(String backend, String name) {
    maybeFail();
    log.add("enable health " + backend + "/" + name);
    server(backend, name).healthEnabled = true;
  }

  @Override
  public void setMaxconn(String backend, String name, int maxconn) {
    maybeFail();
    log.add("set maxconn server " + backend + "/" + name + " " + maxconn);
    server(backend, name).maxconn = maxconn;
  }

  @Override
  public void setServer(String backend, String name, String args) {
    maybeFail();
    log.add("set server " + backend + "/" + name + " " + args);
    Server s = backend(backend).get(name);
    if (s == null) {
      throw new ApplyException(
          "HAProxy refused `set server " + backend + "/" + name + "`: No " + "such server.");
    }
    String[] a = args.split(" ");
    switch (a[0]) {
      case "addr" -> {
        s.address = a[1];
        s.port = Integer.parseInt(a[3]);
      }
      case "weight" -> s.weight = Integer.parseInt(a[1]);
      case "health" -> s.forcedDown = true;
      case "state" -> {
        s.maint = a[1].equals("maint");
        s.drain = a[1].equals("drain");
      }
      default -> throw new ApplyException("unknown command " + args);
    }
  }

  @Override
  public Map<String, ServerState> serversState(String backend) {
    maybeFail();
    Map<String, ServerState> out = new LinkedHashMap<>();
    backend(backend)
        .forEach(
            (name, s) -> {
              boolean passes = healthy.contains(s.address) && s.healthEnabled;
              if (passes) {
                s.forcedDown = false; // the next check result replaces a forced one
              }
              int admin = (s.maint ? FMAINT : 0) | (s.drain ? FDRAIN : 0);
              int op = s.maint ? 0 : (!s.check || passes) && !s.forcedDown ? RUNNING : 0;
              out.put(
                  name,
                  new ServerState(
                      name,
                      s.id,
                      s.address,
                      s.port,
                      op,
                      admin,
                      s.weight,
                      s.check ? CHECK_CONFIGURED : 0,
                      passes ? CHECK_PASSED : 2));
            });
    return out;
  }

  /** How many times {@code show stat} was asked for. */
  int statsReads;

  @Override
  public Map<String, ServerStat> stats(String backend) {
    maybeFail();
    statsReads++;
    Map<String, ServerStat> out = new HashMap<>();
    backend(backend)
        .forEach(
            (name, s) ->
                out.put(
                    name,
                    new ServerStat(
                        s.drain || !s.maint ? sessionsByAddress.getOrDefault(s.address, 0L) : 0,
                        s.backup,
                        s.maxconn)));
    return out;
  }
}
