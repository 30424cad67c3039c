package dev.muster.agent;

import dev.muster.discovery.InstanceIdentity;
import software.amazon.awssdk.regions.providers.AwsProfileRegionProvider;
import software.amazon.awssdk.regions.providers.AwsRegionProviderChain;
import software.amazon.awssdk.regions.providers.SystemSettingsRegionProvider;

/** Where the region comes from: the file, then the SDK's settings, then IMDS. */
final class Regions {
  private Regions() {}

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
}
