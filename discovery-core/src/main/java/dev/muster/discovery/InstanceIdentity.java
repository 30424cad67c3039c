package dev.muster.discovery;

import dev.muster.discovery.internal.Validation;
import java.net.URI;
import java.time.Duration;
import java.util.Collections;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.imds.Ec2MetadataClient;
import software.amazon.awssdk.imds.Ec2MetadataClientException;

/**
 * Who this host is, from the EC2 instance metadata service (IMDSv2): region, instance id,
 * availability zone, and the instance's own tags when instance-metadata tags are enabled.
 *
 * <p>Uses: pick the region automatically, {@linkplain Ec2MembershipSource.Builder#exclude exclude}
 * the proxy's own instance, and discover "the layer named in my own tag":
 *
 * <pre>{@code
 * InstanceIdentity me = InstanceIdentity.fetch();
 * Query layer = Query.newBuilder().tag("layer", me.requireTag("muster:upstream-layer")).build();
 * Ec2MembershipSource source = Ec2MembershipSource.newBuilder()
 *     .region(me.region()).query(layer).exclude(me.instanceId())
 *     .mapping(MemberMapping.newBuilder().port(8080).build()).build();
 * }</pre>
 *
 * @param region the region, for example {@code us-east-1}
 * @param instanceId this instance's id
 * @param availabilityZone this instance's zone
 * @param tags this instance's tags, valid ones only; empty when not {@code tagsAvailable}
 * @param tagsAvailable whether instance-metadata tags are enabled on this instance
 */
public record InstanceIdentity(
    String region,
    String instanceId,
    String availabilityZone,
    Map<String, String> tags,
    boolean tagsAvailable) {

  private static final Pattern DOCUMENT_REGION =
      Pattern.compile("\"region\"\\s*:\\s*\"([a-z0-9-]+)\"");
  private static final String HOW_TO_AVOID =
      "Off EC2, or without IMDS, set the region "
          + "explicitly (Ec2MembershipSource.Builder.region(\"us-east-1\"), or --region).";

  /** Copies the tags. */
  public InstanceIdentity {
    Objects.requireNonNull(region, "region");
    Objects.requireNonNull(instanceId, "instanceId");
    Objects.requireNonNull(availabilityZone, "availabilityZone");
    tags = Collections.unmodifiableMap(new TreeMap<>(tags));
  }

  /**
   * Asks the metadata service at its usual address (or {@code AWS_EC2_METADATA_SERVICE_ENDPOINT})
   * with 1 s timeouts and one retry, so off EC2 it fails within a few seconds.
   *
   * @throws InstanceMetadataException if the service does not answer
   */
  public static InstanceIdentity fetch() {
    try (Ec2MetadataClient client = shortTimeouts(null)) {
      return fetch(client);
    }
  }

  /** As {@link #fetch()}, from the metadata service at {@code endpoint}. */
  public static InstanceIdentity fetch(URI endpoint) {
    try (Ec2MetadataClient client = shortTimeouts(Objects.requireNonNull(endpoint))) {
      return fetch(client);
    }
  }

  /**
   * Asks through {@code client}, which the caller configured and closes.
   *
   * @throws InstanceMetadataException if the service does not answer
   */
  public static InstanceIdentity fetch(Ec2MetadataClient client) {
    String instanceId;
    String zone;
    String region;
    try {
      instanceId = client.get("/latest/meta-data/instance-id").asString().strip();
      zone = client.get("/latest/meta-data/placement/availability-zone").asString().strip();
      region = region(client);
    } catch (RuntimeException e) {
      throw new InstanceMetadataException(
          "The EC2 instance metadata service (IMDSv2) did not "
              + "answer: "
              + e.getMessage()
              + ". "
              + HOW_TO_AVOID,
          e);
    }
    Map<String, String> tags = new TreeMap<>();
    boolean tagsAvailable = true;
    try {
      String keys = client.get("/latest/meta-data/tags/instance").asString();
      for (String key : keys.split("\n")) {
        if (key.isEmpty()) {
          continue;
        }
        String value = client.get("/latest/meta-data/tags/instance/" + key).asString();
        if (Validation.tagProblem(key, value) == null) {
          tags.put(key, value);
        }
      }
    } catch (Ec2MetadataClientException e) {
      if (e.statusCode() != 404) {
        throw new InstanceMetadataException(
            "reading this instance's tags from IMDS failed: " + e.getMessage(), e);
      }
      tagsAvailable = false;
      tags.clear();
    } catch (RuntimeException e) {
      throw new InstanceMetadataException(
          "reading this instance's tags from IMDS failed: " + e.getMessage(), e);
    }
    return new InstanceIdentity(region, instanceId, zone, tags, tagsAvailable);
  }

  /** This instance's tag {@code key}, if tags are available and it carries it. */
  public Optional<String> tag(String key) {
    return Optional.ofNullable(tags.get(key));
  }

  /**
   * This instance's tag {@code key}.
   *
   * @throws InstanceMetadataException if tags are unavailable or the tag is missing, with a message
   *     that says how to fix it
   */
  public String requireTag(String key) {
    if (!tagsAvailable) {
      throw new InstanceMetadataException(
          "instance-metadata tags are not enabled on "
              + instanceId
              + "; enable them (aws ec2 modify-instance-metadata-options "
              + "--instance-id "
              + instanceId
              + " --instance-metadata-tags enabled) or configure "
              + "the value instead of tag "
              + key,
          null);
    }
    String value = tags.get(key);
    if (value == null) {
      throw new InstanceMetadataException("instance " + instanceId + " has no tag " + key, null);
    }
    return value;
  }

  private static String region(Ec2MetadataClient client) {
    try {
      return client.get("/latest/meta-data/placement/region").asString().strip();
    } catch (Ec2MetadataClientException e) {
      if (e.statusCode() != 404) {
        throw e;
      }
    }
    String document = client.get("/latest/dynamic/instance-identity/document").asString();
    Matcher m = DOCUMENT_REGION.matcher(document);
    if (!m.find()) {
      throw new IllegalStateException("no region in the instance identity document");
    }
    return m.group(1);
  }

  private static Ec2MetadataClient shortTimeouts(URI endpoint) {
    Ec2MetadataClient.Builder builder =
        Ec2MetadataClient.builder()
            .httpClient(
                UrlConnectionHttpClient.builder()
                    .connectionTimeout(Duration.ofSeconds(1))
                    .socketTimeout(Duration.ofSeconds(1))
                    .build())
            .retryPolicy(p -> p.numRetries(1))
            .tokenTtl(Duration.ofMinutes(5));
    if (endpoint != null) {
      builder.endpoint(endpoint);
    }
    return builder.build();
  }
}
