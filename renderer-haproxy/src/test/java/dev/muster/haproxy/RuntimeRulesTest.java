package dev.muster.haproxy;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.muster.discovery.ApplyException;
import dev.muster.haproxy.internal.DynamicRules;
import java.nio.file.Path;
import java.util.Set;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * What HAProxy 2.6 does not allow for servers added at runtime is refused when runtime mode is
 * built, naming the setting (or at the apply, for a backend that takes its algorithm from the
 * header's {@code defaults}).
 */
class RuntimeRulesTest {
  @TempDir Path dir;

  private String refusal(UnaryOperator<HaproxyConfig.Builder> settings) {
    RuntimeFixture f = new RuntimeFixture(dir);
    return assertThrows(IllegalStateException.class, () -> f.runtime(settings)).getMessage();
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "    balance static-rr|balance static-rr",
        "    balance uri|hash-type map-based (HAProxy's default)",
        "    balance hdr(Host)\\n    hash-type map-based|hash-type map-based cannot",
        "    balance source\\n    hash-type consistent\\n    default-server check|"
            + "backendOptions of web: `default-server`"
      })
  void aBackendThatCannotHoldDynamicServersIsRefusedByName(String options, String expected) {
    String message = refusal(c -> c.backendOptions("web", options.replace("\\n", "\n")));

    assertTrue(message.contains(expected), message);
    assertTrue(message.contains("web"), message);
  }

  @ParameterizedTest
  @CsvSource({
    "balance uri\\n    hash-type consistent",
    "balance roundrobin",
    "balance leastconn",
    "balance random",
    "balance source\\n    hash-type consistent"
  })
  void dynamicAlgorithmsAreAccepted(String options) {
    RuntimeFixture f = new RuntimeFixture(dir);
    String lines = "    " + options.replace("\\n", "\n");
    assertDoesNotThrow(() -> f.runtime(c -> c.backendOptions("web", lines)));
  }

  @Test
  void serverOptionsAddServerRefusesAreNamed() {
    String message = refusal(c -> c.serverOptions("check cookie a"));

    assertTrue(message.contains("serverOptions: `cookie`"), message);
    assertTrue(
        refusal(c -> c.serverOptions("api", "resolvers dns check"))
            .contains("serverOptions of api: `resolvers`"));
  }

  @Test
  void defaultServerInTheHeaderIsRefused() {
    String message =
        refusal(
            c -> c.headerText(RuntimeFixture.HEADER + "defaults\n    default-server inter 2s\n"));

    assertTrue(message.contains("header: `default-server`"), message);
  }

  @Test
  void aHashFromTheHeadersDefaultsIsRefusedAtTheApplyNamingTheBackend() {
    RuntimeFixture f = new RuntimeFixture(dir);
    HaproxyRuntime runtime =
        f.runtime(
            c ->
                c.headerText(RuntimeFixture.HEADER + "defaults\n    balance uri\n")
                    .backendOptions("web", "    balance roundrobin"));

    ApplyException e =
        assertThrows(
            ApplyException.class,
            () -> runtime.apply(java.util.Map.of("api", RuntimeFixture.web().get("web"))));

    assertTrue(e.getMessage().contains("backendOptions of api: `balance uri`"), e.getMessage());
  }

  @Test
  void aLaterDefaultsSectionStartsAfresh() {
    assertNull(
        DynamicRules.balanceProblem(
            "defaults\n    balance uri\n\ndefaults\n    mode http\n", null));
    assertTrue(DynamicRules.balanceProblem("defaults\n    balance uri\n", null) != null);
    assertNull(
        DynamicRules.balanceProblem(
            "defaults\n    balance uri\nbackend x\n    balance roundrobin\n",
            "    balance leastconn"));
  }

  @Test
  void serversTheBackendDeclaresItselfAreForeign() {
    assertEquals(
        Set.of("sorry", "s1", "s2", "s3"),
        DynamicRules.foreignServers(
            "    server sorry 127.0.0.1:9 backup\n    server-template s 3 127.0.0.1:80"));
    assertEquals(
        Set.of("p2", "p3"), DynamicRules.foreignServers("    server-template p 2-3 10.0.0.1:80"));
  }
}
