package dev.muster.kamailio.internal;

import dev.muster.discovery.ApplyException;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;

/**
 * Kamailio's JSON-RPC over HTTP ({@code xhttp} and {@code jsonrpcs}): one call per request, a 2 s
 * connect and a 10 s answer timeout. Answers are parsed maps with {@code result} or {@code error}.
 */
public final class JsonRpc {
  private final URI endpoint;
  private final HttpClient http;

  public JsonRpc(URI endpoint) {
    this.endpoint = endpoint;
    this.http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
  }

  public URI endpoint() {
    return endpoint;
  }

  /**
   * Calls {@code method} with {@code params} (a JSON array, or {@code null} for none).
   *
   * @throws ApplyException if Kamailio cannot be reached or does not answer in JSON-RPC
   */
  public Map<String, Object> call(String method, String params) {
    HttpRequest request =
        HttpRequest.newBuilder(endpoint)
            .timeout(Duration.ofSeconds(10))
            .header("Content-Type", "application/json")
            .POST(
                HttpRequest.BodyPublishers.ofString(
                    "{\"jsonrpc\":\"2.0\",\"method\":\""
                        + method
                        + "\""
                        + (params == null ? "" : ",\"params\":" + params)
                        + ",\"id\":1}"))
            .build();
    HttpResponse<String> response;
    try {
      response = http.send(request, HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new ApplyException(
          "reload failed: cannot reach Kamailio's JSON-RPC at " + endpoint + ": " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ApplyException("reload interrupted", e);
    }
    try {
      Object parsed = Json.parse(response.body());
      if (parsed instanceof Map<?, ?> map) {
        @SuppressWarnings("unchecked")
        Map<String, Object> typed = (Map<String, Object>) map;
        return typed;
      }
    } catch (IllegalArgumentException e) {
      // falls through to the error below
    }
    throw new ApplyException(
        "reload failed: "
            + method
            + " got HTTP "
            + response.statusCode()
            + " without a JSON-RPC answer: "
            + response.body().strip());
  }

  /**
   * Calls {@code method} (a reload) until it succeeds, waiting {@code pause} and trying again while
   * Kamailio answers {@code tooSoon} (a rate limit on reloads), for at most {@code maxWait}.
   *
   * @param kept what Kamailio keeps when the reload fails, for the message
   * @return how many times it waited
   * @throws ApplyException naming the answer if it fails, or is still too soon at the end
   */
  public int reload(String method, String tooSoon, Duration maxWait, Duration pause, String kept) {
    long deadline = System.nanoTime() + maxWait.toNanos();
    int waits = 0;
    while (true) {
      String error = error(call(method, null));
      if (error == null) {
        return waits;
      }
      boolean soon = error.contains(tooSoon);
      if (soon && System.nanoTime() < deadline) {
        waits++;
        try {
          Thread.sleep(pause.toMillis());
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new ApplyException("reload interrupted", e);
        }
        continue;
      }
      throw new ApplyException(
          "reload failed: "
              + method
              + " answered \""
              + error
              + "\""
              + (soon
                  ? " for longer than " + maxWait.toMillis() + " ms"
                  : "; Kamailio keeps its previous " + kept));
    }
  }

  /**
   * Calls {@code method} and returns its {@code result}.
   *
   * @throws ApplyException naming the method and Kamailio's message if it answered an error
   */
  public Object result(String method, String params) {
    Map<String, Object> answer = call(method, params);
    String error = error(answer);
    if (error != null) {
      throw new ApplyException(method + " answered \"" + error + "\"");
    }
    return answer.get("result");
  }

  /** The error message of an answer, or {@code null} if it succeeded. */
  public static String error(Map<String, Object> answer) {
    Object error = answer.get("error");
    if (error == null) {
      return null;
    }
    return String.valueOf(error instanceof Map<?, ?> m ? m.get("message") : error);
  }
}
