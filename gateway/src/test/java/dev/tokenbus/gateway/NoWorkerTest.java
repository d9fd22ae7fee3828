package dev.tokenbus.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenbus.cluster.ClusterNode;
import dev.tokenbus.cluster.ClusterOptions;
import dev.tokenbus.gateway.dispatch.DispatchOptions;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** A gateway alone in its cluster: it stays up and answers generations at once with 503, not a hang. */
@Tag("cluster")
class NoWorkerTest {

  private static ClusterNode node;
  private static GatewayVerticle gateway;
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  @BeforeAll
  static void start() throws Exception {
    node = ClusterNode.start(ClusterOptions.standalone()).await(60, TimeUnit.SECONDS);
    gateway = GatewayVerticle.forNode(node, GatewayOptions.defaults().withPort(0), DispatchOptions.defaults());
    node.vertx().deployVerticle(gateway).await(30, TimeUnit.SECONDS);
  }

  @AfterAll
  static void stop() {
    if (node != null) {
      node.close().toCompletionStage().toCompletableFuture().orTimeout(30, TimeUnit.SECONDS).join();
    }
  }

  private static URI uri(String path) {
    return URI.create("http://127.0.0.1:" + gateway.port() + path);
  }

  private static HttpResponse<String> send(HttpRequest.Builder b) throws Exception {
    return HTTP.send(b.timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void generateFailsFastWith503() throws Exception {
    for (String body : new String[] {"{\"prompt\":\"hello\",\"max_tokens\":4}",
        "{\"prompt\":\"hello\",\"stream\":false}", "{\"prompt\":\"hello\",\"model\":\"tiny\"}"}) {
      long t0 = System.nanoTime();
      HttpResponse<String> r = send(HttpRequest.newBuilder(uri("/v1/generate"))
          .POST(HttpRequest.BodyPublishers.ofString(body)).header("Content-Type", "application/json"));
      long elapsedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
      assertThat(r.statusCode()).as(body).isEqualTo(503);
      assertThat(elapsedMs).as("answered in ms").isLessThan(1000);
      assertThat(r.headers().firstValue("content-type")).hasValueSatisfying(v -> assertThat(v)
          .startsWith("application/json"));
      JsonObject json = new JsonObject(r.body());
      assertThat(json.fieldNames()).containsExactly("error");
      JsonObject error = json.getJsonObject("error");
      assertThat(error.fieldNames()).containsExactlyInAnyOrder("message", "type", "param", "code");
      assertThat(error.getString("type")).isEqualTo("service_unavailable_error");
      assertThat(error.getString("message")).isNotBlank();
    }
  }

  @Test
  void badInputIsStill400WithoutAWorker() throws Exception {
    // Validation comes before dispatch: a client learns its request is wrong even when nothing could run it.
    HttpResponse<String> r = send(HttpRequest.newBuilder(uri("/v1/generate"))
        .POST(HttpRequest.BodyPublishers.ofString("{\"prompt\":\"\"}")));
    assertThat(r.statusCode()).isEqualTo(400);
    assertThat(new JsonObject(r.body()).getJsonObject("error").getString("param")).isEqualTo("prompt");
  }

  @Test
  void statusListsNoWorkersAndHealthIsUp() throws Exception {
    HttpResponse<String> status = send(HttpRequest.newBuilder(uri("/v1/status")).GET());
    assertThat(status.statusCode()).isEqualTo(200);
    JsonObject s = new JsonObject(status.body());
    assertThat(s.getJsonArray("workers")).isEmpty();
    assertThat(s.getJsonArray("streams")).isEmpty();

    HttpResponse<String> health = send(HttpRequest.newBuilder(uri("/health")).GET());
    assertThat(health.statusCode()).isEqualTo(200);
    assertThat(new JsonObject(health.body()).getString("status")).isEqualTo("UP");
  }
}
