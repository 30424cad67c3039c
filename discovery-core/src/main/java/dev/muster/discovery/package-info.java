/**
 * Muster's public API: membership from EC2 ({@link dev.muster.discovery.Ec2MembershipSource},
 * {@link dev.muster.discovery.Query}, {@link dev.muster.discovery.MemberMapping}), immutable
 * memberships ({@link dev.muster.discovery.Member}, {@link dev.muster.discovery.Snapshot}, {@link
 * dev.muster.discovery.Changes}), the guarded loop ({@link dev.muster.discovery.Discovery}), and
 * the outputs: {@link dev.muster.discovery.ConfigPipeline} drives a {@link
 * dev.muster.discovery.Sink}, for a file a {@link dev.muster.discovery.Renderer} and a {@link
 * dev.muster.discovery.Target} ({@link dev.muster.discovery.FileTarget}).
 */
package dev.muster.discovery;
