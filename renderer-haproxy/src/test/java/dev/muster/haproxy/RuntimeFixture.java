package dev.muster.haproxy;

import dev.muster.discovery.ApplyException;
import dev.muster.discovery.Member;
import dev.muster.discovery.Snapshot;
import dev.muster.discovery.Validator;
import dev.muster.fixtures.MutableClock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * Runtime mode against a {@link FakeRuntimeApi} and a hand-moved clock, for the unit tests: no
 * HAProxy, no sleeping. A reload makes the fake read the file, as HAProxy does.
 */
final class RuntimeFixture {
  static final Instant T = Instant.parse("2026-01-01T00:00:00Z");
  static final String HEADER = "global\n    stats socket admin.sock level admin\n";

  final FakeRuntimeApi api = new FakeRuntimeApi();
  final List<Runnable> onPause = new ArrayList<>();
  final MutableClock clock = new MutableClock(T);
  final Path config;
  int pauses;
  int reloads;
  boolean reloadFails;
  Validator validator = Validator.NONE;

  RuntimeFixture(Path dir) {
    this.config = dir.resolve("haproxy.cfg");
  }

  /** The settings most tests use: checks, per-backend options, a 10 s drain, a 5 s warm-up. */
  HaproxyRuntime runtime() {
    return runtime(c -> c);
  }

  /** As {@link #runtime()}, with the renderer settings changed by {@code settings}. */
  HaproxyRuntime runtime(UnaryOperator<HaproxyConfig.Builder> settings) {
    return builder(settings).build();
  }

  HaproxyRuntime.Builder builder(UnaryOperator<HaproxyConfig.Builder> settings) {
    return HaproxyRuntime.newBuilder()
        .configFile(config)
        .validator(candidate -> validator.validate(candidate))
        .reloader(
            () -> {
              if (reloadFails) {
                throw new ApplyException("reload failed: the master socket does not answer");
              }
              reloads++;
              api.load(config); // HAProxy rereads the file on reload
            })
        .config(
            settings.apply(
                Haproxy.renderer()
                    .headerText(HEADER)
                    .serverOptions("check inter 1s")
                    .serverOptions("api", "check inter 5s")
                    .backendOptions("web", "    option httpchk GET /health")))
        .drainTimeout(Duration.ofSeconds(10))
        .warmupTimeout(Duration.ofSeconds(5))
        .pollInterval(Duration.ofMillis(100))
        .api(api)
        .time(
            clock,
            d -> {
              clock.advance(d);
              pauses++;
              onPause.forEach(Runnable::run);
            });
  }

  static Member member(int i) {
    return member(i, 100);
  }

  static Member member(int i, int weight) {
    return Member.newBuilder(String.format("i-%03d", i))
        .address("10.0.0." + i)
        .port(8080)
        .weight(weight)
        .build();
  }

  static Map<String, Snapshot> web(Member... members) {
    return Map.of("web", Snapshot.of(List.of(members), T));
  }

  /** Starts HAProxy (the fake) from the file the runtime wrote, every server healthy. */
  HaproxyRuntime started(Member... members) {
    HaproxyRuntime runtime = runtime();
    runtime.bootstrap(web(members));
    for (Member m : members) {
      api.healthy.add(m.address());
    }
    api.load(config);
    return runtime;
  }

  /** Records every candidate HAProxy's checker sees; refuses one holding {@code refused}. */
  List<String> checked(String refused) {
    List<String> seen = new ArrayList<>();
    validator =
        candidate -> {
          String text;
          try {
            text = Files.readString(candidate);
          } catch (java.io.IOException e) {
            throw new AssertionError(e);
          }
          seen.add(text);
          if (refused != null && text.contains(refused)) {
            throw new ApplyException("validation failed: haproxy -c refuses " + refused);
          }
        };
    return seen;
  }

  static long serverLines(String config) {
    return config.lines().filter(l -> l.strip().startsWith("server ")).count();
  }

  /** Whether {@code name} in {@code backend} takes traffic: neither drained nor in maint. */
  boolean serving(String backend, String name) {
    FakeRuntimeApi.Server s = api.server(backend, name);
    return s != null && !s.maint && !s.drain;
  }
}
