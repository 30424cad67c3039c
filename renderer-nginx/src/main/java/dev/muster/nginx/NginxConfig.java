package dev.muster.nginx;

import dev.muster.discovery.ProxyTemplateBuilder;
import dev.muster.discovery.Renderer;
import dev.muster.discovery.TemplateRenderer;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * Renders an include file with one {@code upstream} block per discovery backend, for your own
 * {@code nginx.conf} to include inside {@code http {}} (or {@code stream {}}: the syntax is the
 * same):
 *
 * <pre>
 * upstream web {
 *     server 10.0.1.5:8080 weight=100 max_fails=3 fail_timeout=10s;
 * }
 * </pre>
 *
 * <p>Per member: the weight (nginx needs at least 1; a member of weight 0 is written {@code down});
 * the tag {@code muster:max_conns} (digits) adds {@code max_conns=N}; {@code muster:backup=true}
 * adds {@code backup}; {@code muster:drain=true}, or a state other than {@code running} (when the
 * query includes such states), writes {@code down}, so nginx sends it no new requests while it is
 * drained. An upstream without members would be invalid nginx syntax, so it gets a placeholder
 * {@code server 127.0.0.1:1 down;} (the port is {@link Builder#placeholderPort}) and answers 502
 * until members appear. Whole-file templates of your own: {@link Builder#template(Path)}.
 */
public final class NginxConfig {
  private NginxConfig() {}

  /** A new builder. */
  public static Builder newBuilder() {
    return new Builder();
  }

  /** Builds the renderer for upstream include files. Not thread-safe. */
  public static final class Builder extends ProxyTemplateBuilder<Builder> {
    @Override
    protected Builder self() {
      return this;
    }

    private int maxFails = 3;
    private String failTimeout = "10s";
    private int placeholderPort = 1;
    private final Map<String, String> upstreamOptions = new LinkedHashMap<>();

    private Builder() {}

    /** {@code max_fails} per server, 0 to 1000; 3 unless set (0 disables the accounting). */
    public Builder maxFails(int maxFails) {
      if (maxFails < 0 || maxFails > 1000) {
        throw new IllegalArgumentException("maxFails must be 0 to 1000: " + maxFails);
      }
      this.maxFails = maxFails;
      return this;
    }

    /** {@code fail_timeout} per server, an nginx time such as {@code 10s}; 10s unless set. */
    public Builder failTimeout(String failTimeout) {
      if (!Objects.requireNonNull(failTimeout, "failTimeout").matches("[0-9]+(ms|s|m|h|d)?")) {
        throw new IllegalArgumentException(
            "failTimeout must be an nginx time like 10s: " + failTimeout);
      }
      this.failTimeout = failTimeout;
      return this;
    }

    /** The port of the placeholder server of an empty upstream; 1 unless set. */
    public Builder placeholderPort(int port) {
      if (port < 1 || port > 65535) {
        throw new IllegalArgumentException("placeholderPort must be 1 to 65535: " + port);
      }
      this.placeholderPort = port;
      return this;
    }

    /**
     * Lines at the top of one upstream block, e.g. {@code least_conn;} or {@code keepalive 32;}.
     * Trusted.
     */
    public Builder upstreamOptions(String backend, String lines) {
      upstreamOptions.put(
          Objects.requireNonNull(backend, "backend"), Objects.requireNonNull(lines, "lines"));
      return this;
    }

    /**
     * Builds the renderer: your template if one was set (parsed now), otherwise the default
     * template ({@code /dev/muster/nginx/upstreams.conf.ftl}). One implementation: a Java copy of
     * the default rendered 10,000 members in ~1 ms instead of ~15 ms, but a render happens once per
     * published change, beside seconds of reaction (BENCHMARKS.md, goal 6).
     */
    public Renderer build() {
      return templateRenderer(true);
    }

    /**
     * The default template, whatever {@link #template} says: what {@link #build()} uses unless you
     * set your own, and the starting point for a template of your own (copy {@code
     * /dev/muster/nginx/upstreams.conf.ftl} from the jar).
     */
    public TemplateRenderer defaultTemplate() {
      return templateRenderer(false);
    }

    /** Your template if {@code mine} (and one was set), else the default one. */
    private TemplateRenderer templateRenderer(boolean mine) {
      TemplateRenderer.Builder b =
          TemplateRenderer.newBuilder()
              .escaper("nginx", NginxSyntax.INSTANCE)
              .variable("maxFails", maxFails)
              .variable("failTimeout", failTimeout)
              .variable("placeholderPort", placeholderPort)
              .variable("upstreamOptions", Map.copyOf(upstreamOptions));
      return renderer(b, mine, NginxConfig.class, "/dev/muster/nginx/upstreams.conf.ftl");
    }
  }
}
