package dev.muster.examples.docs;

import dev.muster.discovery.Ec2MembershipSource;
import dev.muster.discovery.InstanceIdentity;
import dev.muster.discovery.MemberMapping;
import dev.muster.discovery.Query;

/** docs/embedding.md: discover the layer that the proxy's own tag names. */
public final class OwnLayer {
  private OwnLayer() {}

  // docs:start own-layer
  static Ec2MembershipSource ownLayer(InstanceIdentity me) {
    return Ec2MembershipSource.newBuilder()
        .region(me.region())
        .query(Query.newBuilder().tag("layer", me.requireTag("muster:upstream")).build())
        .exclude(me.instanceId()) // never route to yourself
        .mapping(MemberMapping.newBuilder().port(8080).build())
        .build();
  }
  // docs:end own-layer
}
