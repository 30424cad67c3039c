package dev.muster.testkit.internal;

import java.time.Duration;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.SdkHttpClient;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;

/** What every stand-in's client builder is preset with. */
public final class Clients {
  private Clients() {}

  /** Static dummy credentials: the SDK signs with them, the stand-ins check the signature form. */
  public static AwsCredentialsProvider credentials() {
    return StaticCredentialsProvider.create(
        AwsBasicCredentials.create("AKIDMUSTERTESTKIT", "muster-testkit-secret"));
  }

  /** The URLConnection client: 5 s to connect, {@code read} per read. */
  public static SdkHttpClient http(Duration read) {
    return UrlConnectionHttpClient.builder()
        .connectionTimeout(Duration.ofSeconds(5))
        .socketTimeout(read)
        .build();
  }
}
