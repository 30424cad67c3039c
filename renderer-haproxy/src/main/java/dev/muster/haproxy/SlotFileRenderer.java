package dev.muster.haproxy;

import dev.muster.discovery.Member;
import dev.muster.discovery.RenderException;
import dev.muster.discovery.TemplateRenderer;
import dev.muster.haproxy.internal.Slots;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * Runtime mode's file: the default template's header, backends and server lines (the same escaper,
 * {@link HaproxySyntax}), but servers named after their slots ({@code srv1..srvN}) and free slots
 * {@code disabled} at a placeholder address. A template cannot express slots, so this is the one
 * place the server line is written in Java; {@code SlotFileRendererTest} holds its lines to the
 * template's.
 */
final class SlotFileRenderer {
  private static final Pattern MAXCONN = Pattern.compile("[0-9]{1,6}");

  /** Where a free slot points: nothing listens there, and the slot is disabled anyway. */
  private static final String FREE_ADDRESS = "127.0.0.1:1";

  private final String header;
  private final String serverOptions;
  private final Map<String, String> backendOptions;
  private final Map<String, String> backendServerOptions;

  SlotFileRenderer(
      String header,
      String serverOptions,
      Map<String, String> backendOptions,
      Map<String, String> backendServerOptions) {
    this.header = header;
    this.serverOptions = serverOptions;
    this.backendOptions = backendOptions;
    this.backendServerOptions = backendServerOptions;
  }

  /**
   * The file for these slots.
   *
   * @param slots per backend, every slot in order, {@code null} for a free one
   */
  String renderSlots(Map<String, List<Member>> slots) {
    StringBuilder out = new StringBuilder(header.length() + 64 + slots.size() * 1600);
    out.append(header).append('\n');
    try {
      for (Map.Entry<String, List<Member>> backend : new TreeMap<>(slots).entrySet()) {
        String server = backendStart(out, backend.getKey());
        List<Member> members = backend.getValue();
        for (int i = 0; i < members.size(); i++) {
          appendServer(out, Slots.name(i), members.get(i), server);
        }
      }
    } catch (IllegalArgumentException e) {
      throw refused(e);
    }
    return out.toString();
  }

  /** Writes the backend line and its options; returns the server options for its servers. */
  private String backendStart(StringBuilder out, String name) {
    out.append("\nbackend ").append(esc(TemplateRenderer.safeName(name))).append('\n');
    String options = backendOptions.get(name);
    if (options != null) {
      out.append(options).append('\n');
    }
    return backendServerOptions.getOrDefault(name, serverOptions);
  }

  /** One server line; a {@code null} member is a free slot, disabled. */
  private static void appendServer(StringBuilder out, String name, Member m, String options) {
    // Names (letters, digits, _ . -), validated host:port, and digits are plain HAProxy
    // tokens, which the escaper leaves as they are: no need to scan them again.
    out.append("    server ").append(name).append(' ');
    if (m == null) {
      out.append(FREE_ADDRESS).append(" disabled");
    } else {
      m.appendHostPort(out);
      out.append(" weight ").append(m.weight());
      String maxconn = m.tag("muster:maxconn");
      if (maxconn != null && MAXCONN.matcher(maxconn).matches()) {
        out.append(" maxconn ").append(maxconn);
      }
    }
    if (!options.isEmpty()) {
      out.append(' ').append(options);
    }
    out.append('\n');
  }

  private static RenderException refused(IllegalArgumentException e) {
    return new RenderException("haproxy slot file: value refused: " + e.getMessage(), e);
  }

  private static String esc(String text) {
    return HaproxySyntax.INSTANCE.escape(text);
  }
}
