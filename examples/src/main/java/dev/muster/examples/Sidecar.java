package dev.muster.examples;

import dev.muster.discovery.ApplyException;
import dev.muster.discovery.ApplyResult;
import dev.muster.discovery.Command;
import dev.muster.discovery.ConfigPipeline;
import dev.muster.discovery.Discovery;
import dev.muster.discovery.DiscoveryStatus;
import dev.muster.discovery.Ec2MembershipSource;
import dev.muster.discovery.FileTarget;
import dev.muster.discovery.InstanceIdentity;
import dev.muster.discovery.InstanceMetadataException;
import dev.muster.discovery.MemberMapping;
import dev.muster.discovery.Query;
import dev.muster.discovery.Reloader;
import dev.muster.discovery.RenderException;
import dev.muster.discovery.Renderer;
import dev.muster.discovery.Snapshot;
import dev.muster.discovery.Validator;
import dev.muster.discovery.internal.Validation;
import dev.muster.haproxy.Haproxy;
import dev.muster.haproxy.HaproxyConfig;
import dev.muster.kamailio.DispatcherList;
import dev.muster.kamailio.DispatcherSet;
import dev.muster.kamailio.Kamailio;
import dev.muster.nginx.Nginx;
import dev.muster.nginx.NginxConfig;
import java.io.PrintStream;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import software.amazon.awssdk.regions.providers.AwsProfileRegionProvider;
import software.amazon.awssdk.regions.providers.AwsRegionProviderChain;
import software.amazon.awssdk.regions.providers.SystemSettingsRegionProvider;

/**
 * One proxy's sidecar: options to source, renderer and target; then once, or a loop. *
 *
 * <p>Why this size: it maps every command-line option to the library, with one usage error per bad
 * value; the agent (a module of its own) is to replace it.
 */
final class Sidecar {
  private final String proxy;
  private final Options options;
  private final PrintStream out;
  private final PrintStream err;
  private final String backend;
  private String region;

  Sidecar(String proxy, Options options, PrintStream out, PrintStream err) {
    this.proxy = proxy;
    this.options = options;
    this.out = out;
    this.err = err;
    this.backend = options.get("name", "web");
  }

  int run() {
    Path file = options.path("out");
    if (file == null && !options.has("dry-run")) {
      throw new Options.UsageException("--out is required (or --dry-run to print)");
    }
    if (!options.has("once") && file == null) {
      throw new Options.UsageException("--dry-run without --out needs --once");
    }
    if (options.has("accept-held") && !options.has("once")) {
      throw new Options.UsageException(
          "--accept-held is for --once; a running loop confirms "
              + "a held view by itself after --hold-min");
    }
    Renderer renderer = renderer();
    FileTarget target =
        file == null
            ? null
            : FileTarget.newBuilder(file)
                .validator(validator(file))
                .reloader(reloader(file))
                .dryRun(options.has("dry-run"))
                .dryRunOutput(out::print)
                .build();
    Duration interval = options.duration("interval", Duration.ofSeconds(15));
    if (interval.compareTo(Duration.ofSeconds(1)) < 0) {
      throw new Options.UsageException(
          "--interval must be at least 1s (every fetch is an EC2 "
              + "API call against the account's shared budget): "
              + options.get("interval"));
    }
    Discovery.Builder loop =
        Discovery.newBuilder()
            .name(backend)
            .interval(interval)
            .waitMin(options.duration("wait-min", Duration.ZERO))
            .holdMin(options.duration("hold-min", Duration.ofSeconds(60)))
            .minMembers(options.integer("min-members", 1, 1, 1_000_000))
            .allowEmpty(options.has("allow-empty"));
    if (options.has("state-file")) {
      loop.stateFile(options.path("state-file"));
    }
    Ec2MembershipSource source;
    try {
      source = source();
    } catch (InstanceMetadataException e) {
      err.println(
          "muster: reading this instance's identity from IMDS failed (needed for "
              + (options.has("exclude-self")
                  ? "--exclude-self"
                  : "the region; set --region or " + "AWS_REGION")
              + "): "
              + e.getMessage());
      return Main.FETCH_FAILED;
    }
    loop.source(source);
    return options.has("once") ? once(loop, renderer, target) : loop(loop, renderer, target);
  }

  private int loop(Discovery.Builder loop, Renderer renderer, FileTarget target) {
    CountDownLatch stopped = new CountDownLatch(1);
    CountDownLatch cleanedUp = new CountDownLatch(1);
    // SIGTERM and SIGINT are a normal stop: let the loop close, then exit 0 rather than the
    // JVM's 143/130, so that systemd does not mark every stop as failed.
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  stopped.countDown();
                  try {
                    cleanedUp.await(10, TimeUnit.SECONDS);
                  } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                  }
                  Runtime.getRuntime().halt(Main.OK);
                },
                "muster-shutdown"));
    try (ConfigPipeline pipeline =
            ConfigPipeline.newBuilder().name(proxy).renderer(renderer).target(target).build();
        Discovery discovery = loop.listener(pipeline.backend(backend)).build()) {
      discovery.start();
      stopped.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      cleanedUp.countDown();
    }
    return Main.OK;
  }

  private int once(Discovery.Builder loop, Renderer renderer, FileTarget target) {
    if (options.has("state-file") && options.has("dry-run")) {
      // A dry run must not move the guard's baseline.
      throw new Options.UsageException("--dry-run and --state-file do not go together");
    }
    int[] code = {Main.OK};
    Snapshot[] seen = {null};
    Discovery discovery =
        loop.listener(
                (snapshot, changes) -> {
                  seen[0] = snapshot;
                  code[0] = apply(snapshot, renderer, target);
                })
            .build();
    if (options.has("accept-held")) {
      discovery.acceptHeld();
    }
    Discovery.Outcome outcome;
    try (discovery) {
      outcome = discovery.runOnce();
    }
    DiscoveryStatus status = discovery.status();
    return switch (outcome) {
      case FAILED -> {
        err.println("muster: fetching from EC2 failed: " + status.lastError());
        yield Main.FETCH_FAILED;
      }
      case HELD -> {
        err.println(
            "muster: nothing applied: " + status.held() + " (query: " + describeQuery() + ")");
        err.println(
            "muster: if this is intended, run again with --accept-held (a mass "
                + "removal) or lower --min-members / add --allow-empty");
        yield Main.HELD;
      }
      case PUBLISHED -> seen[0] == null ? Main.APPLY_FAILED : code[0];
    };
  }

  private int apply(Snapshot snapshot, Renderer renderer, FileTarget target) {
    try {
      String text = renderer.render(Map.of(backend, snapshot));
      if (target == null) {
        out.print(text);
        return Main.OK;
      }
      ApplyResult result = target.apply(text);
      err.println(
          "muster: "
              + snapshot.size()
              + " members; "
              + switch (result.outcome()) {
                case UNCHANGED -> "unchanged, nothing applied";
                case APPLIED -> "applied " + result.detail();
                case DRY_RUN -> "dry run, nothing applied";
              });
      return Main.OK;
    } catch (RenderException | ApplyException e) {
      err.println("muster: " + e.getMessage());
      return Main.APPLY_FAILED;
    }
  }

  private String describeQuery() {
    return String.join(" ", options.all("tag").stream().map(t -> "--tag " + t).toList())
        + (options.has("asg") ? " --asg " + options.get("asg") : "")
        + " in "
        + region;
  }

  private Ec2MembershipSource source() {
    Query.Builder query = Query.newBuilder();
    for (String tag : options.all("tag")) {
      int eq = tag.indexOf('=');
      try {
        if (eq < 0) {
          query.tagKey(tag);
        } else {
          query.tag(tag.substring(0, eq), tag.substring(eq + 1).split(","));
        }
      } catch (IllegalArgumentException e) {
        throw new Options.UsageException("--tag " + tag + ": " + e.getMessage());
      }
    }
    if (options.has("asg")) {
      try {
        query.autoScalingGroup(options.get("asg"));
      } catch (IllegalArgumentException e) {
        throw new Options.UsageException("--asg: " + e.getMessage());
      }
    }
    if (options.all("tag").isEmpty() && !options.has("asg")) {
      throw new Options.UsageException("--tag or --asg is required: which instances belong?");
    }
    if (!options.has("port")) {
      throw new Options.UsageException("--port is required (tag muster:port overrides it)");
    }
    MemberMapping.Builder mapping =
        MemberMapping.newBuilder()
            .port(options.integer("port", 0, 1, 65535))
            .addressTagHostNames(options.has("address-tag-host-names"));
    String address = options.get("address", "private-ip");
    switch (address) {
      case "private-ip" -> mapping.address(MemberMapping.AddressSource.PRIVATE_IP);
      case "public-ip" -> mapping.address(MemberMapping.AddressSource.PUBLIC_IP);
      case "private-dns" -> mapping.address(MemberMapping.AddressSource.PRIVATE_DNS);
      case "ipv6" -> mapping.address(MemberMapping.AddressSource.IPV6);
      default -> {
        if (!address.startsWith("tag:") || address.length() < 5) {
          throw new Options.UsageException(
              "--address must be private-ip, public-ip, "
                  + "private-dns, ipv6 or tag:NAME: "
                  + address);
        }
        mapping.addressTag(address.substring(4));
      }
    }
    Ec2MembershipSource.Builder source =
        Ec2MembershipSource.newBuilder().query(query.build()).mapping(mapping.build());
    URI endpoint = options.has("endpoint") ? endpoint(options.get("endpoint")) : null;
    // --region, then the SDK's settings (AWS_REGION, aws.region, the profile), then IMDS.
    region = options.get("region");
    if (region == null) {
      region = configuredRegion();
    }
    InstanceIdentity self = null;
    if (region == null || options.has("exclude-self")) {
      self = InstanceIdentity.fetch();
      if (region == null) {
        region = self.region();
      }
    }
    if (self != null && options.has("exclude-self")) {
      source.exclude(self.instanceId());
    }
    if (!region.matches("[a-z]{2}(-[a-z0-9]+)+-\\d+")) {
      throw new Options.UsageException(
          "--region must be a region name like us-east-1: " + Validation.printable(region));
    }
    source.region(region);
    if (endpoint != null) {
      source.endpoint(endpoint);
    }
    return source.build();
  }

  /** The region from the environment, system properties or profile; IMDS is not asked. */
  private static String configuredRegion() {
    try {
      return new AwsRegionProviderChain(
              new SystemSettingsRegionProvider(), new AwsProfileRegionProvider())
          .getRegion()
          .id();
    } catch (RuntimeException e) {
      return null;
    }
  }

  private static URI endpoint(String text) {
    try {
      URI uri = new URI(text);
      if (("http".equals(uri.getScheme()) || "https".equals(uri.getScheme()))
          && uri.getHost() != null) {
        return uri;
      }
    } catch (java.net.URISyntaxException e) {
      // reported below
    }
    throw new Options.UsageException(
        "--endpoint must be a URL like "
            + "https://ec2.us-east-1.amazonaws.com or http://127.0.0.1:8080: "
            + Validation.printable(text));
  }

  private Renderer renderer() {
    try {
      return switch (proxy) {
        case "haproxy" -> {
          HaproxyConfig.Builder b = HaproxyConfig.newBuilder();
          if (options.has("template")) {
            if (options.has("header")) {
              throw new Options.UsageException(
                  "--header and --template do not go together: "
                      + "a template writes the whole file, header included");
            }
            b.template(options.path("template"));
          } else {
            b.header(Path.of(options.require("header", "(or --template)")));
          }
          if (options.has("server-options")) {
            b.serverOptions(options.get("server-options"));
          }
          yield b.build();
        }
        case "nginx" -> {
          NginxConfig.Builder b = NginxConfig.newBuilder();
          if (options.has("template")) {
            b.template(options.path("template"));
          }
          yield b.build();
        }
        default -> {
          DispatcherList.Builder b =
              DispatcherList.newBuilder()
                  .set(backend, DispatcherSet.of(options.integer("set-id", 1, 1, 99_999)));
          if (options.has("template")) {
            b.template(options.path("template"));
          }
          yield b.build();
        }
      };
    } catch (RenderException | IllegalArgumentException | java.io.UncheckedIOException e) {
      throw new Options.UsageException(e.getMessage());
    }
  }

  private Validator validator(Path file) {
    return switch (proxy) {
      case "haproxy" -> options.has("no-validate") ? Validator.NONE : Haproxy.validator();
      case "nginx" ->
          options.has("main-config")
              ? Nginx.validator(options.path("main-config"), file)
              : Validator.NONE;
      default -> Kamailio.validator(options.integer("max-entries", 5000, 1, 100_000), false);
    };
  }

  private Reloader reloader(Path file) {
    if (options.has("reload-cmd")) {
      List<String> argv = Options.words("reload-cmd", options.get("reload-cmd"));
      return Command.reloader(argv.toArray(String[]::new));
    }
    return switch (proxy) {
      case "haproxy" ->
          options.has("master-socket")
              ? Haproxy.reloader(options.path("master-socket"))
              : Reloader.NONE;
      case "nginx" ->
          options.has("main-config") ? Nginx.reloader(options.path("main-config")) : Reloader.NONE;
      default ->
          options.has("rpc")
              ? Kamailio.reloader(URI.create(options.get("rpc")), file).build()
              : Reloader.NONE;
    };
  }
}
