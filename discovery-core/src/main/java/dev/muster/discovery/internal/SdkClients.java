package dev.muster.discovery.internal;

import java.time.Duration;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.awscore.client.builder.AwsClientBuilder;
import software.amazon.awssdk.core.client.builder.SdkSyncClientBuilder;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;

/**
 * What every AWS client Muster builds shares: region, credentials, an HTTP client with timeouts.
 */
public final class SdkClients {
  private SdkClients() {}

  /**
   * Sets {@code region}, {@code credentials} (the SDK's default chain when null) and an HTTP client
   * that gives up connecting after 5 s and reading after 30 s.
   */
  public static <B extends SdkSyncClientBuilder<B, ?> & AwsClientBuilder<B, ?>> B base(
      B builder, String region, AwsCredentialsProvider credentials) {
    return builder
        .region(Region.of(region))
        .credentialsProvider(
            credentials != null ? credentials : DefaultCredentialsProvider.builder().build())
        .httpClient(
            UrlConnectionHttpClient.builder()
                .connectionTimeout(Duration.ofSeconds(5))
                .socketTimeout(Duration.ofSeconds(30))
                .build());
  }
}
