package dev.muster.testkit.internal;

import dev.muster.testkit.SimulatedFleet;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Which fleet a signed request sees: the fleet of the account that owns its access key, in the
 * region of its SigV4 credential scope, else the default fleet. Thread-safe.
 */
public final class AccountFleets {
  private final SimulatedFleet defaultFleet;
  private final Map<String, String> keyAccounts = new ConcurrentHashMap<>();
  private final AtomicLong idSpaces = new AtomicLong();
  private final Map<String, SimulatedFleet> fleets = new ConcurrentHashMap<>();

  /** Requests signed by no known account see {@code defaultFleet}. */
  public AccountFleets(SimulatedFleet defaultFleet) {
    this.defaultFleet = defaultFleet;
  }

  /** The fleet of {@code account} in {@code region}, created empty on first use. */
  public SimulatedFleet fleet(String account, String region) {
    return fleets.computeIfAbsent(
        Objects.requireNonNull(account, "account") + "/" + Objects.requireNonNull(region, "region"),
        k -> new SimulatedFleet(region, idSpaces.incrementAndGet()));
  }

  /** {@code accessKeyId} belongs to {@code account}. */
  public void accessKey(String accessKeyId, String account) {
    keyAccounts.put(
        Objects.requireNonNull(accessKeyId, "accessKeyId"),
        Objects.requireNonNull(account, "account"));
  }

  /** The account whose key signed a request with this Authorization header, or {@code null}. */
  public String accountOf(String authorization) {
    String[] scope = credentialScope(authorization);
    return scope == null ? null : keyAccounts.get(scope[0]);
  }

  /**
   * The fleet a request with these (lower-case) headers sees.
   *
   * @throws Ec2Error AuthFailure for temporary credentials without their session token
   */
  public SimulatedFleet fleetFor(Map<String, String> headers) {
    String[] scope = credentialScope(headers.get("authorization"));
    String account = scope == null ? null : keyAccounts.get(scope[0]);
    if (account == null) {
      return defaultFleet;
    }
    if (scope[0].startsWith("ASIA") && !headers.containsKey("x-amz-security-token")) {
      throw new Ec2Error(401, "AuthFailure", "temporary credentials need their session token");
    }
    return fleet(account, scope[2]);
  }

  /** {access key, date, region, service} from a SigV4 Authorization header, or null. */
  private static String[] credentialScope(String authorization) {
    if (authorization == null) {
      return null;
    }
    int at = authorization.indexOf("Credential=");
    if (at < 0) {
      return null;
    }
    int end = authorization.indexOf(',', at);
    String[] parts =
        authorization.substring(at + 11, end < 0 ? authorization.length() : end).split("/");
    return parts.length >= 4 ? parts : null;
  }
}
