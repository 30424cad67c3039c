package dev.muster.discovery.internal;

import java.net.URI;
import java.time.Duration;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.awscore.client.builder.AwsClientBuilder;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.core.client.builder.SdkSyncClientBuilder;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.ec2.Ec2ClientBuilder;

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

  /**
   * The EC2 client a source builds: pages read by the streaming path, {@code counter} (or nothing)
   * counting requests, 60 s per attempt and 3 minutes per call, and the STANDARD retry strategy
   * with {@code maxAttempts}, which also retries a response cut short. It has one operation, {@code
   * DescribeInstances} ({@link DescribeOnlyEc2Client}).
   *
   * @param endpoint the endpoint, or {@code null} for the region's
   * @param counter an interceptor that counts requests, or {@code null}
   */
  public static Ec2Client ec2(
      String region,
      URI endpoint,
      AwsCredentialsProvider credentials,
      int maxAttempts,
      ExecutionInterceptor counter) {
    Ec2ClientBuilder builder =
        base(Ec2Client.builder(), region, credentials)
            .overrideConfiguration(
                o -> {
                  o.addExecutionInterceptor(StreamingDescribeInstances.INTERCEPTOR)
                      .apiCallAttemptTimeout(Duration.ofSeconds(60))
                      .apiCallTimeout(Duration.ofMinutes(3))
                      .retryStrategy(
                          AwsRetryStrategy.standardRetryStrategy().toBuilder()
                              .retryOnException(SdkClients::isUnparsableResponse)
                              .maxAttempts(maxAttempts)
                              .build());
                  if (counter != null) {
                    o.addExecutionInterceptor(counter);
                  }
                });
    if (endpoint != null) {
      builder.endpointOverride(endpoint);
    }
    return DescribeOnlyEc2Client.build(builder);
  }

  /**
   * A 200 response whose body could not be parsed (cut short on the way): worth another attempt,
   * which the SDK's own conditions do not make.
   */
  public static boolean isUnparsableResponse(Throwable failure) {
    return failure instanceof SdkClientException
        && failure.getMessage() != null
        && failure.getMessage().startsWith("Unable to unmarshall response");
  }
}
