/**
 * Test support for users and for Muster: {@link dev.muster.testkit.FakeEc2} and {@link
 * dev.muster.testkit.FakeImds} speak the real wire protocols on loopback so that the real AWS SDK
 * runs end to end, over a {@link dev.muster.testkit.SimulatedFleet}; the rest (backends, a load
 * client, process handling) is the harness of Muster's own real-proxy tests.
 */
package dev.muster.testkit;
