package dev.muster.nginx;

import dev.muster.discovery.ApplyException;
import dev.muster.discovery.ApplyResult;
import dev.muster.discovery.Drain;
import dev.muster.discovery.FileTarget;
import dev.muster.discovery.Member;
import dev.muster.discovery.Reloader;
import dev.muster.discovery.Sink;
import dev.muster.discovery.Snapshot;
import dev.muster.discovery.internal.UnixSocketCli;
import dev.muster.nginx.internal.DynamicText;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * nginx without reloads ({@code mode: dynamic}): Muster's Lua balancer (lua-nginx-module) picks the
 * member of each upstream from a shared dict, and a membership change is a PUT of the members to
 * the balancer's admin server on a unix socket, read back to verify. nginx is reloaded ({@code
 * nginx -t} first) only when the include's text changes: a backend added or removed, or its
 * options.
 *
 * <p>Files, all beside the include: the include for your {@code http {}} block (the shared dict,
 * the worker init, one {@code upstream} per backend, the admin server), {@code muster_balancer.lua}
 * (from this jar), and the members file, written atomically at every change, which a starting nginx
 * loads so that it serves the last applied members before Muster says anything. The admin server
 * listens only on its unix socket (file permissions protect it: nginx creates it as the master's
 * user, mode 0666 unless the directory forbids; put it in a directory only nginx and Muster can
 * enter).
 *
 * <p>Members: a member's weight is its weight (0: no new requests), the tag {@code
 * muster:backup=true} makes it a backup (used only while no primary is), and {@code
 * muster:drain=true} or a state other than {@code running} marks it draining (no new requests).
 */
public final class NginxDynamic implements Sink, AutoCloseable {
  /** What the Lua module is called, and the file name it is written under. */
  public static final String LUA_MODULE = DynamicText.LUA_MODULE;

  private static final Pattern SAFE_PATH = Pattern.compile("/[A-Za-z0-9_./-]{1,4000}");
  private static final Pattern TOKEN = Pattern.compile("[A-Za-z0-9_.:%-]{1,255}");

  private final Path include;
  private final Path membersFile;
  private final Path luaFile;
  private final Path adminSocket;
  private final Map<String, String> upstreamOptions;
  private final String dictSize;
  private final FileTarget includeTarget;
  private final UnixSocketCli admin;
  private final Clock clock;
  private final dev.muster.nginx.internal.HealthChecker health;
  private final Object lock = new Object();
  private final String zone;
  private final Map<String, Integer> floors;
  private Map<String, Snapshot> last;

  private NginxDynamic(Builder b) {
    this.include = b.include;
    this.membersFile = b.include.resolveSibling("muster-members.txt");
    this.luaFile = b.include.resolveSibling(LUA_MODULE + ".lua");
    this.adminSocket = b.adminSocket;
    this.upstreamOptions = Map.copyOf(b.upstreamOptions);
    this.dictSize = b.dictSize;
    this.includeTarget =
        FileTarget.newBuilder(b.include)
            .validator(Nginx.validator(b.mainConfig, b.include))
            .reloader(b.reloader != null ? b.reloader : Nginx.reloader(b.mainConfig))
            .build();
    this.admin = new UnixSocketCli(b.adminSocket, b.timeout);
    this.clock = b.clock;
    this.zone = b.zone;
    this.floors = Map.copyOf(b.floors);
    this.health =
        b.health.isEmpty()
            ? null
            : new dev.muster.nginx.internal.HealthChecker(b.health, this::republish);
  }

  /**
   * A builder for the include {@code include}, which {@code mainConfig} (given to {@code nginx -c})
   * includes inside {@code http {}}; both absolute.
   */
  public static Builder newBuilder(Path include, Path mainConfig) {
    return new Builder(include, mainConfig);
  }

  /** The include file's text for these backends, in order. */
  public String includeText(Iterable<String> backends) {
    return DynamicText.include(
        backends, dictSize, include.getParent(), membersFile, adminSocket, upstreamOptions);
  }

  /** The Lua module's text, from this jar. */
  public static String luaModule() {
    return DynamicText.luaModule();
  }

  /** The members text the balancer reads: one member a line. */
  public static String membersText(Map<String, Snapshot> memberships) {
    return DynamicText.members(memberships, null);
  }

  @Override
  public ApplyResult apply(Map<String, Snapshot> memberships) {
    synchronized (lock) {
      last = Map.copyOf(memberships);
      if (health != null) {
        memberships.forEach((b, s) -> health.track(b, new java.util.HashSet<>(s.members())));
      }
      return applyLocked(memberships);
    }
  }

  /** A member's health flipped: the balancer gets the members again (logged if it fails). */
  private void republish() {
    synchronized (lock) {
      if (last == null) {
        return;
      }
      String members = DynamicText.members(last, health, zone, floors);
      try {
        DynamicText.writeMembers(membersFile, members);
        admin.http("PUT", "/members", members);
      } catch (IOException e) {
        org.slf4j.LoggerFactory.getLogger("dev.muster.apply")
            .warn(
                "nginx health: sending the members to {} failed: {}", adminSocket, e.getMessage());
      }
    }
  }

  /**
   * The members text the balancer holds now (over the admin socket), or an empty text if it cannot
   * be asked.
   */
  public String membersLive() {
    try {
      return admin.http("GET", "/members", null);
    } catch (IOException e) {
      return "";
    }
  }

  /** Renders of each checked backend that kept all members in because none was healthy. */
  public Map<String, Long> healthFailOpen() {
    return health == null ? Map.of() : health.failOpenCounts();
  }

  /** Stops the health checks. */
  @Override
  public void close() {
    if (health != null) {
      health.close();
    }
  }

  private ApplyResult applyLocked(Map<String, Snapshot> memberships) {
    for (String backend : memberships.keySet()) {
      if (!TOKEN.matcher(backend).matches()) {
        throw new ApplyException("nginx dynamic mode: not an upstream name: " + backend);
      }
    }
    for (Snapshot s : memberships.values()) {
      for (Member m : s.members()) {
        if (!TOKEN.matcher(m.address()).matches()) {
          throw new ApplyException(
              "nginx dynamic mode: " + m.instanceId() + " has an address the balancer cannot use");
        }
      }
    }
    String members = DynamicText.members(memberships, health, zone, floors);
    String reloaded = "";
    try {
      DynamicText.writeMembers(membersFile, members);
      DynamicText.writeIfChanged(luaFile, DynamicText.luaModule());
      DynamicText.readableByWorkers(luaFile);
    } catch (IOException e) {
      throw new ApplyException("nginx dynamic mode: writing " + membersFile + ": " + e, e);
    }
    ApplyResult includeResult = includeTarget.apply(includeText(memberships.keySet()));
    if (includeResult.outcome() == ApplyResult.Outcome.APPLIED) {
      reloaded = "include changed, nginx reloaded; ";
    }
    try {
      if (reloaded.isEmpty() && members.equals(admin.http("GET", "/members", null))) {
        return ApplyResult.UNCHANGED;
      }
      admin.http("PUT", "/members", members);
      String back = admin.http("GET", "/members", null);
      if (!members.equals(back)) {
        throw new ApplyException(
            "nginx dynamic mode: the balancer holds other members than were sent ("
                + back.lines().count()
                + " lines, not "
                + members.lines().count()
                + ")");
      }
    } catch (IOException e) {
      throw new ApplyException(
          "nginx dynamic mode: the balancer's admin socket "
              + adminSocket
              + ": "
              + e.getMessage()
              + " (is nginx running with "
              + include
              + " included, and lua-nginx-module loaded?); "
              + membersFile
              + " is written, so a starting nginx serves these members",
          e);
    }
    long count = members.lines().count();
    return new ApplyResult(
        ApplyResult.Outcome.APPLIED, reloaded + count + " members sent to the balancer, no reload");
  }

  /**
   * Waits until no request to {@code members} is in flight, as the balancer counts them; they get
   * no new request once the apply that drained them returned.
   */
  @Override
  public Drain drain(Set<Member> members) {
    Set<String> ids = new java.util.HashSet<>();
    members.forEach(m -> ids.add(m.instanceId()));
    return Drain.until(
        "requests in flight through nginx",
        () -> {
          try {
            int left = 0;
            for (String line : admin.http("GET", "/inflight", null).split("\n")) {
              String[] f = line.split(" ");
              if (f.length == 2 && ids.contains(f[0])) {
                left += Math.max(0, Integer.parseInt(f[1].replaceAll("\\.0$", "")));
              }
            }
            return left;
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          }
        },
        Duration.ofMillis(200),
        clock,
        Drain.Sleeper.SYSTEM);
  }

  /** Builds a {@link NginxDynamic}. Not thread-safe. */
  public static final class Builder {
    private final Path include;
    private final Path mainConfig;
    private Path adminSocket;
    private final Map<String, String> upstreamOptions = new LinkedHashMap<>();
    private String dictSize = "10m";
    private Reloader reloader;
    private Duration timeout = Duration.ofSeconds(5);
    private Clock clock = Clock.systemUTC();
    private final Map<String, HealthCheck> health = new LinkedHashMap<>();
    private String zone;
    private final Map<String, Integer> floors = new LinkedHashMap<>();

    private Builder(Path include, Path mainConfig) {
      this.include = safe(include, "include");
      this.mainConfig = Objects.requireNonNull(mainConfig, "mainConfig");
      this.adminSocket = include.resolveSibling("muster-admin.sock");
    }

    private static Path safe(Path path, String what) {
      Objects.requireNonNull(path, what);
      if (!SAFE_PATH.matcher(path.toString()).matches()) {
        throw new IllegalArgumentException(
            what + " must be an absolute path of letters, digits and _ . / -: " + path);
      }
      return path;
    }

    /** The admin server's unix socket; {@code muster-admin.sock} beside the include unless set. */
    public Builder adminSocket(Path adminSocket) {
      this.adminSocket = safe(adminSocket, "adminSocket");
      return this;
    }

    /** Lines inside one upstream after the balancer, e.g. {@code keepalive 32;}. Trusted. */
    public Builder upstreamOptions(String backend, String lines) {
      upstreamOptions.put(
          Objects.requireNonNull(backend, "backend"), Objects.requireNonNull(lines, "lines"));
      return this;
    }

    /** The shared dict's size, an nginx size such as {@code 10m} (the default). */
    public Builder dictSize(String size) {
      if (!Objects.requireNonNull(size, "size").matches("[0-9]{1,6}[km]")) {
        throw new IllegalArgumentException("dictSize must be an nginx size like 10m: " + size);
      }
      this.dictSize = size;
      return this;
    }

    /** How nginx is reloaded when the include changes; {@link Nginx#reloader} unless set. */
    public Builder reloader(Reloader reloader) {
      this.reloader = Objects.requireNonNull(reloader, "reloader");
      return this;
    }

    /** The bound on each call to the admin socket; 5 s unless set. */
    public Builder timeout(Duration timeout) {
      this.timeout = Objects.requireNonNull(timeout, "timeout");
      return this;
    }

    /**
     * Checks the members of {@code backend} actively from this host; only healthy ones take
     * requests (all, if none is: fail open).
     */
    public Builder health(String backend, HealthCheck check) {
      health.put(
          Objects.requireNonNull(backend, "backend"), Objects.requireNonNull(check, "check"));
      return this;
    }

    /** The proxy's availability zone, for {@link #zoneAware} backends. */
    public Builder zone(String zone) {
      this.zone = Objects.requireNonNull(zone, "zone");
      return this;
    }

    /**
     * Makes {@code backend}'s members outside the proxy's zone backups while at least {@code floor}
     * (and at least one) are in it, as the file renderers do.
     */
    public Builder zoneAware(String backend, int floor) {
      floors.put(Objects.requireNonNull(backend, "backend"), floor);
      return this;
    }

    /** The clock drains poll on. */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /** Builds the sink with these settings (the include and main config are the builder's). */
    public NginxDynamic build() {
      return new NginxDynamic(this);
    }
  }
}
