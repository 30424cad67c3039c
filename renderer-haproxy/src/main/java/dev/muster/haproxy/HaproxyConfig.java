package dev.muster.haproxy;

import dev.muster.discovery.ProxyTemplateBuilder;
import dev.muster.discovery.Renderer;
import dev.muster.discovery.TemplateRenderer;
import dev.muster.haproxy.internal.ServerSpec;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * Config-file mode: renders a complete {@code haproxy.cfg} from a header you write (global,
 * defaults, frontends) plus one {@code backend} section per discovery backend, with one {@code
 * server} line per member:
 *
 * <pre>
 * backend web
 *     server i-0abc 10.0.1.5:8080 weight 100 check inter 5s fall 3
 * </pre>
 *
 * The server name is the instance id, so it stays the same across reloads. Per instance, the tag
 * {@code muster:maxconn} (digits only) adds {@code maxconn N}; port and weight come from the member
 * ({@code muster:port}, {@code muster:weight}). A whole-file template of your own replaces the
 * default with {@link Builder#template(Path)}.
 *
 * <pre>{@code
 * Renderer renderer = HaproxyConfig.newBuilder()
 *     .header(Path.of("/etc/muster/haproxy-header.cfg"))
 *     .serverOptions("check inter 2s fall 3 rise 2")
 *     .build();
 * }</pre>
 */
public final class HaproxyConfig {
  /** The default options after each server's address and weight. */
  public static final String DEFAULT_SERVER_OPTIONS = "check inter 5s fall 3";

  private HaproxyConfig() {}

  /** A new builder. */
  public static Builder newBuilder() {
    return new Builder();
  }

  /** Builds the renderer for config-file mode. Not thread-safe. */
  public static final class Builder extends ProxyTemplateBuilder<Builder> {
    @Override
    protected Builder self() {
      return this;
    }

    private String header = "";
    private String serverOptions = DEFAULT_SERVER_OPTIONS;
    private final Map<String, String> backendOptions = new LinkedHashMap<>();
    private final Map<String, String> backendServerOptions = new LinkedHashMap<>();

    private Builder() {}

    /** The text before the backends (global, defaults, frontends), read now from a file. */
    public Builder header(Path file) {
      try {
        this.header = Files.readString(Objects.requireNonNull(file, "header"));
      } catch (IOException e) {
        throw new UncheckedIOException(
            "cannot read the header " + dev.muster.discovery.internal.IoErrors.describe(e), e);
      }
      return this;
    }

    /** The text before the backends, given directly. Trusted: written as it is. */
    public Builder headerText(String text) {
      this.header = Objects.requireNonNull(text, "header");
      return this;
    }

    /** Options after every server line, e.g. {@code check inter 2s fall 3}. Trusted. */
    public Builder serverOptions(String options) {
      this.serverOptions = requireOneLine("serverOptions", options);
      return this;
    }

    /** Options after the server lines of one backend, replacing the global ones. Trusted. */
    public Builder serverOptions(String backend, String options) {
      backendServerOptions.put(
          Objects.requireNonNull(backend, "backend"),
          requireOneLine("serverOptions of " + backend, options));
      return this;
    }

    /**
     * Lines at the top of one backend section, e.g. {@code balance leastconn} or {@code option
     * httpchk GET /health}. Trusted; may span several lines.
     */
    public Builder backendOptions(String backend, String lines) {
      backendOptions.put(
          Objects.requireNonNull(backend, "backend"), Objects.requireNonNull(lines, "lines"));
      return this;
    }

    /**
     * Builds the renderer: your template if one was set (parsed now), otherwise the default lines
     * written in Java, byte for byte what the default template ({@link #defaultTemplate()}) writes
     * ({@code DefaultRenderingTest} holds the two equal). Why two: FreeMarker is ~520 classes that
     * a host running the default never needs to load (BENCHMARKS.md, issue 25).
     */
    public Renderer build() {
      if (template() != null) {
        return templateRenderer(true);
      }
      RuntimeFile file = buildRuntimeFile();
      return memberships -> {
        Map<String, List<ServerSpec>> servers = new TreeMap<>();
        memberships.forEach(
            (backend, snapshot) -> servers.put(backend, file.specs(backend, snapshot)));
        return file.render(servers);
      };
    }

    /**
     * Runtime mode's file and settings: the default template's lines, written from server specs.
     *
     * @throws IllegalStateException if a whole-file template was set
     */
    RuntimeFile buildRuntimeFile() {
      if (template() != null) {
        throw new IllegalStateException(
            "runtime mode writes the default server lines: a whole-file template is not "
                + "supported there");
      }
      return new RuntimeFile(
          header,
          serverOptions,
          Map.copyOf(backendOptions),
          Map.copyOf(backendServerOptions),
          zone(),
          zoneFloors());
    }

    /**
     * The default template, whatever {@link #template} says: what {@link #build()} writes unless
     * you set your own, and the starting point for a template of your own (copy {@code
     * /dev/muster/haproxy/haproxy.cfg.ftl} from the jar).
     */
    public TemplateRenderer defaultTemplate() {
      return templateRenderer(false);
    }

    /** Your template if {@code mine} (and one was set), else the default one. */
    private TemplateRenderer templateRenderer(boolean mine) {
      TemplateRenderer.Builder b =
          TemplateRenderer.newBuilder()
              .escaper("haproxy", HaproxySyntax.INSTANCE)
              .variable("header", header)
              .variable("serverOptions", serverOptions)
              .variable("backendOptions", Map.copyOf(backendOptions))
              .variable("backendServerOptions", Map.copyOf(backendServerOptions));
      return renderer(b, mine, HaproxyConfig.class, "/dev/muster/haproxy/haproxy.cfg.ftl");
    }

    private static String requireOneLine(String setting, String text) {
      Objects.requireNonNull(text, setting);
      if (text.indexOf('\n') >= 0 || text.indexOf('\r') >= 0) {
        throw new IllegalArgumentException(setting + " must be one line: " + text);
      }
      return text;
    }
  }
}
