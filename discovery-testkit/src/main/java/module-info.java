/**
 * Muster's test kit: protocol-faithful stand-ins for EC2 and IMDSv2 on loopback, for the real AWS
 * SDK, and a simulated fleet. The API is {@code dev.muster.testkit}.
 */
// The AWS SDK is made of automatic modules; the benchmarks named in the qualified export are
// compiled after this one.
@SuppressWarnings({"module", "requires-automatic", "requires-transitive-automatic"})
module dev.muster.testkit {
  requires transitive software.amazon.awssdk.services.ec2;
  requires transitive software.amazon.awssdk.imds;
  requires transitive software.amazon.awssdk.services.sqs;
  requires transitive software.amazon.awssdk.services.autoscaling;
  requires transitive software.amazon.awssdk.services.sts;
  requires software.amazon.awssdk.protocols.jsoncore;
  requires transitive software.amazon.awssdk.regions;
  requires software.amazon.awssdk.auth;
  requires software.amazon.awssdk.awscore;
  requires software.amazon.awssdk.core;
  requires software.amazon.awssdk.http;
  requires software.amazon.awssdk.http.urlconnection;
  requires software.amazon.awssdk.retries;
  requires software.amazon.awssdk.retries.api;
  requires software.amazon.awssdk.utils;
  requires jdk.httpserver;
  requires com.fasterxml.jackson.core;

  exports dev.muster.testkit;
  exports dev.muster.testkit.internal to
      dev.muster.benchmarks;
}
