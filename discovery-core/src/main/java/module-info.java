/**
 * Muster's discovery core: membership from EC2, the guarded discovery loop, and the
 * render-and-apply pipeline. The API is {@code dev.muster.discovery}; {@code internal} is open only
 * to Muster's own renderer modules.
 */
// The AWS SDK, FreeMarker are automatic modules; the renderer modules named in the qualified
// export are compiled after this one.
@SuppressWarnings({"module", "requires-automatic", "requires-transitive-automatic"})
module dev.muster.discovery {
  requires transitive software.amazon.awssdk.services.ec2;
  requires transitive software.amazon.awssdk.imds;
  requires transitive software.amazon.awssdk.services.autoscaling;
  requires transitive software.amazon.awssdk.regions;
  requires transitive software.amazon.awssdk.auth;
  requires transitive software.amazon.awssdk.core;
  requires transitive software.amazon.awssdk.awscore;
  requires transitive software.amazon.awssdk.http;
  requires software.amazon.awssdk.http.urlconnection;
  requires software.amazon.awssdk.protocols.query;
  requires software.amazon.awssdk.metrics;
  requires software.amazon.awssdk.retries;
  requires software.amazon.awssdk.retries.api;
  requires software.amazon.awssdk.utils;
  requires org.slf4j;
  requires java.xml;
  requires com.fasterxml.aalto;
  requires freemarker;

  exports dev.muster.discovery;
  exports dev.muster.discovery.internal to
      dev.muster.haproxy,
      dev.muster.nginx,
      dev.muster.kamailio,
      dev.muster.events,
      dev.muster.agent,
      dev.muster.benchmarks;
}
