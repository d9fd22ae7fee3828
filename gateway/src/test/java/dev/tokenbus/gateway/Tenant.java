package dev.tokenbus.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenbus.testing.RawHttp;
import dev.tokenbus.testing.Sse;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/** One API key's requests to the gateways of a test cluster, for tests of who may see, resume and cancel a stream. */
record Tenant(String key, HttpClient http) {

  /** A whole stream as its client read it: the text of its tokens, in order, and the {@code done} event. */
  record Read(String text, int tokens, JsonObject done) {}

  Map<String, String> authorization() {
    return Map.of("Authorization", "Bearer " + key);
  }

  /** A request with this tenant's key; {@code headers} come in pairs of name and value. */
  HttpResponse<String> send(int port, String method, String path, String... headers) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
        .timeout(Duration.ofSeconds(30)).method(method, HttpRequest.BodyPublishers.noBody())
        .header("Authorization", "Bearer " + key);
    for (int i = 0; i < headers.length; i += 2) {
      b.header(headers[i], headers[i + 1]);
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  JsonObject status(int port) throws Exception {
    HttpResponse<String> r = send(port, "GET", "/v1/status");
    assertThat(r.statusCode()).isEqualTo(200);
    return new JsonObject(r.body());
  }

  /** The ids of the streams {@code /v1/status} on that gateway lists to this tenant. */
  List<String> streamIds(int port) throws Exception {
    return status(port).getJsonArray("streams").stream().map(s -> ((JsonObject) s).getString("id")).toList();
  }

  /** Opens an SSE generation on {@code /v1/generate} and reads its headers. */
  RawHttp generate(int port, String body) throws IOException {
    return RawHttp.post(port, "/v1/generate", body, 0, authorization());
  }

  /** Resumes stream {@code id} after token {@code last} on {@code POST /v1/generate}, as a reconnecting client does. */
  RawHttp resume(int port, String id, int last) throws IOException {
    return RawHttp.post(port, "/v1/generate", "", 0, Map.of("Authorization", "Bearer " + key,
        "X-Tokenbus-Stream-Id", id, "Last-Event-ID", Integer.toString(last)));
  }

  /** An id shaped like {@code id} (same gateway prefix and counter) that no gateway ever issued. */
  static String neverIssued(String id) {
    return id.substring(0, id.lastIndexOf('-') + 1) + "AAAAAAAAAAAAAAAA";
  }

  /**
   * Checks that this tenant, which did not open stream {@code id}, finds nothing of it on any of
   * {@code ports}: {@code /v1/status} does not list it, and its resume (both routes) and cancel get
   * the very answer an id never issued gets, with the id in its place.
   */
  void findsNothingOf(String id, List<Integer> ports) throws Exception {
    String unknown = neverIssued(id);
    for (int port : ports) {
      assertThat(streamIds(port)).as("/v1/status for another key").doesNotContain(id);
      for (String last : List.of("-1", "0")) {
        HttpResponse<String> resume = send(port, "GET", "/v1/streams/" + id, "Last-Event-ID", last);
        HttpResponse<String> control = send(port, "GET", "/v1/streams/" + unknown, "Last-Event-ID", last);
        assertThat(errorCode(resume, 404)).isEqualTo("stream_not_found");
        assertThat(resume.body()).isEqualTo(control.body().replace(unknown, id));
      }
      try (RawHttp post = resume(port, id, -1)) {
        assertThat(post.status).isEqualTo(404);
        assertThat(post.json().getJsonObject("error").getString("code")).isEqualTo("stream_not_found");
      }
      HttpResponse<String> cancel = send(port, "DELETE", "/v1/streams/" + id);
      HttpResponse<String> control = send(port, "DELETE", "/v1/streams/" + unknown);
      assertThat(errorCode(cancel, 404)).isEqualTo("stream_not_found");
      assertThat(cancel.body()).isEqualTo(control.body().replace(unknown, id));
    }
  }

  /** The error code of a JSON error response with that status. */
  static String errorCode(HttpResponse<String> r, int status) {
    assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
    return new JsonObject(r.body()).getJsonObject("error").getString("code");
  }

  /**
   * Reads SSE token events from index {@code from} to {@code done}, each index in turn (none lost,
   * none repeated), or {@code stopAt} tokens; fails on an {@code error} event.
   *
   * @return what was read; its done is null when it stopped at {@code stopAt}
   */
  static Read read(Sse sse, int from, int stopAt) throws IOException {
    StringBuilder text = new StringBuilder();
    int next = from;
    for (Sse.Event e = sse.next(); e != null; e = sse.next()) {
      switch (e.event()) {
        case "token" -> {
          assertThat(e.id()).as("token index").isEqualTo(Integer.toString(next));
          text.append(e.data().getString("text"));
          if (++next == stopAt) {
            return new Read(text.toString(), next - from, null);
          }
        }
        case "done" -> {
          return new Read(text.toString(), next - from, e.data());
        }
        case "error" -> throw new AssertionError("the stream failed after token " + (next - 1) + ": " + e.data());
        default -> throw new AssertionError("unexpected event " + e);
      }
    }
    throw new AssertionError("the stream ended after token " + (next - 1) + " without done");
  }

  static Read read(Sse sse) throws IOException {
    return read(sse, 0, -1);
  }
}
