package dev.muster.discovery;

import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * What every proxy renderer's builder shares ({@code HaproxyConfig}, {@code NginxConfig}, {@code
 * DispatcherList}): the proxy's zone and zone-aware backends, and a whole-file template of your own
 * in place of the default one. A subclass adds its proxy's settings and builds its renderer with
 * {@link #renderer}. Not thread-safe.
 *
 * @param <B> the subclass, which the setters return
 */
public abstract class ProxyTemplateBuilder<B extends ProxyTemplateBuilder<B>> {
  private String zone;
  private final Map<String, Integer> zoneFloors = new TreeMap<>();
  private Path template;

  /** For subclasses. */
  protected ProxyTemplateBuilder() {}

  /** This builder, as its own type. */
  protected abstract B self();

  /**
   * The proxy's own availability zone, for {@link #zoneAware}; templates see it as {@code zone}.
   */
  public B zone(String zone) {
    this.zone = Objects.requireNonNull(zone, "zone");
    return self();
  }

  /**
   * Renders {@code backend}'s members outside the proxy's {@link #zone} as backups while at least
   * {@code floor} (and at least one) of its members are in that zone; below the floor, all are
   * primary. See {@link TemplateRenderer.Builder#zoneAware}.
   *
   * @throws IllegalArgumentException if {@code floor} is not 0 to 10,000
   */
  public B zoneAware(String backend, int floor) {
    if (floor < 0 || floor > 10_000) {
      throw new IllegalArgumentException("zone-aware floor must be 0 to 10000: " + floor);
    }
    zoneFloors.put(Objects.requireNonNull(backend, "backend"), floor);
    return self();
  }

  /** Replaces the default template with your own whole-file template. */
  public B template(Path file) {
    this.template = Objects.requireNonNull(file, "template");
    return self();
  }

  /** Your whole-file template, or {@code null} for the default one. */
  protected Path template() {
    return template;
  }

  /** The proxy's zone, or {@code null} if none was set. */
  protected String zone() {
    return zone;
  }

  /** The floor of every zone-aware backend, by backend name. */
  protected Map<String, Integer> zoneFloors() {
    return Map.copyOf(zoneFloors);
  }

  /** Whether any backend is zone-aware. */
  protected boolean anyZoneAware() {
    return !zoneFloors.isEmpty();
  }

  /**
   * The renderer of {@code settings} (escaper and variables set by the subclass) with the zone
   * settings, from your template if {@code mine} and one was set, else from the default template
   * {@code defaultTemplate} on the classpath of {@code owner}.
   */
  protected TemplateRenderer renderer(
      TemplateRenderer.Builder settings, boolean mine, Class<?> owner, String defaultTemplate) {
    if (zone != null) {
      settings.zone(zone);
    }
    zoneFloors.forEach(settings::zoneAware);
    if (mine && template != null) {
      settings.template(template);
    } else {
      settings.classpathTemplate(owner, defaultTemplate);
    }
    return settings.build();
  }
}
