package dev.muster.discovery.internal;

import java.lang.reflect.Method;
import java.util.List;
import software.amazon.awssdk.awscore.client.handler.AwsSyncClientHandler;
import software.amazon.awssdk.awscore.internal.AwsProtocolMetadata;
import software.amazon.awssdk.awscore.internal.AwsServiceProtocol;
import software.amazon.awssdk.core.RequestOverrideConfiguration;
import software.amazon.awssdk.core.client.builder.SdkDefaultClientBuilder;
import software.amazon.awssdk.core.client.config.SdkClientConfiguration;
import software.amazon.awssdk.core.client.config.SdkClientOption;
import software.amazon.awssdk.core.client.handler.ClientExecutionParams;
import software.amazon.awssdk.core.client.handler.SyncClientHandler;
import software.amazon.awssdk.core.metrics.CoreMetric;
import software.amazon.awssdk.core.util.VersionInfo;
import software.amazon.awssdk.metrics.MetricCollector;
import software.amazon.awssdk.metrics.MetricPublisher;
import software.amazon.awssdk.metrics.NoOpMetricCollector;
import software.amazon.awssdk.protocols.query.AwsEc2ProtocolFactory;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.ec2.Ec2ClientBuilder;
import software.amazon.awssdk.services.ec2.model.DescribeInstancesRequest;
import software.amazon.awssdk.services.ec2.model.DescribeInstancesResponse;
import software.amazon.awssdk.services.ec2.model.Ec2Exception;
import software.amazon.awssdk.services.ec2.transform.DescribeInstancesRequestMarshaller;

/**
 * The SDK's EC2 client with one operation, {@code DescribeInstances} (and the paginator the
 * interface builds on it): the same configuration (the builder's own, endpoint rules, signing,
 * interceptors, retries), the same handler, marshaller and parser as the generated {@code
 * DefaultEc2Client}, whose body for this operation it repeats. Why: linking the generated client
 * makes the JVM's verifier load every one of EC2's ~760 request classes (its ~750 operations each
 * pass their request where the handler takes an {@code SdkRequest}); that cost 300 ms of CPU at
 * each start and ~8 MiB of metaspace for classes never used (BENCHMARKS.md, issue 25;
 * aws/aws-sdk-java-v2#2527: "the EC2 client is the worst at that"). Every other operation throws
 * {@link UnsupportedOperationException}, as the interface's defaults do.
 *
 * <p>{@link #build} takes the configuration from a configured builder by calling its protected
 * {@code syncClientConfiguration()}, what the builder's own {@code build()} passes to the generated
 * client. If a later SDK no longer has that method, {@link #build} returns the builder's generated
 * client instead: nothing breaks, the start costs what it did. {@code DescribeOnlyEc2ClientTest}
 * compares the two on the wire.
 */
public final class DescribeOnlyEc2Client implements Ec2Client {
  private static final AwsProtocolMetadata PROTOCOL =
      AwsProtocolMetadata.builder().serviceProtocol(AwsServiceProtocol.EC2).build();
  private static final Method CONFIGURATION = configurationMethod();

  private final SyncClientHandler handler;
  private final SdkClientConfiguration configuration;
  private final AwsEc2ProtocolFactory protocol;

  private DescribeOnlyEc2Client(SdkClientConfiguration built) {
    handler = new AwsSyncClientHandler(built);
    configuration =
        built.toBuilder()
            .option(SdkClientOption.SDK_CLIENT, this)
            .option(SdkClientOption.API_METADATA, apiMetadata())
            .build();
    protocol =
        AwsEc2ProtocolFactory.builder()
            .clientConfiguration(configuration)
            .defaultServiceExceptionSupplier(Ec2Exception::builder)
            .build();
  }

  /**
   * This client from {@code builder}'s configuration, or the builder's generated client if this
   * SDK's builder does not give its configuration.
   */
  public static Ec2Client build(Ec2ClientBuilder builder) {
    if (CONFIGURATION != null) {
      try {
        return new DescribeOnlyEc2Client((SdkClientConfiguration) CONFIGURATION.invoke(builder));
      } catch (ReflectiveOperationException | ClassCastException e) {
        // fall through to the generated client
      }
    }
    return builder.build();
  }

  /** Whether {@link #build} gives this client with the SDK on the class or module path. */
  public static boolean available() {
    return CONFIGURATION != null;
  }

  private static Method configurationMethod() {
    try {
      Method m = SdkDefaultClientBuilder.class.getDeclaredMethod("syncClientConfiguration");
      m.setAccessible(true);
      return m.getReturnType() == SdkClientConfiguration.class ? m : null;
    } catch (ReflectiveOperationException | RuntimeException e) {
      return null;
    }
  }

  /** What the generated client puts in the user agent: {@code EC2#2.41.x}. */
  private static String apiMetadata() {
    String[] v = VersionInfo.SDK_VERSION.split("\\.");
    return "EC2#" + (v.length >= 2 ? v[0] + "." + v[1] + ".x" : VersionInfo.SDK_VERSION);
  }

  @Override
  public DescribeInstancesResponse describeInstances(DescribeInstancesRequest request) {
    RequestOverrideConfiguration override = request.overrideConfiguration().orElse(null);
    if (override != null && !override.plugins().isEmpty()) {
      throw new UnsupportedOperationException("request plugins are not supported here");
    }
    List<MetricPublisher> publishers = publishers(override);
    MetricCollector metrics =
        publishers.isEmpty() ? NoOpMetricCollector.create() : MetricCollector.create("ApiCall");
    metrics.reportMetric(CoreMetric.SERVICE_ID, "EC2");
    metrics.reportMetric(CoreMetric.OPERATION_NAME, "DescribeInstances");
    try {
      return handler.execute(
          new ClientExecutionParams<DescribeInstancesRequest, DescribeInstancesResponse>()
              .withOperationName("DescribeInstances")
              .withProtocolMetadata(PROTOCOL)
              .withResponseHandler(
                  protocol.createResponseHandler(DescribeInstancesResponse::builder))
              .withErrorResponseHandler(protocol.createErrorResponseHandler())
              .withRequestConfiguration(configuration)
              .withInput(request)
              .withMetricCollector(metrics)
              .withMarshaller(new DescribeInstancesRequestMarshaller(protocol)));
    } finally {
      publishers.forEach(p -> p.publish(metrics.collect()));
    }
  }

  private List<MetricPublisher> publishers(RequestOverrideConfiguration override) {
    if (override != null && !override.metricPublishers().isEmpty()) {
      return override.metricPublishers();
    }
    List<MetricPublisher> configured = configuration.option(SdkClientOption.METRIC_PUBLISHERS);
    return configured != null ? configured : List.of();
  }

  @Override
  public String serviceName() {
    return SERVICE_NAME;
  }

  @Override
  public void close() {
    handler.close();
  }
}
