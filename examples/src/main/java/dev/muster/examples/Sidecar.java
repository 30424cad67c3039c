package dev.muster.examples;

import dev.muster.discovery.ApplyException;
import dev.muster.discovery.ApplyResult;
import dev.muster.discovery.Command;
import dev.muster.discovery.ConfigPipeline;
import dev.muster.discovery.Discovery;
import dev.muster.discovery.Ec2MembershipSource;
import dev.muster.discovery.FileTarget;
import dev.muster.discovery.InstanceIdentity;
import dev.muster.discovery.MemberMapping;
import dev.muster.discovery.Query;
import dev.muster.discovery.RenderException;
import dev.muster.discovery.Renderer;
import dev.muster.discovery.Reloader;
import dev.muster.discovery.Snapshot;
import dev.muster.discovery.Validator;
import dev.muster.haproxy.HaproxyConfig;
import dev.muster.haproxy.MasterCliReloader;
import dev.muster.kamailio.DispatcherList;
import dev.muster.kamailio.DispatcherListValidator;
import dev.muster.kamailio.DispatcherReloader;
import dev.muster.kamailio.DispatcherSet;
import dev.muster.nginx.NginxConfig;
import dev.muster.nginx.NginxValidator;
import java.io.PrintStream;
import java.net.URI;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

/** One proxy's sidecar: options to source, renderer and target; then once, or a loop. */
final class Sidecar {
  private final String proxy;
  private final Options options;
  private final PrintStream out;
  private final PrintStream err;
  private final String backend;

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
    Renderer renderer = renderer();
    FileTarget target = file == null ? null : FileTarget.newBuilder(file)
        .validator(validator(file)).reloader(reloader(file))
        .dryRun(options.has("dry-run")).dryRunOutput(out::print).build();
    Ec2MembershipSource source = source();

    if (options.has("once")) {
      return once(source, renderer, target);
    }
    if (target == null) {
      throw new Options.UsageException("--dry-run without --out needs --once");
    }
    ConfigPipeline pipeline = ConfigPipeline.newBuilder().name(proxy).renderer(renderer)
        .target(target).build();
    Discovery.Builder loop = Discovery.newBuilder().name(backend).source(source)
        .listener(pipeline.backend(backend))
        .interval(options.duration("interval", java.time.Duration.ofSeconds(15)))
        .waitMin(options.duration("wait-min", java.time.Duration.ZERO));
    if (options.has("state-file")) {
      loop.stateFile(options.path("state-file"));
    }
    CountDownLatch stopped = new CountDownLatch(1);
    try (Discovery discovery = loop.build()) {
      Runtime.getRuntime().addShutdownHook(new Thread(stopped::countDown, "muster-shutdown"));
      discovery.start();
      stopped.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return Main.OK;
  }

  private int once(Ec2MembershipSource source, Renderer renderer, FileTarget target) {
    Snapshot snapshot;
    try (source) {
      snapshot = source.fetch();
    } catch (RuntimeException e) {
      err.println("muster: fetching from EC2 failed: " + e.getMessage());
      return Main.FETCH_FAILED;
    }
    try {
      String text = renderer.render(Map.of(backend, snapshot));
      if (target == null) {
        out.print(text);
        return Main.OK;
      }
      ApplyResult result = target.apply(text);
      err.println("muster: " + snapshot.size() + " members; " + switch (result.outcome()) {
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
      query.autoScalingGroup(options.get("asg"));
    }
    if (options.all("tag").isEmpty() && !options.has("asg")) {
      throw new Options.UsageException("--tag or --asg is required: which instances belong?");
    }
    if (!options.has("port")) {
      throw new Options.UsageException("--port is required (tag muster:port overrides it)");
    }
    MemberMapping.Builder mapping = MemberMapping.newBuilder()
        .port(options.integer("port", 0, 1, 65535));
    String address = options.get("address", "private-ip");
    switch (address) {
      case "private-ip" -> mapping.address(MemberMapping.AddressSource.PRIVATE_IP);
      case "public-ip" -> mapping.address(MemberMapping.AddressSource.PUBLIC_IP);
      case "private-dns" -> mapping.address(MemberMapping.AddressSource.PRIVATE_DNS);
      case "ipv6" -> mapping.address(MemberMapping.AddressSource.IPV6);
      default -> {
        if (!address.startsWith("tag:") || address.length() < 5) {
          throw new Options.UsageException("--address must be private-ip, public-ip, "
              + "private-dns, ipv6 or tag:NAME: " + address);
        }
        mapping.addressTag(address.substring(4));
      }
    }
    Ec2MembershipSource.Builder source = Ec2MembershipSource.newBuilder()
        .query(query.build()).mapping(mapping.build());
    String region = options.get("region");
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
    source.region(region);
    if (options.has("endpoint")) {
      source.endpoint(URI.create(options.get("endpoint")));
    }
    return source.build();
  }

  private Renderer renderer() {
    try {
      return switch (proxy) {
        case "haproxy" -> {
          HaproxyConfig.Builder b = HaproxyConfig.newBuilder();
          if (options.has("template")) {
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
          DispatcherList.Builder b = DispatcherList.newBuilder()
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
      case "haproxy" -> options.has("no-validate") ? Validator.NONE : HaproxyConfig.validator();
      case "nginx" -> options.has("main-config")
          ? new NginxValidator(options.path("main-config"), file) : Validator.NONE;
      default -> new DispatcherListValidator(options.integer("max-entries", 5000, 1, 100_000),
          false);
    };
  }

  private Reloader reloader(Path file) {
    if (options.has("reload-cmd")) {
      return Command.reloader(options.get("reload-cmd").trim().split("\\s+"));
    }
    return switch (proxy) {
      case "haproxy" -> options.has("master-socket")
          ? new MasterCliReloader(options.path("master-socket")) : Reloader.NONE;
      case "nginx" -> options.has("main-config")
          ? NginxConfig.reloader(options.path("main-config")) : Reloader.NONE;
      default -> options.has("rpc")
          ? DispatcherReloader.newBuilder(URI.create(options.get("rpc")), file).build()
          : Reloader.NONE;
    };
  }
}
