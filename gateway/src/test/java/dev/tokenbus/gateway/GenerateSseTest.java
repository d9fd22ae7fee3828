package dev.tokenbus.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tokenbus.engine.EngineConfig;
import dev.tokenbus.engine.RecordingSink;
import dev.tokenbus.engine.TestModels;
import dev.tokenbus.protocol.GenerationRequest;
import dev.tokenbus.protocol.StreamConfig;
import dev.tokenbus.testing.RawHttp;
import dev.tokenbus.testing.Sse;
import dev.tokenbus.testing.TestCluster;
import io.vertx.core.json.JsonObject;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** POST /v1/generate through a real two-node cluster (gateway node + worker node) on the real engine. */
@Tag("engine")
@Tag("cluster")
class GenerateSseTest {

  private static TestCluster cluster;

  @BeforeAll
  static void start() throws Exception {
    cluster = TestCluster.start(EngineConfig.forModel(TestModels.tiny()).withThreads(1).withSlots(4)
        .withContextPerSequence(1024));
  }

  @AfterAll
  static void stop() {
    if (cluster != null) {
      cluster.close();
    }
  }

  @AfterEach
  void slotsFreed() {
    await().atMost(Duration.ofSeconds(10)).until(() -> cluster.engines.getFirst().stats().active() == 0);
  }

  private static List<Sse.Event> stream(String body) throws Exception {
    HttpResponse<java.io.InputStream> r = cluster.http.send(HttpRequest.newBuilder(cluster.uri("/v1/generate"))
        .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofInputStream());
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.headers().firstValue("content-type")).hasValueSatisfying(v -> assertThat(v).startsWith("text/event-stream"));
    try (var in = new BufferedReader(new InputStreamReader(r.body(), StandardCharsets.UTF_8))) {
      return new Sse(in).all();
    }
  }

  private static String text(List<Sse.Event> events) {
    StringBuilder sb = new StringBuilder();
    events.stream().filter(e -> "token".equals(e.event())).forEach(e -> sb.append(e.data().getString("text")));
    return sb.toString();
  }

  @Test
  void tokensArriveInOrderOnceEachWithOneFinalAndMatchTheEngineAlone() throws Exception {
    List<Sse.Event> events = stream("{\"prompt\":\"hello world\",\"max_tokens\":200,\"seed\":42,\"temperature\":0.9}");
    List<Sse.Event> tokens = events.stream().filter(e -> "token".equals(e.event())).toList();
    assertThat(tokens).hasSize(200);
    for (int i = 0; i < tokens.size(); i++) {
      assertThat(tokens.get(i).id()).isEqualTo(Integer.toString(i));
      assertThat(tokens.get(i).data().getInteger("index")).isEqualTo(i);
    }
    assertThat(tokens.stream().filter(e -> e.data().getBoolean("is_final"))).hasSize(1);
    assertThat(tokens.getLast().data().getBoolean("is_final")).isTrue();
    Sse.Event done = events.getLast();
    assertThat(done.event()).isEqualTo("done");
    assertThat(done.data().getString("finish_reason")).isEqualTo("length");
    assertThat(done.data().getJsonObject("usage").getInteger("completion_tokens")).isEqualTo(200);
    assertThat(done.data().getLong("seed")).isEqualTo(42L);

    RecordingSink alone = new RecordingSink();
    cluster.engines.getFirst().submit(new GenerationRequest("alone", "hello world",
        StreamConfig.defaults().withMaxTokens(200).withSeed(42L).withTemperature(0.9)), alone);
    alone.await();
    assertThat(text(events)).isEqualTo(alone.text());
  }

  @Test
  void nonStreamingAnswersWithOneObject() throws Exception {
    HttpResponse<String> r = cluster.post("/v1/generate",
        "{\"prompt\":\"abc\",\"max_tokens\":16,\"temperature\":0,\"stream\":false,\"top_logprobs\":3}");
    assertThat(r.statusCode()).isEqualTo(200);
    JsonObject body = new JsonObject(r.body());
    assertThat(body.getString("finish_reason")).isEqualTo("length");
    assertThat(body.getJsonArray("tokens")).hasSize(16);
    assertThat(body.getJsonArray("tokens").getJsonObject(0).getJsonArray("top_logprobs")).hasSize(3);
    assertThat(body.getString("text")).hasSizeGreaterThan(0);
    assertThat(body.getJsonObject("usage").getInteger("total_tokens"))
        .isEqualTo(body.getJsonObject("usage").getInteger("prompt_tokens") + 16);
  }

  @Test
  void aJsonBodySentAsAFormLikeCurlDoesIsReadAsJsonWhateverItsSize() throws Exception {
    // curl -d sends application/x-www-form-urlencoded; a body past Vert.x's form-attribute limit
    // (8 KiB) must not be refused for that. Whitespace between the fields makes this one 20 KiB.
    String body = "{\"prompt\":\"abc\"," + " ".repeat(20_000) + "\"max_tokens\":4,\"stream\":false}";
    HttpResponse<String> r = cluster.http.send(java.net.http.HttpRequest.newBuilder(cluster.uri("/v1/generate"))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .POST(java.net.http.HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    assertThat(new JsonObject(r.body()).getJsonArray("tokens")).hasSize(4);
  }

  @Test
  void stopSequenceMaxTokensAndTimeoutWorkOverHttp() throws Exception {
    String full = text(stream("{\"prompt\":\"stop here\",\"max_tokens\":60,\"temperature\":0}"));
    String stop = full.substring(20, 26);
    List<Sse.Event> stopped = stream(new JsonObject().put("prompt", "stop here").put("max_tokens", 60)
        .put("temperature", 0).put("stop", stop).encode());
    assertThat(text(stopped)).isEqualTo(full.substring(0, full.indexOf(stop)));
    assertThat(stopped.getLast().data().getString("finish_reason")).isEqualTo("stop");

    List<Sse.Event> timed = stream("{\"prompt\":\"slow\",\"max_tokens\":5000,\"stream_delay_ms\":20,\"timeout_ms\":300}");
    assertThat(timed.getLast().event()).isEqualTo("done");
    assertThat(timed.getLast().data().getString("finish_reason")).isEqualTo("timeout");
    assertThat(timed.getLast().data().getJsonObject("usage").getInteger("completion_tokens")).isBetween(2, 20);
  }

  @Test
  void statusShowsTheWorkerAndTheOpenStreams() throws Exception {
    try (RawHttp slow = RawHttp.post(cluster.gateway.port(), "/v1/generate",
        "{\"prompt\":\"status\",\"max_tokens\":5000,\"stream_delay_ms\":50}", 0)) {
      Sse sse = slow.sse();
      sse.next();
      JsonObject status = cluster.status();
      JsonObject worker = status.getJsonArray("workers").getJsonObject(0);
      assertThat(worker.getString("model")).isEqualTo("tiny");
      assertThat(worker.getInteger("slots")).isEqualTo(4);
      JsonObject s = status.getJsonArray("streams").getJsonObject(0);
      assertThat(s.getString("worker")).isEqualTo(worker.getString("id"));
      assertThat(s.getInteger("tokens_delivered")).isGreaterThanOrEqualTo(1);
      assertThat(s.getInteger("tokens_generated")).isGreaterThanOrEqualTo(s.getInteger("tokens_delivered"));
      assertThat(s.getString("id")).isNotBlank();
    }
  }
}
