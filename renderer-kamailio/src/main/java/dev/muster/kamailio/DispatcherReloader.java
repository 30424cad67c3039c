package dev.muster.kamailio;

import dev.muster.discovery.ApplyException;
import dev.muster.discovery.Reloader;
import dev.muster.discovery.internal.IoErrors;
import dev.muster.kamailio.internal.Json;
import dev.muster.kamailio.internal.JsonRpc;
import dev.muster.kamailio.internal.ListEntry;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reloads Kamailio's dispatcher list over JSON-RPC via HTTP (modules {@code xhttp} and {@code
 * jsonrpcs}), then reads {@code dispatcher.list} back and checks that Kamailio holds exactly the
 * destinations of the live file.
 *
 * <p>Kamailio refuses a reload within {@code reload_delta} seconds of the previous one with HTTP
 * 500 "Ongoing reload"; this waits and tries again (the file on disk is already the newest, so the
 * retry applies every change since), up to {@link Builder#maxWait}. "Reload Failed" (Kamailio keeps
 * its previous list) and connection failures throw, and the {@code FileTarget} then restores the
 * previous file and reloads it.
 *
 * <p>Thread-safe.
 */
public final class DispatcherReloader implements Reloader {
  private static final Logger log = LoggerFactory.getLogger("dev.muster.kamailio");

  private final URI endpoint;
  private final Path listFile;
  private final Duration maxWait;
  private final Duration retryPause;
  private final JsonRpc rpc;
  private volatile int ongoingRetries;

  private DispatcherReloader(Builder b) {
    this.endpoint = b.endpoint;
    this.listFile = b.listFile;
    this.maxWait = b.maxWait;
    this.retryPause = b.retryPause;
    this.rpc = new JsonRpc(b.endpoint);
  }

  /**
   * A builder for Kamailio's JSON-RPC {@code endpoint} (for example {@code
   * http://127.0.0.1:5071/RPC}) and the live {@code listFile} it loads.
   */
  static Builder newBuilder(URI endpoint, Path listFile) {
    return new Builder(endpoint, listFile);
  }

  /** How many times a reload waited for "Ongoing reload" so far. */
  public int ongoingRetries() {
    return ongoingRetries;
  }

  @Override
  public void reload() {
    ongoingRetries +=
        rpc.reload("dispatcher.reload", "Ongoing reload", maxWait, retryPause, "list");
    verify();
  }

  /** Compares {@code dispatcher.list} with the live file. */
  private void verify() {
    Set<String> expected = new TreeSet<>();
    try {
      for (ListEntry e : ListEntry.parseAll(Files.readString(listFile))) {
        expected.add(e.setId() + " " + e.uri());
      }
    } catch (IOException e) {
      throw new ApplyException("reload check failed: cannot read " + IoErrors.describe(e), e);
    } catch (IllegalArgumentException e) {
      throw new ApplyException(
          "reload check failed: cannot read " + listFile + ": " + e.getMessage(), e);
    }
    Set<String> actual = new TreeSet<>();
    Map<String, Object> answer = call("dispatcher.list");
    Object result = answer.get("result");
    if (result instanceof Map<?, ?> sets && sets.get("RECORDS") instanceof List<?> records) {
      for (Object record : records) {
        Map<?, ?> set = (Map<?, ?>) ((Map<?, ?>) record).get("SET");
        Object targets = set.get("TARGETS");
        if (targets instanceof List<?> list) {
          for (Object target : list) {
            Map<?, ?> dest = (Map<?, ?>) ((Map<?, ?>) target).get("DEST");
            actual.add(set.get("ID") + " " + dest.get("URI"));
          }
        }
      }
    } else if (answer.get("error") != null && !expected.isEmpty()) {
      throw new ApplyException(
          "reload check failed: dispatcher.list answered " + answer.get("error"));
    }
    if (!actual.equals(expected)) {
      Set<String> missing = new TreeSet<>(expected);
      missing.removeAll(actual);
      Set<String> extra = new TreeSet<>(actual);
      extra.removeAll(expected);
      throw new ApplyException(
          "reload check failed: after the reload Kamailio lacks "
              + missing
              + " and has "
              + extra
              + " beyond "
              + listFile);
    }
    log.debug("dispatcher.list matches {} ({} destinations)", listFile, actual.size());
  }

  /**
   * Calls in progress through {@code destination} (for example {@code sip:10.0.0.7:5060}), from the
   * dialog module's profile {@value #CALLS_PROFILE} that Muster's sample configuration keeps
   * ({@code dlg.profile_get_size}): how a drain knows that a destination's last call ended. On
   * Kamailio 5.6 the dispatcher keeps a call load only for algorithm 10 and {@code dispatcher.list}
   * does not show it, so the dialog profile is the count that works.
   *
   * @throws ApplyException if Kamailio does not answer, or has no such profile
   */
  public long activeCalls(String destination) {
    Map<String, Object> answer =
        call("dlg.profile_get_size", "[\"" + CALLS_PROFILE + "\"," + Json.quote(destination) + "]");
    if (answer.get("result") instanceof Number n) {
      return n.longValue();
    }
    throw new ApplyException(
        "dlg.profile_get_size "
            + CALLS_PROFILE
            + " answered "
            + answer.get("error")
            + ": is the dialog module loaded with profiles_with_value \""
            + CALLS_PROFILE
            + "\" (see the sample kamailio.cfg)?");
  }

  /** The dialog profile (with value) that counts calls per destination URI. */
  public static final String CALLS_PROFILE = "muster_dst";

  private Map<String, Object> call(String method) {
    return call(method, null);
  }

  private Map<String, Object> call(String method, String params) {
    return rpc.call(method, params);
  }

  @Override
  public String toString() {
    return "Kamailio dispatcher.reload at " + endpoint;
  }

  /** Builds a {@link DispatcherReloader}. Not thread-safe. */
  public static final class Builder {
    private final URI endpoint;
    private final Path listFile;
    private Duration maxWait = Duration.ofSeconds(12);
    private Duration retryPause = Duration.ofMillis(250);

    private Builder(URI endpoint, Path listFile) {
      this.endpoint = Objects.requireNonNull(endpoint, "endpoint");
      this.listFile = Objects.requireNonNull(listFile, "listFile");
    }

    /**
     * How long to keep retrying while Kamailio answers "Ongoing reload"; set it above {@code
     * reload_delta} (default 5 s). 12 s unless set.
     */
    public Builder maxWait(Duration maxWait) {
      this.maxWait = Objects.requireNonNull(maxWait, "maxWait");
      return this;
    }

    /** The pause between retries; 250 ms unless set. */
    public Builder retryPause(Duration retryPause) {
      this.retryPause = Objects.requireNonNull(retryPause, "retryPause");
      return this;
    }

    /** Builds it. */
    public DispatcherReloader build() {
      return new DispatcherReloader(this);
    }
  }
}
