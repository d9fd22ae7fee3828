package dev.tokenbus.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tokenbus.engine.EngineConfig;
import dev.tokenbus.engine.TestModels;
import dev.tokenbus.gateway.dispatch.DispatchOptions;
import dev.tokenbus.testing.RawHttp;
import dev.tokenbus.testing.TestCluster;
import dev.tokenbus.worker.WorkerOptions;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Every refusal of the OpenAI routes: OpenAI's status and {@code {"error":{message,type,param,code}}}. */
@Tag("engine")
@Tag("cluster")
class OpenAiErrorsTest {

  private static final String CHAT = "/v1/chat/completions";
  private static final String COMPLETIONS = "/v1/completions";
  private static final String MESSAGES = "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]";
  private static TestCluster cluster;

  @BeforeAll
  static void start() throws Exception {
    cluster = TestCluster.gatewayOnly(GatewayOptions.defaults(), DispatchOptions.defaults().withQueueSize(0));
    cluster.addWorker(EngineConfig.forModel(TestModels.tinyChat()).withThreads(1).withSlots(1)
        .withContextPerSequence(256), WorkerOptions.defaults("tiny-chat"));
    await().atMost(Duration.ofSeconds(20)).until(() -> cluster.status().getJsonArray("workers").size() == 1);
  }

  @AfterAll
  static void stop() {
    if (cluster != null) {
      cluster.close();
    }
  }

  /** The error object of a response, after checking its status and shape. */
  static JsonObject error(HttpResponse<String> r, int status) {
    assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
    assertThat(r.headers().firstValue("content-type")).hasValue("application/json");
    JsonObject body = new JsonObject(r.body());
    assertThat(body.fieldNames()).containsExactly("error");
    JsonObject e = body.getJsonObject("error");
    assertThat(e.fieldNames()).containsExactlyInAnyOrder("message", "type", "param", "code");
    assertThat(e.getString("message")).isNotBlank();
    return e;
  }

  record Bad(String path, String body, String param) {}

  static Stream<Bad> badRequests() {
    return Stream.of(
        new Bad(CHAT, "{" + MESSAGES + ",\"temperature\":\"hot\"}", "temperature"),
        new Bad(CHAT, "{" + MESSAGES + ",\"max_tokens\":1.5}", "max_tokens"),
        new Bad(CHAT, "{" + MESSAGES + ",\"max_completion_tokens\":\"9\"}", "max_completion_tokens"),
        new Bad(CHAT, "{" + MESSAGES + ",\"stream\":\"yes\"}", "stream"),
        new Bad(CHAT, "{" + MESSAGES + ",\"logprobs\":1}", "logprobs"),
        new Bad(CHAT, "{" + MESSAGES + ",\"top_logprobs\":2}", "top_logprobs"),
        new Bad(CHAT, "{" + MESSAGES + ",\"stop\":[1]}", "stop"),
        new Bad(CHAT, "{" + MESSAGES + ",\"seed\":\"x\"}", "seed"),
        new Bad(CHAT, "{" + MESSAGES + ",\"user\":5}", "user"),
        new Bad(CHAT, "{" + MESSAGES + ",\"stream_options\":true}", "stream_options"),
        new Bad(CHAT, "{" + MESSAGES + ",\"stream_options\":{\"include_usage\":1}}", "stream_options.include_usage"),
        new Bad(CHAT, "{" + MESSAGES + ",\"n\":2}", "n"),
        new Bad(CHAT, "{" + MESSAGES + ",\"n\":0}", "n"),
        new Bad(CHAT, "{" + MESSAGES + ",\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"f g\"}}]}",
            "tools[0].function.name"),
        new Bad(CHAT, "{" + MESSAGES + ",\"tools\":[{\"type\":\"custom\"}]}", "tools[0]"),
        new Bad(CHAT, "{" + MESSAGES + ",\"functions\":[{\"name\":\"f\"}]}", "functions"),
        new Bad(CHAT, "{" + MESSAGES + ",\"tool_choice\":\"auto\"}", "tool_choice"),
        new Bad(CHAT, "{\"messages\":{\"role\":\"user\"}}", "messages"),
        new Bad(CHAT, "{}", "messages"),
        new Bad(CHAT, "{" + MESSAGES + ",\"temperature\":9}", "temperature"),
        new Bad(COMPLETIONS, "{\"prompt\":\"hi\",\"logprobs\":true}", "logprobs"),
        new Bad(COMPLETIONS, "{\"prompt\":\"hi\",\"logprobs\":21}", "logprobs"),
        new Bad(COMPLETIONS, "{\"prompt\":\"hi\",\"n\":3}", "n"),
        new Bad(COMPLETIONS, "{\"prompt\":[\"a\",\"b\"]}", "prompt"),
        new Bad(COMPLETIONS, "{\"prompt\":7}", "prompt"),
        new Bad(COMPLETIONS, "{\"prompt\":\"hi\",\"echo\":true}", "echo"),
        new Bad(COMPLETIONS, "{\"prompt\":\"hi\",\"best_of\":2}", "best_of"));
  }

  @ParameterizedTest
  @MethodSource("badRequests")
  void aKnownFieldOfTheWrongTypeOrAnUnsupportedFeatureIs400(Bad bad) throws Exception {
    JsonObject e = error(cluster.post(bad.path(), bad.body()), 400);
    assertThat(e.getString("type")).isEqualTo("invalid_request_error");
    assertThat(e.getString("param")).isEqualTo(bad.param());
  }

  @Test
  void malformedJsonIs400() throws Exception {
    JsonObject e = error(cluster.post(CHAT, "{\"messages\":"), 400);
    assertThat(e.getString("code")).isEqualTo("invalid_json");
  }

  @Test
  void unknownFieldsAreIgnored() throws Exception {
    HttpResponse<String> r = cluster.post(CHAT, "{" + MESSAGES + ",\"max_tokens\":2,\"user\":\"u\",\"tools\":[],"
        + "\"tool_choice\":\"none\",\"service_tier\":\"auto\",\"metadata\":{\"a\":1},\"something_new\":[1,2]}");
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
  }

  @Test
  void anUnknownModelIs404ModelNotFound() throws Exception {
    for (String path : List.of(CHAT, COMPLETIONS)) {
      String body = path.equals(CHAT) ? "{" + MESSAGES + ",\"model\":\"nope\"}" : "{\"prompt\":\"x\",\"model\":\"nope\"}";
      JsonObject e = error(cluster.post(path, body), 404);
      assertThat(e.getString("code")).isEqualTo("model_not_found");
      assertThat(e.getString("type")).isEqualTo("invalid_request_error");
      assertThat(e.getString("param")).isEqualTo("model");
    }
    HttpResponse<String> r = cluster.http.send(java.net.http.HttpRequest.newBuilder(cluster.uri("/v1/models/nope"))
        .build(), HttpResponse.BodyHandlers.ofString());
    assertThat(error(r, 404).getString("code")).isEqualTo("model_not_found");
  }

  @Test
  void aFullQueueIs429WithRetryAfter() throws Exception {
    try (RawHttp holder = RawHttp.post(cluster.gateway.port(), CHAT, "{" + MESSAGES
        + ",\"stream\":true,\"max_tokens\":5000,\"stream_delay_ms\":10}", 0)) {
      assertThat(holder.status).isEqualTo(200);
      holder.in.readLine(); // the first chunk: the slot is taken
      HttpResponse<String> r = cluster.post(CHAT, "{" + MESSAGES + ",\"max_tokens\":2}");
      JsonObject e = error(r, 429);
      assertThat(e.getString("type")).isEqualTo("rate_limit_error");
      assertThat(r.headers().firstValue("Retry-After")).isPresent();
    }
    await().atMost(Duration.ofSeconds(10)).until(() -> cluster.engines.getFirst().stats().active() == 0);
  }

  @Test
  void noWorkerIs503() throws Exception {
    try (TestCluster empty = TestCluster.gatewayOnly(GatewayOptions.defaults())) {
      for (String path : List.of(CHAT, COMPLETIONS)) {
        String body = path.equals(CHAT) ? "{" + MESSAGES + "}" : "{\"prompt\":\"x\"}";
        JsonObject e = error(empty.post(path, body), 503);
        assertThat(e.getString("type")).isEqualTo("service_unavailable_error");
      }
      HttpResponse<String> models = empty.http.send(java.net.http.HttpRequest.newBuilder(empty.uri("/v1/models"))
          .build(), HttpResponse.BodyHandlers.ofString());
      assertThat(new JsonObject(models.body()).getJsonArray("data")).isEmpty();
    }
  }
}
