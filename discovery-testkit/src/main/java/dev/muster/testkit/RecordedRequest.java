package dev.muster.testkit;

import java.util.Map;

/**
 * One request as a fake endpoint received it, for assertions such as "the filter was sent
 * server-side" or "every page asked for MaxResults=1000".
 *
 * @param method the HTTP method
 * @param path the request path
 * @param params the form and query parameters, decoded, sorted by name
 * @param headers the request headers, names in lower case, first value of each
 */
public record RecordedRequest(
    String method, String path, Map<String, String> params, Map<String, String> headers) {

  /** Copies the maps. */
  public RecordedRequest {
    params = Map.copyOf(params);
    headers = Map.copyOf(headers);
  }

  /** The Query API action, for example {@code DescribeInstances}, or {@code null}. */
  public String action() {
    return params.get("Action");
  }

  /** A parameter's value, or {@code null}. */
  public String param(String name) {
    return params.get(name);
  }
}
