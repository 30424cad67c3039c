package dev.muster.agent;

import dev.muster.agent.AgentConfig.Account;
import dev.muster.agent.AgentConfig.Backend;
import dev.muster.discovery.Ec2MembershipSource;
import dev.muster.discovery.MembershipSource;
import dev.muster.discovery.SharedWalks;
import dev.muster.discovery.internal.SdkClients;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.ProfileCredentialsProvider;
import software.amazon.awssdk.awscore.client.builder.AwsClientBuilder;
import software.amazon.awssdk.core.client.builder.SdkSyncClientBuilder;
import software.amazon.awssdk.services.autoscaling.AutoScalingClient;
import software.amazon.awssdk.services.sts.StsClient;
import software.amazon.awssdk.services.sts.auth.StsAssumeRoleCredentialsProvider;

/**
 * The AWS side of an {@link Assembly}: the membership source of each backend, and what the sources
 * share: the agent's credentials, the walks, an STS client for assumed roles and an Auto Scaling
 * client for {@code in_service_only}, each client made on first use. Not thread-safe: an assembly
 * builds its sources on one thread. Closing it closes the clients it made.
 */
final class BackendSources implements AutoCloseable {
  /** Every call a source's helper client makes: a try, and the whole call with its retries. */
  private static final Duration ATTEMPT = Duration.ofSeconds(30);

  private static final Duration CALL = Duration.ofMinutes(2);

  private final AgentConfig.Aws aws;
  private final String region;
  private final SharedWalks walks;

  /** The credentials every client uses, or {@code null} for the SDK's default chain. */
  final AwsCredentialsProvider credentials;

  /** Assumed-role providers by role and external id. */
  private final Map<Account, AwsCredentialsProvider> roles = new LinkedHashMap<>();

  private StsClient sts;
  private AutoScalingClient autoScaling;

  /**
   * Sources in {@code region} (where a backend's account names none) that share {@code walks}; one
   * credentials provider for all of them ({@code aws.profile}, else the SDK's chain), so that they
   * share a client.
   */
  BackendSources(AgentConfig.Aws aws, String region, SharedWalks walks) {
    this.aws = aws;
    this.region = region;
    this.walks = walks;
    this.credentials =
        aws.profile() == null ? null : ProfileCredentialsProvider.create(aws.profile());
  }

  /**
   * The source of {@code backend}: one {@link Ec2MembershipSource} in the region with the agent's
   * credentials, or one per account of its {@code accounts} (its region, its role assumed through
   * STS by the SDK's refreshing provider), merged. {@code self} is read only if the backend leaves
   * out the agent's own instance.
   */
  MembershipSource of(Backend backend, Supplier<String> self) {
    List<Account> accounts =
        backend.accounts().isEmpty() ? List.of(new Account(null, null, null)) : backend.accounts();
    List<Ec2MembershipSource> parts = new ArrayList<>();
    for (Account account : accounts) {
      String where = account.region() != null ? account.region() : region;
      Ec2MembershipSource.Builder source =
          Ec2MembershipSource.newBuilder()
              .sharedWalks(walks)
              .region(where)
              .query(backend.query())
              .mapping(backend.mapping());
      if (aws.endpoint() != null) {
        source.endpoint(aws.endpoint());
      }
      if (account.roleArn() != null) {
        source.credentials(assumed(account));
      } else if (credentials != null) {
        source.credentials(credentials);
      }
      if (!backend.accounts().isEmpty()) {
        source.origin(where, account.accountId());
      }
      if (backend.excludeSelf()) {
        source.exclude(self.get());
      }
      if (backend.inServiceOnly()) {
        source.inServiceOnly(autoScaling(), backend.inServiceCache());
      }
      parts.add(source.build());
    }
    return parts.size() == 1 ? parts.get(0) : MembershipSource.merge(parts);
  }

  /**
   * The role of {@code account}, assumed with the session name {@code muster-HOST} and its external
   * id; the SDK's provider refreshes the credentials before they expire.
   */
  private AwsCredentialsProvider assumed(Account account) {
    // One provider per role and external id: backends that share it share its client and walks.
    return roles.computeIfAbsent(
        new Account(null, account.roleArn(), account.externalId()), this::newAssumed);
  }

  private AwsCredentialsProvider newAssumed(Account account) {
    if (sts == null) {
      sts = client(StsClient.builder(), aws.stsEndpoint());
    }
    String session = "muster-" + sessionHost();
    return StsAssumeRoleCredentialsProvider.builder()
        .stsClient(sts)
        .refreshRequest(
            r -> {
              r.roleArn(account.roleArn()).roleSessionName(session);
              if (account.externalId() != null) {
                r.externalId(account.externalId());
              }
            })
        .build();
  }

  /**
   * This host's name as a session name may hold it (letters, digits, {@code =,.@-}, 58 at most).
   */
  private static String sessionHost() {
    String host;
    try {
      host = java.net.InetAddress.getLocalHost().getHostName();
    } catch (java.io.IOException e) {
      host = "agent";
    }
    String safe = host.replaceAll("[^A-Za-z0-9=,.@-]", "-");
    return safe.length() > 58 ? safe.substring(0, 58) : safe;
  }

  /** The Auto Scaling client of the backends with {@code in_service_only}. */
  private AutoScalingClient autoScaling() {
    if (autoScaling == null) {
      autoScaling = client(AutoScalingClient.builder(), aws.autoScalingEndpoint());
    }
    return autoScaling;
  }

  /** A helper client in the agent's region with its credentials, at {@code endpoint} if given. */
  private <B extends SdkSyncClientBuilder<B, C> & AwsClientBuilder<B, C>, C> C client(
      B builder, URI endpoint) {
    B b =
        SdkClients.base(builder, region, credentials)
            .overrideConfiguration(o -> o.apiCallAttemptTimeout(ATTEMPT).apiCallTimeout(CALL));
    if (endpoint != null) {
      b.endpointOverride(endpoint);
    }
    return b.build();
  }

  /** Closes the clients made so far; the sources' own EC2 clients belong to the walks. */
  @Override
  public void close() {
    try {
      if (autoScaling != null) {
        autoScaling.close();
      }
    } finally {
      if (sts != null) {
        sts.close();
      }
    }
  }
}
