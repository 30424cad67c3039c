package dev.muster.examples.docs;

import dev.muster.discovery.ConfigPipeline;
import dev.muster.discovery.Discovery;
import dev.muster.discovery.FileTarget;
import dev.muster.discovery.MembershipSource;
import dev.muster.discovery.Renderer;
import dev.muster.haproxy.Haproxy;
import dev.muster.haproxy.HaproxyRuntime;
import dev.muster.kamailio.DispatcherSet;
import dev.muster.kamailio.Kamailio;
import dev.muster.nginx.Nginx;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;

/**
 * The Java samples of docs/haproxy.md, docs/nginx.md and docs/kamailio.md: each wires a source to a
 * proxy and returns the started loop (close it, then the pipeline). DocsExamplesIT runs each
 * against the test kit and the real proxy.
 */
public final class ProxyExamples {
  private ProxyExamples() {}

  /** A started loop and the pipeline it feeds; closing closes both. */
  public record Running(Discovery discovery, ConfigPipeline pipeline) implements AutoCloseable {
    @Override
    public void close() {
      discovery.close();
      pipeline.close();
    }
  }

  // docs:start haproxy-file
  static Running haproxyFileMode(
      MembershipSource webSource, Path header, Path haproxyCfg, Path masterSocket) {
    Renderer renderer =
        Haproxy.renderer()
            .header(header) // global, defaults, frontends: yours, verbatim
            .backendOptions("web", "    balance roundrobin\n    option httpchk GET /health")
            .serverOptions("check inter 2s fall 3 rise 2") // default: check inter 5s fall 3
            .build();
    ConfigPipeline pipeline =
        ConfigPipeline.newBuilder()
            .renderer(renderer)
            .target(
                FileTarget.newBuilder(haproxyCfg)
                    .validator(Haproxy.validator()) // haproxy -c -f CANDIDATE
                    .reloader(Haproxy.reloader(masterSocket)) // the master CLI's reload
                    .build())
            .build();
    Discovery web =
        Discovery.newBuilder()
            .name("web")
            .source(webSource)
            .listener(pipeline.backend("web"))
            .waitMin(Duration.ofSeconds(2)) // a burst of changes: one reload
            .build();
    web.start();
    return new Running(web, pipeline);
  }

  // docs:end haproxy-file

  // docs:start haproxy-runtime
  static Running haproxyRuntimeMode(
      MembershipSource webSource,
      Path header,
      Path haproxyCfg,
      Path statsSocket,
      Path masterSocket) {
    HaproxyRuntime runtime =
        Haproxy.runtime()
            .statsSocket(statsSocket) // stats socket ... level admin, in the header
            .configFile(haproxyCfg)
            .reloader(Haproxy.reloader(masterSocket)) // only for a backend new to the file
            .config(
                Haproxy.renderer() // the same settings as file mode
                    .header(header)
                    .serverOptions("check inter 1s fall 2 rise 1")) // warm-up waits for the check
            .drainTimeout(Duration.ofSeconds(60)) // longer than your longest request
            .build();
    ConfigPipeline pipeline = ConfigPipeline.newBuilder().name("haproxy").sink(runtime).build();
    Discovery web =
        Discovery.newBuilder()
            .name("web")
            .source(webSource)
            .listener(pipeline.backend("web"))
            .build();
    web.start();
    return new Running(web, pipeline);
  }

  // docs:end haproxy-runtime

  // docs:start nginx
  static Running nginx(MembershipSource webSource, Path nginxConf, Path upstreams) {
    ConfigPipeline pipeline =
        ConfigPipeline.newBuilder()
            .renderer(
                Nginx.renderer()
                    .upstreamOptions("web", "    least_conn;\n    keepalive 16;")
                    .build())
            .target(
                FileTarget.newBuilder(upstreams)
                    .validator(Nginx.validator(nginxConf, upstreams)) // nginx -t, the candidate in
                    .reloader(Nginx.reloader(nginxConf)) // nginx -s reload -c nginx.conf
                    .build())
            .build();
    Discovery web =
        Discovery.newBuilder()
            .name("web")
            .source(webSource)
            .listener(pipeline.backend("web"))
            .waitMin(Duration.ofSeconds(2)) // a burst of changes: one reload
            .build();
    web.start();
    return new Running(web, pipeline);
  }

  // docs:end nginx

  // docs:start kamailio
  static Running kamailio(MembershipSource acdSource, Path dispatcherList, URI rpc) {
    ConfigPipeline pipeline =
        ConfigPipeline.newBuilder()
            .renderer(
                Kamailio.renderer()
                    .set("acd", DispatcherSet.of(1)) // ds_select_dst("1", ...)
                    .build())
            .target(
                FileTarget.newBuilder(dispatcherList)
                    .validator(Kamailio.validator(5000, false)) // a cap, and never empty
                    .reloader(
                        Kamailio.reloader(rpc, dispatcherList)
                            .maxWait(Duration.ofSeconds(12)) // above reload_delta
                            .build())
                    .build())
            .build();
    Discovery acd =
        Discovery.newBuilder()
            .name("acd")
            .source(acdSource)
            .listener(pipeline.backend("acd"))
            .build();
    acd.start();
    return new Running(acd, pipeline);
  }
  // docs:end kamailio
}
