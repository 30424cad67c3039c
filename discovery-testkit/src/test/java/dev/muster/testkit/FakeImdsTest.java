package dev.muster.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URI;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.imds.Ec2MetadataClient;

/** The fake metadata service follows the IMDSv2 token flow that the SDK's client uses. */
class FakeImdsTest {
  private final SimulatedFleet fleet = new SimulatedFleet("eu-west-1");
  private FakeInstance self;
  private FakeImds imds;
  private Ec2MetadataClient client;

  @BeforeEach
  void start() {
    self = fleet.launch(1, Map.of("muster:layer", "web")).get(0);
    imds = FakeImds.start(fleet, self.instanceId());
    client = imds.client();
  }

  @AfterEach
  void stop() {
    client.close();
    imds.close();
  }

  @Test
  void servesIdentityThroughTheSdkClient() {
    assertEquals(self.instanceId(), client.get("/latest/meta-data/instance-id").asString());
    assertEquals("eu-west-1", client.get("/latest/meta-data/placement/region").asString());
    assertEquals(
        self.availabilityZone(),
        client.get("/latest/meta-data/placement/availability-zone").asString());
    assertTrue(
        client
            .get("/latest/dynamic/instance-identity/document")
            .asString()
            .contains("\"region\" : \"eu-west-1\""));
  }

  @Test
  void servesTagsAndFollowsRetagging() {
    assertEquals("muster:layer", client.get("/latest/meta-data/tags/instance").asString());
    fleet.tag(self.instanceId(), "muster:layer", "api");

    assertEquals("api", client.get("/latest/meta-data/tags/instance/muster:layer").asString());
  }

  @Test
  void tagsAreNotFoundWhileDisabled() {
    imds.tagsEnabled(false);

    assertThrows(SdkClientException.class, () -> client.get("/latest/meta-data/tags/instance"));
  }

  @Test
  void refusedTokenIsAnError() {
    imds.refuseTokens(true);

    assertThrows(SdkClientException.class, () -> client.get("/latest/meta-data/instance-id"));
  }

  @Test
  void imdsV1RequestsAreRefused() throws IOException {
    assertEquals(401, status("GET", "/latest/meta-data/instance-id", null));
  }

  @Test
  void tokenTtlOutOfRangeIsABadRequest() throws IOException {
    assertEquals(400, status("PUT", "/latest/api/token", "21601"));
  }

  /** A plain request (no SDK), with an optional token TTL header. */
  private int status(String method, String path, String ttl) throws IOException {
    java.net.HttpURLConnection connection =
        (java.net.HttpURLConnection) URI.create(imds.endpoint() + path).toURL().openConnection();
    connection.setRequestMethod(method);
    connection.setConnectTimeout(2000);
    connection.setReadTimeout(2000);
    if (ttl != null) {
      connection.setRequestProperty("X-aws-ec2-metadata-token-ttl-seconds", ttl);
    }
    try {
      return connection.getResponseCode();
    } finally {
      connection.disconnect();
    }
  }

  @Test
  void hangingTokenRequestTimesOutOnTheClientSide() {
    imds.hangTokens(true);

    assertThrows(SdkClientException.class, () -> client.get("/latest/meta-data/instance-id"));
  }
}
