/** The {@code muster} command: an application, so it exports nothing. */
// Micrometer's jars are automatic modules.
@SuppressWarnings({"requires-automatic"})
module dev.muster.agent {
  requires dev.muster.haproxy;
  requires dev.muster.nginx;
  requires dev.muster.kamailio;
  requires dev.muster.events;
  // muster demo: the test kit's EC2, Auto Scaling and SQS stand-ins, and backends on loopback.
  requires dev.muster.testkit;
  requires jdk.httpserver;
  requires software.amazon.awssdk.services.sts;
  requires info.picocli;
  requires org.snakeyaml.engine.v2;
  requires org.slf4j;
  requires com.fasterxml.jackson.core;
  requires micrometer.core;
  requires micrometer.registry.prometheus;
  // sun.misc.Signal, for SIGHUP.
  requires jdk.unsupported;

  // picocli reads the command classes reflectively.
  opens dev.muster.agent to
      info.picocli;
}
