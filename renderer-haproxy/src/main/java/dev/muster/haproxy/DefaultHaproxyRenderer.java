package dev.muster.haproxy;

import dev.muster.discovery.Member;
import dev.muster.discovery.RenderException;
import dev.muster.discovery.Renderer;
import dev.muster.discovery.Snapshot;
import dev.muster.discovery.TemplateRenderer;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * The default template ({@code /dev/muster/haproxy/haproxy.cfg.ftl}) written out in Java: the
 * same bytes, escaped by the same {@link HaproxySyntax}, about 9 times faster than running the
 * template (BENCHMARKS.md). {@code DefaultRenderersTest} holds the two to byte-identical output.
 */
final class DefaultHaproxyRenderer implements Renderer {
  private static final Pattern MAXCONN = Pattern.compile("[0-9]{1,6}");

  private final String header;
  private final String serverOptions;
  private final Map<String, String> backendOptions;
  private final Map<String, String> backendServerOptions;

  DefaultHaproxyRenderer(String header, String serverOptions, Map<String, String> backendOptions,
      Map<String, String> backendServerOptions) {
    this.header = header;
    this.serverOptions = serverOptions;
    this.backendOptions = backendOptions;
    this.backendServerOptions = backendServerOptions;
  }

  @Override
  public String render(Map<String, Snapshot> memberships) {
    int size = 0;
    for (Snapshot s : memberships.values()) {
      size += s.size();
    }
    StringBuilder out = new StringBuilder(header.length() + 64 + size * 100);
    out.append(header).append('\n');
    try {
      for (Map.Entry<String, Snapshot> backend : new TreeMap<>(memberships).entrySet()) {
        String name = backend.getKey();
        out.append("\nbackend ").append(esc(TemplateRenderer.safeName(name))).append('\n');
        String options = backendOptions.get(name);
        if (options != null) {
          out.append(options).append('\n');
        }
        String server = backendServerOptions.getOrDefault(name, serverOptions);
        Snapshot snapshot = backend.getValue();
        List<String> names = TemplateRenderer.memberNames(snapshot);
        List<Member> members = snapshot.members();
        for (int i = 0; i < members.size(); i++) {
          Member m = members.get(i);
          // Names (letters, digits, _ . -), validated host:port, and digits are plain HAProxy
          // tokens, which the escaper leaves as they are: no need to scan them again.
          out.append("    server ").append(names.get(i)).append(' ');
          m.appendHostPort(out);
          out.append(" weight ").append(m.weight());
          String maxconn = m.tag("muster:maxconn");
          if (maxconn != null && MAXCONN.matcher(maxconn).matches()) {
            out.append(" maxconn ").append(maxconn);
          }
          if (!server.isEmpty()) {
            out.append(' ').append(server);
          }
          out.append('\n');
        }
      }
    } catch (IllegalArgumentException e) {
      throw new RenderException("haproxy default renderer: value refused: " + e.getMessage(),
          e);
    }
    return out.toString();
  }

  private static String esc(String text) {
    return HaproxySyntax.INSTANCE.escape(text);
  }
}
