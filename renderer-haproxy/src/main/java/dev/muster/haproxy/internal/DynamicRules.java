package dev.muster.haproxy.internal;

import java.util.LinkedHashSet;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What HAProxy 2.6 allows for servers added at runtime ({@code add server}, management guide), so
 * that runtime mode refuses a setting by name before it starts instead of failing at the first new
 * member: a backend must balance with a dynamic algorithm (not {@code static-rr}, and a hash only
 * with {@code hash-type consistent}); server options must be among the keywords {@code add server}
 * accepts; and {@code default-server} does not apply to servers added at runtime.
 */
public final class DynamicRules {
  /**
   * Server keywords of HAProxy 2.6 (configuration manual, 5.2) that {@code add server} does not
   * accept. Every other keyword of 5.2 is on the management guide's list.
   */
  static final Set<String> STATIC_ONLY =
      Set.of(
          "cookie",
          "init-addr",
          "log-proto",
          "max-reuse",
          "namespace",
          "no-agent-check",
          "no-backup",
          "no-check",
          "no-check-ssl",
          "no-send-proxy",
          "no-send-proxy-v2",
          "no-send-proxy-v2-ssl",
          "no-send-proxy-v2-ssl-cn",
          "no-ssl",
          "no-tfo",
          "no-verifyhost",
          "non-stick",
          "redir",
          "resolve-net",
          "resolve-opts",
          "resolve-prefer",
          "resolvers",
          "socks4",
          "ssl-reuse",
          "stick",
          "tcp-ut");

  /** Hash-based algorithms: dynamic only with {@code hash-type consistent}. */
  private static final Set<String> HASHES =
      Set.of("source", "uri", "url_param", "hdr", "rdp-cookie", "hash");

  private static final Pattern BALANCE = Pattern.compile("^\\s*balance\\s+([a-z_-]+)");
  private static final Pattern HASH_TYPE = Pattern.compile("^\\s*hash-type\\s+([a-z-]+)");
  private static final Pattern SECTION = Pattern.compile("^([a-z-]+)(\\s.*)?$");
  private static final Pattern DEFAULT_SERVER = Pattern.compile("^\\s*default-server(\\s|$)");
  private static final Pattern SERVER = Pattern.compile("^\\s*server\\s+(\\S+)");
  private static final Pattern TEMPLATE =
      Pattern.compile("^\\s*server-template\\s+(\\S+)\\s+(?:(\\d+)-)?(\\d+)\\s");

  private DynamicRules() {}

  /**
   * Why {@code options} cannot follow {@code add server}, naming the first keyword HAProxy would
   * refuse there, or {@code null}.
   */
  public static String optionsProblem(String options) {
    for (String token : options.strip().split("\\s+")) {
      if (STATIC_ONLY.contains(token.toLowerCase(Locale.ROOT))) {
        return "`"
            + token
            + "` cannot be given to a server added at runtime "
            + "(HAProxy 2.6 `add server` does not accept it)";
      }
    }
    return null;
  }

  /**
   * Why a backend with these options (after a header whose {@code defaults} may set the algorithm)
   * cannot hold servers added at runtime, or {@code null}.
   */
  public static String balanceProblem(String header, String backendOptions) {
    String[] fromDefaults = algorithm(header, true);
    String[] own = algorithm(backendOptions == null ? "" : backendOptions, false);
    String balance = own[0] != null ? own[0] : fromDefaults[0];
    String hashType = own[1] != null ? own[1] : fromDefaults[1];
    balance = balance == null ? "roundrobin" : balance;
    hashType = hashType == null ? "map-based" : hashType;
    if (balance.equals("static-rr")) {
      return "`balance static-rr` cannot hold servers added at runtime (HAProxy 2.6); "
          + "use roundrobin, or mode: file";
    }
    if (HASHES.contains(balance) && !hashType.equals("consistent")) {
      return "`balance "
          + balance
          + "` with hash-type "
          + hashType
          + (own[1] == null && fromDefaults[1] == null ? " (HAProxy's default)" : "")
          + " cannot hold servers added at runtime (HAProxy 2.6); add `hash-type consistent`"
          + " (which also keeps keys on their servers when members change), or use mode: file";
    }
    return null;
  }

  /** Why {@code text} (a header, or a backend's options) breaks runtime mode, or {@code null}. */
  public static String defaultServerProblem(String text) {
    if (text != null && text.lines().anyMatch(l -> DEFAULT_SERVER.matcher(l).find())) {
      return "`default-server` does not apply to servers added at runtime (HAProxy 2.6), so "
          + "they would differ from those HAProxy reads from the file; put those options in "
          + "the server options instead";
    }
    return null;
  }

  /** The servers a backend's own options declare ({@code server}, {@code server-template}). */
  public static Set<String> foreignServers(String backendOptions) {
    Set<String> names = new LinkedHashSet<>();
    if (backendOptions == null) {
      return names;
    }
    for (String line : backendOptions.lines().toList()) {
      Matcher t = TEMPLATE.matcher(line);
      if (t.find()) {
        int from = t.group(2) == null ? 1 : Integer.parseInt(t.group(2));
        int to = Integer.parseInt(t.group(3));
        for (int i = from; i <= to && i - from < 100_000; i++) {
          names.add(t.group(1) + i);
        }
        continue;
      }
      Matcher s = SERVER.matcher(line);
      if (s.find()) {
        names.add(s.group(1));
      }
    }
    return names;
  }

  /**
   * The last {@code balance} and {@code hash-type} in {@code text}: in a header, only those of
   * {@code defaults} sections count.
   */
  private static String[] algorithm(String text, boolean header) {
    String[] found = new String[2];
    boolean inDefaults = !header;
    for (String line : text.lines().toList()) {
      Matcher section = SECTION.matcher(line);
      if (header && section.matches()) {
        String name = section.group(1);
        inDefaults = name.equals("defaults");
        if (inDefaults) {
          found[0] = null; // a new defaults section starts from HAProxy's defaults
          found[1] = null;
        }
        continue;
      }
      if (!inDefaults) {
        continue;
      }
      Matcher b = BALANCE.matcher(line);
      if (b.find()) {
        found[0] = b.group(1);
      }
      Matcher h = HASH_TYPE.matcher(line);
      if (h.find()) {
        found[1] = h.group(1);
      }
    }
    return found;
  }
}
