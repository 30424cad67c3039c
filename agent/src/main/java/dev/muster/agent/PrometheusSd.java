package dev.muster.agent;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import dev.muster.discovery.Ec2MembershipSource;
import dev.muster.discovery.Member;
import dev.muster.discovery.Snapshot;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code GET /sd/prometheus[?backend=NAME]}: the guarded members as Prometheus HTTP service
 * discovery targets ({@code http_sd_configs}), so a fleet's monitoring reads the view Muster
 * publishes instead of polling EC2 a second time. One target group per member: its {@code
 * host:port}, with {@code __meta_muster_backend}, {@code _instance_id}, {@code _zone}, {@code
 * _region}, {@code _account} (when known) and {@code __meta_muster_tag_KEY} for each tag that
 * {@code status.sd_tags} names (the key's characters outside {@code [A-Za-z0-9_]} become {@code _},
 * as Prometheus' own EC2 discovery does). Like every {@code __meta_} label they are for relabelling
 * and dropped after it.
 */
final class PrometheusSd {
  private static final JsonFactory JSON = new JsonFactory();

  private PrometheusSd() {}

  /** The answer for the request's {@code query} string (null or empty: every backend). */
  static StatusHttp.Response answer(Assembly current, String query) {
    List<String> backends = new ArrayList<>(current.loops.keySet());
    String wanted = parameter(query, "backend");
    if (wanted != null) {
      if (!current.loops.containsKey(wanted)) {
        return new StatusHttp.Response(
            404,
            "text/plain",
            "no backend "
                + dev.muster.discovery.internal.Validation.printable(wanted)
                + " is fetched; try one of "
                + String.join(", ", backends)
                + "\n");
      }
      backends = List.of(wanted);
    }
    List<String> tags =
        current.config.status() == null ? List.of() : current.config.status().sdTags();
    StringWriter text = new StringWriter();
    try (JsonGenerator json = JSON.createGenerator(text)) {
      json.writeStartArray();
      for (String backend : backends) {
        Snapshot published = current.loops.get(backend).status().published();
        if (published == null) {
          continue;
        }
        for (Member m : published.members()) {
          group(json, backend, m, current.region, tags);
        }
      }
      json.writeEndArray();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return new StatusHttp.Response(200, "application/json", text + "\n");
  }

  private static void group(
      JsonGenerator json, String backend, Member m, String region, List<String> tags)
      throws IOException {
    json.writeStartObject();
    json.writeArrayFieldStart("targets");
    json.writeString(m.hostPort());
    json.writeEndArray();
    json.writeObjectFieldStart("labels");
    json.writeStringField("__meta_muster_backend", backend);
    json.writeStringField("__meta_muster_instance_id", m.instanceId());
    if (m.availabilityZone() != null) {
      json.writeStringField("__meta_muster_zone", m.availabilityZone());
    }
    String memberRegion = m.tag(Ec2MembershipSource.REGION_TAG);
    if (memberRegion != null || region != null) {
      json.writeStringField("__meta_muster_region", memberRegion != null ? memberRegion : region);
    }
    String account = m.tag(Ec2MembershipSource.ACCOUNT_TAG);
    if (account != null) {
      json.writeStringField("__meta_muster_account", account);
    }
    for (String key : tags) {
      String value = m.tag(key);
      if (value != null) {
        json.writeStringField("__meta_muster_tag_" + labelName(key), value);
      }
    }
    json.writeEndObject();
    json.writeEndObject();
  }

  /** A tag key as a Prometheus label name suffix: {@code [A-Za-z0-9_]}, others {@code _}. */
  static String labelName(String key) {
    StringBuilder out = new StringBuilder(key.length());
    key.codePoints()
        .forEach(
            c ->
                out.append(c < 128 && (Character.isLetterOrDigit(c) || c == '_') ? (char) c : '_'));
    return out.toString();
  }

  /** The first value of {@code name} in a URL query string, decoded; null if absent. */
  static String parameter(String query, String name) {
    if (query == null || query.isEmpty()) {
      return null;
    }
    for (String pair : query.split("&")) {
      int eq = pair.indexOf('=');
      String key = eq < 0 ? pair : pair.substring(0, eq);
      if (decode(key).equals(name)) {
        return eq < 0 ? "" : decode(pair.substring(eq + 1));
      }
    }
    return null;
  }

  private static String decode(String text) {
    try {
      return URLDecoder.decode(text, StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      return text;
    }
  }
}
