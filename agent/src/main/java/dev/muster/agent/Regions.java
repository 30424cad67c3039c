package dev.muster.agent;

import dev.muster.discovery.InstanceIdentity;
import java.util.List;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.regions.providers.AwsProfileRegionProvider;
import software.amazon.awssdk.regions.providers.AwsRegionProviderChain;
import software.amazon.awssdk.regions.providers.SystemSettingsRegionProvider;

/** Where the region comes from: the file, then the SDK's settings, then IMDS. */
final class Regions {
  private Regions() {}

  /**
   * Why {@code name} is not a region the SDK knows (with the nearest known names), or {@code null}
   * if it is one.
   */
  static String problem(String name) {
    if (!name.matches("[a-z]{2}(-[a-z0-9]+)+-\\d+")) {
      return "must be a region name like us-east-1: " + name;
    }
    List<String> known =
        Region.regions().stream()
            .map(Region::id)
            .filter(id -> id.matches("[a-z]{2}(-[a-z0-9]+)+-\\d+"))
            .sorted()
            .toList();
    if (known.contains(name)) {
      return null;
    }
    List<String> near = Nearest.among(known, name, 3);
    return "unknown region "
        + name
        + (near.isEmpty() ? "" : "; did you mean " + String.join(", ", near) + "?")
        + " (this build's AWS SDK knows "
        + known.size()
        + " regions)";
  }

  /**
   * {@code configured} if set; else {@code AWS_REGION} / {@code aws.region} or the profile; else
   * the instance metadata service.
   *
   * @throws RuntimeException if the metadata service does not answer
   */
  static String resolve(String configured) {
    if (configured != null) {
      return configured;
    }
    try {
      return new AwsRegionProviderChain(
              new SystemSettingsRegionProvider(), new AwsProfileRegionProvider())
          .getRegion()
          .id();
    } catch (RuntimeException e) {
      return InstanceIdentity.fetch().region();
    }
  }

  /**
   * The region ({@link #resolve(String)}); if IMDS does not answer, prints why and returns null.
   */
  static String resolve(AgentConfig config, java.io.PrintWriter err) {
    try {
      return resolve(config.aws().region());
    } catch (RuntimeException e) {
      Throwable root = e;
      while (root.getCause() != null && root.getCause() != root) {
        root = root.getCause();
      }
      err.println(
          "muster: aws.region: not set in "
              + config.file()
              + ", nor by AWS_REGION or the profile, and the instance metadata service did not"
              + " answer (not on EC2?): set aws.region in the file, or AWS_REGION (IMDS said: "
              + root.getMessage()
              + ")");
      err.flush();
      return null;
    }
  }
}
