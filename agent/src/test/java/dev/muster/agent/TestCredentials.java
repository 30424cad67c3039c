package dev.muster.agent;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/** Static AWS credentials (system properties) for the SDK's default chain, for a test class. */
final class TestCredentials implements BeforeAllCallback, AfterAllCallback {
  @Override
  public void beforeAll(ExtensionContext context) {
    System.setProperty("aws.accessKeyId", "AKIDMUSTERTEST");
    System.setProperty("aws.secretAccessKey", "muster-test-secret");
  }

  @Override
  public void afterAll(ExtensionContext context) {
    System.clearProperty("aws.accessKeyId");
    System.clearProperty("aws.secretAccessKey");
  }
}
