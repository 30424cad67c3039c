/**
 * Muster's JMH benchmarks. A sibling of the modules it measures, so it may read the internals they
 * export to it by name (the streaming parser, the test kit's wire formats).
 */
// JMH and the test fixtures are automatic modules.
@SuppressWarnings({"requires-automatic"})
module dev.muster.benchmarks {
  requires dev.muster.discovery;
  requires dev.muster.testkit;
  requires dev.muster.haproxy;
  requires dev.muster.nginx;
  requires dev.muster.kamailio;
  requires muster.test.fixtures;
  requires jmh.core;

  exports dev.muster.benchmarks;
  exports dev.muster.benchmarks.jmh_generated;
}
