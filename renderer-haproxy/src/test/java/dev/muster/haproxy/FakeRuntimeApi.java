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
  private static final Pattern SERVER =
      Pattern.compile(
          "^\\s+server (\\S+) (\\S+):(\\d+)(?: weight (\\d+))?.*?( disabled)?( check.*)?$");

  /** One server's state. */
  static final class Server {
    String address;
    int port;
    int weight;
    boolean maint;
    boolean drain;
    boolean forcedDown;
    boolean check;
    long sessions;
  }

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
          Server server = new Server();
          server.address = s.group(2);
          server.port = Integer.parseInt(s.group(3));
          server.weight = s.group(4) == null ? 1 : Integer.parseInt(s.group(4));
          server.maint = line.contains(" disabled");
          server.check = line.contains(" check");
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

  /** The server that has {@code address}, or null. */
  String slotOf(String backend, String address) {
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
  public void setServer(String backend, String name, String args) {
    maybeFail();
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
              boolean passes = healthy.contains(s.address);
              if (passes) {
                s.forcedDown = false; // the next check result replaces a forced one
              }
              int admin = (s.maint ? FMAINT : 0) | (s.drain ? FDRAIN : 0);
              int op = s.maint ? 0 : (!s.check || passes) && !s.forcedDown ? RUNNING : 0;
              out.put(
                  name,
                  new ServerState(
                      name,
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

  @Override
  public Map<String, Long> sessions(String backend) {
    maybeFail();
    Map<String, Long> out = new HashMap<>();
    backend(backend)
        .forEach((name, s) -> out.put(name, sessionsByAddress.getOrDefault(s.address, 0L)));
    return out;
  }
}
