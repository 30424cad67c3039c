package dev.muster.discovery.internal;

import java.util.List;
import java.util.function.Consumer;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.ec2.model.DescribeInstancesRequest;
import software.amazon.awssdk.services.ec2.model.DescribeInstancesResponse;
import software.amazon.awssdk.services.ec2.model.Instance;
import software.amazon.awssdk.services.ec2.model.Reservation;

/** The pages of a {@code DescribeInstances} request. */
public final class Ec2Pages {
  private Ec2Pages() {}

  /**
   * Every page of {@code walk}, following {@code NextToken} to the end. A client built here reads
   * each page with the streaming path ({@link StreamingDescribeInstances}); a client passed in
   * gives the SDK's own model. Either way the SDK signs, sends and retries each page.
   */
  public static void each(
      Ec2Client client, DescribeInstancesRequest walk, Consumer<List<Instance>> each) {
    String token = null;
    do {
      StreamingDescribeInstances.Page holder = new StreamingDescribeInstances.Page();
      DescribeInstancesRequest.Builder page = walk.toBuilder().nextToken(token);
      page.overrideConfiguration(
          o -> o.putExecutionAttribute(StreamingDescribeInstances.PAGE, holder));
      DescribeInstancesResponse response = client.describeInstances(page.build());
      if (holder.instances() != null) {
        each.accept(holder.instances());
      } else {
        for (Reservation reservation : response.reservations()) {
          each.accept(reservation.instances());
        }
      }
      token = response.nextToken();
    } while (token != null && !token.isEmpty());
  }
}
