package dev.muster.kamailio;

import dev.muster.discovery.ProxyTemplateBuilder;
import dev.muster.discovery.RenderException;
import dev.muster.discovery.Renderer;
import dev.muster.discovery.Snapshot;
import dev.muster.discovery.TemplateRenderer;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * Renders Kamailio's {@code dispatcher.list}: one line per member,
 *
 * <pre>
 * # setid uri flags priority attrs
 * 1 sip:10.0.1.5:5060 0 0 duid=i-0abc;weight=50
 * </pre>
 *
 * with the set id, flags, priority, transport and extra attributes of the member's backend ({@link
 * DispatcherSet}); several backends map to several sets in one file. Per member: {@code duid} is
 * the instance id; {@code weight} is the member's weight capped to Kamailio's range 1 to 100 (a
 * member of weight 0 is written with the inactive flag, so it gets no calls); the tag {@code
 * muster:priority} (digits) overrides the priority. Use IP addresses ({@code MemberMapping}'s
 * default): a host name makes Kamailio resolve it at every reload.
 *
 * <p>Pair it with {@link DispatcherListValidator}, which checks every line before Kamailio sees it,
 * and {@link DispatcherReloader}. Thread-safe.
 */
public final class DispatcherList implements Renderer {
  private final Renderer delegate;
  private final Set<String> backends;

  private DispatcherList(Renderer delegate, Set<String> backends) {
    this.delegate = delegate;
    this.backends = backends;
  }

  /** A new builder. */
  public static Builder newBuilder() {
    return new Builder();
  }

  @Override
  public String render(Map<String, Snapshot> memberships) {
    Set<String> unknown = new TreeSet<>(memberships.keySet());
    unknown.removeAll(backends);
    if (!unknown.isEmpty()) {
      throw new RenderException(
          "no dispatcher set is configured for backend(s) "
              + unknown
              + "; call DispatcherList.Builder.set(backend, DispatcherSet.of(id))",
          null);
    }
    return delegate.render(memberships);
  }

  /** Builds a {@link DispatcherList}. Not thread-safe. */
  public static final class Builder extends ProxyTemplateBuilder<Builder> {
    @Override
    protected Builder self() {
      return this;
    }

    private final Map<String, DispatcherSet> sets = new LinkedHashMap<>();

    private Builder() {}

    /** The set that backend {@code backend}'s members go to. Each backend needs one. */
    public Builder set(String backend, DispatcherSet set) {
      Objects.requireNonNull(backend, "backend");
      Objects.requireNonNull(set, "set");
      for (Map.Entry<String, DispatcherSet> e : sets.entrySet()) {
        if (e.getValue().id() == set.id() && !e.getKey().equals(backend)) {
          throw new IllegalArgumentException(
              "set id " + set.id() + " is used by backend " + e.getKey() + " already");
        }
      }
      sets.put(backend, set);
      return this;
    }

    /**
     * Builds the renderer: your template if one was set (parsed now), otherwise the default
     * template ({@code /dev/muster/kamailio/dispatcher.list.ftl}). One implementation: a Java copy
     * of the default was faster by ~10 ms at 10,000 members, once per published change
     * (BENCHMARKS.md, goal 6).
     *
     * @throws IllegalStateException if no set is configured
     */
    public DispatcherList build() {
      requireSets();
      return new DispatcherList(templateRenderer(true), Set.copyOf(sets.keySet()));
    }

    /**
     * The default template, whatever {@link #template} says: what {@link #build()} uses unless you
     * set your own, and the starting point for a template of your own (copy {@code
     * /dev/muster/kamailio/dispatcher.list.ftl} from the jar).
     */
    public DispatcherList defaultTemplate() {
      requireSets();
      return new DispatcherList(templateRenderer(false), Set.copyOf(sets.keySet()));
    }

    private void requireSets() {
      if (sets.isEmpty()) {
        throw new IllegalStateException(
            "no dispatcher set is configured: call " + "set(backend, DispatcherSet.of(id))");
      }
    }

    private TemplateRenderer templateRenderer(boolean mine) {
      Map<String, Object> model = new LinkedHashMap<>();
      sets.forEach(
          (backend, set) ->
              model.put(
                  backend,
                  Map.of(
                      "id",
                      set.id(),
                      "flags",
                      set.flags(),
                      "priority",
                      set.priority(),
                      "transport",
                      set.transport(),
                      "attrs",
                      set.attrs())));
      TemplateRenderer.Builder b =
          TemplateRenderer.newBuilder()
              .escaper("kamailio", KamailioSyntax.INSTANCE)
              .variable("sets", model);
      return renderer(b, mine, DispatcherList.class, "/dev/muster/kamailio/dispatcher.list.ftl");
    }
  }
}
