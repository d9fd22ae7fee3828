package dev.tokenbus.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenbus.engine.EngineConfig;
import dev.tokenbus.engine.TestModels;
import dev.tokenbus.testing.TestCluster;
import dev.tokenbus.worker.WorkerOptions;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.net.http.WebSocketHandshakeException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** With api-keys configured, every /v1 route needs a Bearer key; operations routes stay open. */
@Tag("engine")
@Tag("cluster")
class ApiKeyTest {

  private static final String KEY = "sk-test-123";
  private static final Map<String, String> V1_POSTS = Map.of(
      "/v1/generate", "{\"prompt\":\"hi\",\"max_tokens\":2,\"stream\":false}",
      "/v1/chat/completions", "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"max_tokens\":2}",
      "/v1/completions", "{\"prompt\":\"hi\",\"max_tokens\":2}",
      "/v1/tokenize", "{\"content\":\"hi\"}",
      "/v1/detokenize", "{\"tokens\":[104]}",
      "/v1/embeddings", "{\"input\":\"hi\"}");
  private static TestCluster cluster;

  @BeforeAll
  static void start() throws Exception {
    cluster = TestCluster.start(1, EngineConfig.forModel(TestModels.tiny()).withThreads(1).withSlots(2)
        .withContextPerSequence(256), GatewayOptions.defaults().withApiKeys(Set.of(KEY, "sk-other")),
        WorkerOptions.defaults("tiny"));
  }

  @AfterAll
  static void stop() {
    if (cluster != null) {
      cluster.close();
    }
  }

  private static HttpResponse<String> send(String method, String path, String body, String authorization)
      throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(cluster.uri(path)).timeout(Duration.ofSeconds(30))
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
    if (authorization != null) {
      b.header("Authorization", authorization);
    }
    return cluster.http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void everyV1RouteRefusesAMissingOrWrongKeyWith401() throws Exception {
    for (String auth : java.util.Arrays.asList(null, "Bearer wrong", "Bearer " + KEY + "x", "Basic " + KEY, "Bearer")) {
      for (var post : V1_POSTS.entrySet()) {
        check401(send("POST", post.getKey(), post.getValue(), auth));
      }
      for (String get : List.of("/v1/models", "/v1/status", "/v1/ws")) {
        check401(send("GET", get, null, auth));
      }
    }
  }

  private static void check401(HttpResponse<String> r) {
    JsonObject e = OpenAiErrorsTest.error(r, 401);
    assertThat(e.getString("type")).isEqualTo("invalid_request_error");
    assertThat(e.getString("code")).isEqualTo("invalid_api_key");
    assertThat(r.headers().firstValue("WWW-Authenticate")).hasValue("Bearer");
  }

  @Test
  void theRightKeyOpensEveryV1Route() throws Exception {
    for (String key : List.of(KEY, "sk-other")) {
      for (var post : V1_POSTS.entrySet()) {
        HttpResponse<String> r = send("POST", post.getKey(), post.getValue(), "Bearer " + key);
        assertThat(r.statusCode()).as(post.getKey() + " " + r.body()).isEqualTo(200);
      }
      assertThat(send("GET", "/v1/models", null, "bearer " + key).statusCode()).isEqualTo(200);
    }
  }

  @Test
  void theWebSocketUpgradeNeedsTheKeyToo() throws Exception {
    URI ws = URI.create("ws://127.0.0.1:" + cluster.gateway.port() + "/v1/ws");
    WebSocket.Listener listener = new WebSocket.Listener() {};
    try {
      cluster.http.newWebSocketBuilder().buildAsync(ws, listener).join();
      throw new AssertionError("the upgrade went through without a key");
    } catch (CompletionException e) {
      assertThat(e.getCause()).isInstanceOf(WebSocketHandshakeException.class);
      assertThat(((WebSocketHandshakeException) e.getCause()).getResponse().statusCode()).isEqualTo(401);
    }
    WebSocket open = cluster.http.newWebSocketBuilder().header("Authorization", "Bearer " + KEY)
        .buildAsync(ws, listener).get(10, TimeUnit.SECONDS);
    open.sendClose(WebSocket.NORMAL_CLOSURE, "bye").join();
  }

  @Test
  void aBrowserMaySendTheKeyAsAQueryParameterOnTheWebSocketOnly() throws Exception {
    WebSocket.Listener listener = new WebSocket.Listener() {};
    URI base = URI.create("ws://127.0.0.1:" + cluster.gateway.port() + "/v1/ws");
    WebSocket open = cluster.http.newWebSocketBuilder().buildAsync(URI.create(base + "?api_key=" + KEY), listener)
        .get(10, TimeUnit.SECONDS);
    open.sendClose(WebSocket.NORMAL_CLOSURE, "bye").join();
    try {
      cluster.http.newWebSocketBuilder().buildAsync(URI.create(base + "?api_key=wrong"), listener).join();
      throw new AssertionError("a wrong key in the query opened the socket");
    } catch (CompletionException e) {
      assertThat(((WebSocketHandshakeException) e.getCause()).getResponse().statusCode()).isEqualTo(401);
    }
    // Elsewhere a key in the URL (and so in logs and histories) is not taken.
    check401(send("GET", "/v1/models?api_key=" + KEY, null, null));
  }

  @Test
  void operationsRoutesNeedNoKey() throws Exception {
    for (String path : List.of("/health", "/ready", "/metrics")) {
      assertThat(send("GET", path, null, null).statusCode()).as(path).isEqualTo(200);
    }
  }
}
