package dev.muster.haproxy;

import dev.muster.discovery.RenderException;
import dev.muster.discovery.TemplateRenderer;
import dev.muster.haproxy.internal.DynamicRules;
import dev.muster.haproxy.internal.ServerSpec;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The default file's settings and text: the default template's header, backends and server lines,
 * for servers given as {@link ServerSpec}s ({@code DefaultRenderingTest} holds the two equal).
 * Config-file mode without a template of its own writes it; runtime mode writes it from specs so
 * that a check can hold only the lines a change adds, with the ids and backup flags of the whole
 * membership.
 */
final class RuntimeFile {
  private final String header;
  private final String serverOptions;
  private final Map<String, String> backendOptions;
  private final Map<String, String> backendServerOptions;
  private final String zone;
  private final Map<String, Integer> floors;

  /** Per backend with options, the servers they declare ({@link #foreign}). */
  private final Map<String, Set<String>> foreign;

  RuntimeFile(
      String header,
      String serverOptions,
      Map<String, String> backendOptions,
      Map<String, String> backendServerOptions,
      String zone,
      Map<String, Integer> floors) {
    this.header = header;
    this.serverOptions = serverOptions;
    this.backendOptions = backendOptions;
    this.backendServerOptions = backendServerOptions;
    this.zone = zone;
    this.floors = floors;
    Map<String, Set<String>> declared = new java.util.HashMap<>();
    backendOptions.forEach(
        (backend, options) -> declared.put(backend, DynamicRules.foreignServers(options)));
    this.foreign = Map.copyOf(declared);
  }

  /**
   * What in these settings HAProxy 2.6 would refuse for servers added at runtime: the header, the
   * server options, and the backends with options of their own or named in {@code backends}.
   */
  List<HaproxyRuntime.Refusal> refusals(java.util.Collection<String> backends) {
    List<HaproxyRuntime.Refusal> out = new ArrayList<>();
    add(out, "header", null, DynamicRules.defaultServerProblem(header));
    add(out, "serverOptions", null, DynamicRules.optionsProblem(serverOptions));
    new TreeMap<>(backendServerOptions)
        .forEach(
            (backend, options) ->
                add(out, "serverOptions", backend, DynamicRules.optionsProblem(options)));
    java.util.Set<String> all = new java.util.TreeSet<>(backendOptions.keySet());
    all.addAll(backends);
    all.forEach(backend -> out.addAll(backendRefusals(backend)));
    return out;
  }

  /**
   * What HAProxy 2.6 would refuse in one backend for servers added at runtime: its algorithm (its
   * own, or the header's {@code defaults}) and a {@code default-server} in its options.
   */
  List<HaproxyRuntime.Refusal> backendRefusals(String backend) {
    List<HaproxyRuntime.Refusal> out = new ArrayList<>();
    String options = backendOptions.get(backend);
    add(out, "backendOptions", backend, DynamicRules.balanceProblem(header, options));
    add(out, "backendOptions", backend, DynamicRules.defaultServerProblem(options));
    return out;
  }

  private static void add(
      List<HaproxyRuntime.Refusal> out, String setting, String backend, String reason) {
    if (reason != null) {
      out.add(new HaproxyRuntime.Refusal(setting, backend, reason));
    }
  }

  /** The wanted servers of one backend. */
  List<ServerSpec> specs(String backend, dev.muster.discovery.Snapshot snapshot) {
    return ServerSpec.of(snapshot, zone, floors.get(backend));
  }

  /** The server options of {@code backend}'s servers. */
  String serverOptions(String backend) {
    return backendServerOptions.getOrDefault(backend, serverOptions);
  }

  /** The servers a backend's own options declare: not Muster's to change. */
  Set<String> foreign(String backend) {
    return foreign.getOrDefault(backend, Set.of());
  }

  /**
   * The file for these servers.
   *
   * @param servers per backend (discovery name), the servers in member order
   */
  String render(Map<String, List<ServerSpec>> servers) {
    StringBuilder out = new StringBuilder(header.length() + 64 + servers.size() * 1600);
    out.append(header).append('\n');
    try {
      for (Map.Entry<String, List<ServerSpec>> backend : new TreeMap<>(servers).entrySet()) {
        String name = backend.getKey();
        out.append("\nbackend ").append(esc(TemplateRenderer.safeName(name))).append('\n');
        String options = backendOptions.get(name);
        if (options != null) {
          out.append(options).append('\n');
        }
        String server = serverOptions(name);
        for (ServerSpec spec : backend.getValue()) {
          // Names (letters, digits, _ . -), validated host:port and digits are plain HAProxy
          // tokens, which the escaper leaves as they are: no need to scan them again.
          out.append("    server ")
              .append(spec.name())
              .append(' ')
              .append(spec.arguments(server))
              .append('\n');
        }
      }
    } catch (IllegalArgumentException e) {
      throw new RenderException("haproxy file: value refused: " + e.getMessage(), e);
    }
    return out.toString();
  }

  private static String esc(String text) {
    return HaproxySyntax.INSTANCE.escape(text);
  }
}
