package dev.muster.discovery;

import dev.muster.discovery.internal.EscapingOutputFormat;
import dev.muster.discovery.internal.TemplateModel;
import freemarker.cache.ClassTemplateLoader;
import freemarker.cache.FileTemplateLoader;
import freemarker.cache.StringTemplateLoader;
import freemarker.cache.TemplateLoader;
import freemarker.core.TemplateClassResolver;
import freemarker.template.Configuration;
import freemarker.template.SimpleScalar;
import freemarker.template.Template;
import freemarker.template.TemplateException;
import freemarker.template.TemplateExceptionHandler;
import freemarker.template.TemplateMethodModelEx;
import freemarker.template.TemplateModelException;
import freemarker.template.TemplateScalarModel;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TimeZone;

/**
 * A {@link Renderer} backed by a FreeMarker template.
 *
 * <p><b>What templates see.</b> {@code backends}: a list in name order, each with {@code name},
 * {@code safeName}, {@code size} and {@code members}; {@code backend[NAME]}: the same by name. Each
 * member has {@code id}, {@code name} (the id made safe as a config identifier), {@code address},
 * {@code port}, {@code weight}, {@code hostPort}, {@code state}, {@code tags}, and when set {@code
 * zone}, {@code privateIp}, {@code publicIp}, {@code privateDnsName}, {@code ipv6}, {@code
 * subnetId}, {@code vpcId}. User variables from {@link Builder#variable} sit beside them, and the
 * function {@code safeName(text)}: any text (a {@code Name} tag, say) as a configuration
 * identifier, letters, digits and {@code _ . -} only, as {@link #safeName(String)}.
 *
 * <p><b>Safety.</b> Every {@code ${...}} goes through the {@link Escaper} of the target syntax;
 * trusted text is marked {@code ${header?no_esc}}. Numbers print as plain digits ({@code 8080},
 * never {@code 8,080}), whatever the locale.
 *
 * <p><b>Strict.</b> A missing variable or any template error fails the render with the template's
 * name and line; the template is parsed when the renderer is built, so a syntax error fails at
 * start-up. The same memberships always give the same text.
 *
 * <p>Thread-safe.
 */
public final class TemplateRenderer implements Renderer {
  private final Template template;
  private final Map<String, Object> variables;
  private final String zone;
  private final Map<String, Integer> floors;

  private TemplateRenderer(
      Template template, Map<String, Object> variables, String zone, Map<String, Integer> floors) {
    this.template = template;
    this.variables = variables;
    this.zone = zone;
    this.floors = floors;
  }

  /** A new builder; a template and an escaper are required. */
  public static Builder newBuilder() {
    return new Builder();
  }

  @Override
  public String render(Map<String, Snapshot> memberships) {
    Map<String, Object> model = new LinkedHashMap<>(variables);
    model.putAll(TemplateModel.of(memberships, zone, floors));
    StringWriter out = new StringWriter();
    try {
      template.process(model, out);
    } catch (TemplateException e) {
      throw new RenderException(describe(e), e);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toString();
  }

  /**
   * {@code text} as a configuration identifier, as templates get it in {@code name} and {@code
   * safeName}: letters, digits and {@code _ . -} only (others become {@code _}), at most 64
   * characters, never empty.
   */
  public static String safeName(String text) {
    return TemplateModel.safeName(text);
  }

  /**
   * The {@code name} each member of {@code snapshot} gets in templates, in member order: its
   * instance id made safe and, where two collide, made unique with {@code _} suffixes. For
   * renderers that write the same names without a template.
   */
  public static java.util.List<String> memberNames(Snapshot snapshot) {
    return TemplateModel.names(snapshot);
  }

  /** The template's name, for logs. */
  public String templateName() {
    return template.getSourceName();
  }

  private static String describe(TemplateException e) {
    String message = e.getMessageWithoutStackTop();
    int cut = message.indexOf("\n\n");
    if (cut > 0) {
      message = message.substring(0, cut);
    }
    Throwable cause = e.getCause();
    if (cause instanceof IllegalArgumentException && cause.getMessage() != null) {
      message = "value refused: " + cause.getMessage();
    }
    return "template "
        + e.getTemplateSourceName()
        + " line "
        + e.getLineNumber()
        + ", column "
        + e.getColumnNumber()
        + ": "
        + message.strip();
  }

  /** Builds a {@link TemplateRenderer}. Not thread-safe. */
  public static final class Builder {
    private static final Set<String> RESERVED = Set.of("backends", "backend");

    private TemplateLoader loader;
    private String name;
    private Escaper escaper;
    private String zone;
    private final Map<String, Integer> floors = new java.util.TreeMap<>();
    private String syntaxName = "config";
    private final Map<String, Object> variables = new LinkedHashMap<>();

    private Builder() {}

    /** Renders the template in {@code file}; includes resolve relative to its directory. */
    public Builder template(Path file) {
      Objects.requireNonNull(file, "template");
      if (!Files.isRegularFile(file)) {
        throw new IllegalArgumentException("template file " + file + " does not exist");
      }
      Path dir = file.toAbsolutePath().getParent();
      try {
        this.loader = new FileTemplateLoader(dir.toFile());
      } catch (IOException e) {
        throw new UncheckedIOException("template directory " + dir + ": " + e.getMessage(), e);
      }
      this.name = file.getFileName().toString();
      return this;
    }

    /**
     * Renders the classpath resource at the absolute {@code path} (for example {@code
     * /dev/muster/haproxy/haproxy.cfg.ftl}), loaded through {@code base}'s class loader.
     */
    public Builder classpathTemplate(Class<?> base, String path) {
      Objects.requireNonNull(path, "path");
      this.loader = new ClassTemplateLoader(Objects.requireNonNull(base, "base"), "/");
      this.name = path.startsWith("/") ? path.substring(1) : path;
      return this;
    }

    /** Renders {@code text} as a template called {@code templateName}. */
    public Builder templateText(String templateName, String text) {
      StringTemplateLoader strings = new StringTemplateLoader();
      strings.putTemplate(
          Objects.requireNonNull(templateName, "templateName"),
          Objects.requireNonNull(text, "text"));
      this.loader = strings;
      this.name = templateName;
      return this;
    }

    /**
     * The proxy's own availability zone (from {@code InstanceIdentity}): templates see it as {@code
     * zone}, and it decides which members of zone-aware backends are backups.
     */
    public Builder zone(String zone) {
      this.zone = Objects.requireNonNull(zone, "zone");
      return this;
    }

    /**
     * Makes {@code backend} zone-aware: while at least {@code floor} (and at least one) of its
     * members are in the proxy's {@link #zone}, the others have {@code backup} true, which the
     * default templates write as HAProxy's and nginx's {@code backup} and as Kamailio priority 0
     * (same-zone members at least 1). Below the floor, every member is primary.
     */
    public Builder zoneAware(String backend, int floor) {
      if (floor < 0 || floor > 10_000) {
        throw new IllegalArgumentException("zone-aware floor must be 0 to 10000: " + floor);
      }
      floors.put(Objects.requireNonNull(backend, "backend"), floor);
      return this;
    }

    /** The escaper of the target syntax, applied to every interpolation. Required. */
    public Builder escaper(String syntaxName, Escaper escaper) {
      this.syntaxName = Objects.requireNonNull(syntaxName, "syntaxName");
      this.escaper = Objects.requireNonNull(escaper, "escaper");
      return this;
    }

    /**
     * A variable the template can read, for example a header text or server options; strings,
     * numbers, booleans, lists and maps of those.
     */
    public Builder variable(String name, Object value) {
      Objects.requireNonNull(name, "name");
      if (RESERVED.contains(name)) {
        throw new IllegalArgumentException(
            "variable name '" + name + "' is reserved for the " + "memberships");
      }
      variables.put(name, Objects.requireNonNull(value, "value of " + name));
      return this;
    }

    /**
     * Parses the template.
     *
     * @throws IllegalStateException if the template or escaper is not set
     * @throws RenderException if the template does not parse (with its name and line)
     */
    public TemplateRenderer build() {
      if (loader == null) {
        throw new IllegalStateException(
            "template is not set: call template(Path), "
                + "classpathTemplate(...) or templateText(...)");
      }
      if (escaper == null) {
        throw new IllegalStateException("escaper is not set: call escaper(name, Escaper)");
      }
      Configuration cfg = new Configuration(Configuration.VERSION_2_3_34);
      cfg.setTemplateLoader(loader);
      cfg.setDefaultEncoding("UTF-8");
      cfg.setLocale(Locale.ROOT);
      cfg.setTimeZone(TimeZone.getTimeZone("UTC"));
      cfg.setNumberFormat("c");
      cfg.setBooleanFormat("c");
      cfg.setTemplateExceptionHandler(TemplateExceptionHandler.RETHROW_HANDLER);
      cfg.setLogTemplateExceptions(false);
      cfg.setWrapUncheckedExceptions(true);
      cfg.setFallbackOnNullLoopVariable(false);
      cfg.setAttemptExceptionReporter((e, env) -> {});
      cfg.setAPIBuiltinEnabled(false);
      cfg.setNewBuiltinClassResolver(TemplateClassResolver.ALLOWS_NOTHING_RESOLVER);
      cfg.setRecognizeStandardFileExtensions(false);
      // safeName(text): any text (a Name tag) as a configuration identifier, for names that must
      // be one plain word in every syntax; still escaped like any value.
      cfg.setSharedVariable(
          "safeName",
          (TemplateMethodModelEx)
              args -> {
                if (args.size() != 1) {
                  throw new TemplateModelException(
                      "safeName takes one text, e.g. safeName(m.tags.Name!m.id)");
                }
                Object arg = args.get(0);
                String text =
                    arg instanceof TemplateScalarModel scalar
                        ? scalar.getAsString()
                        : String.valueOf(arg);
                return new SimpleScalar(TemplateModel.safeName(text));
              });
      EscapingOutputFormat format = new EscapingOutputFormat(syntaxName, escaper);
      cfg.setRegisteredCustomOutputFormats(List.of(format));
      cfg.setOutputFormat(format);
      try {
        return new TemplateRenderer(
            cfg.getTemplate(name), Map.copyOf(variables), zone, Map.copyOf(floors));
      } catch (freemarker.core.ParseException e) {
        throw new RenderException(
            "template "
                + e.getTemplateName()
                + " line "
                + e.getLineNumber()
                + ", column "
                + e.getColumnNumber()
                + ": "
                + e.getEditorMessage(),
            e);
      } catch (IOException e) {
        throw new RenderException("cannot load template " + name + ": " + e.getMessage(), e);
      }
    }
  }
}
