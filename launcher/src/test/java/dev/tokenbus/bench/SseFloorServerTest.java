package dev.tokenbus.bench;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenbus.cli.TokenbusCommand;
import io.vertx.core.json.JsonObject;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The floor server of {@code bench scale --floor}, read by a real HTTP client: each stream carries
 * its {@code max_tokens} token events and then {@code done}, byte for byte in the format of the
 * gateway's {@code /v1/generate} (so the benchmark's reader counts them as a gateway's), in both
 * pacings; a client that leaves ends its stream; and started as the benchmark starts it, a process of
 * its own, it serves and is gone once closed.
 */
@Tag("cluster")
class SseFloorServerTest {

  private static final int ITL_MS = 50;
  private static final int STREAMS = 4;
  private static final int TOKENS = 5;
  private static final Duration TIMEOUT = Duration.ofSeconds(30);

  @ParameterizedTest
  @EnumSource(SseFloorServer.Pacing.class)
  void everyStreamCarriesItsTokensThenDoneInTheGatewaysFormat(SseFloorServer.Pacing pacing) throws Exception {
    try (SseFloorServer server = SseFloorServer.start(pacing, ITL_MS, 0);
        HttpClient http = client()) {
      List<CompletableFuture<HttpResponse<String>>> streams = new ArrayList<>();
      for (int i = 0; i < STREAMS; i++) {
        streams.add(http.sendAsync(generate(server.port(), "{\"prompt\":\"x\",\"max_tokens\":" + TOKENS + "}"),
            HttpResponse.BodyHandlers.ofString()));
      }
      for (CompletableFuture<HttpResponse<String>> f : streams) {
        HttpResponse<String> r = f.get(TIMEOUT.toSeconds(), java.util.concurrent.TimeUnit.SECONDS);
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("Content-Type")).hasValue("text/event-stream; charset=utf-8");
        assertTokensThenDone(r.body());
      }
      assertThat(GatewayStatus.read(server.port()).getInteger("streams")).as("every stream ended").isZero();
    }
  }

  @Test
  void aClientThatLeavesEndsItsStream() throws Exception {
    try (SseFloorServer server = SseFloorServer.start(SseFloorServer.Pacing.PHASED, ITL_MS, 0);
        HttpClient http = client()) {
      HttpResponse<java.io.InputStream> r = http.send(generate(server.port(), "{\"max_tokens\":100000}"),
          HttpResponse.BodyHandlers.ofInputStream());
      try (BufferedReader body = new BufferedReader(new InputStreamReader(r.body(), StandardCharsets.UTF_8))) {
        assertThat(body.readLine()).isEqualTo("id: 0");
        assertThat(GatewayStatus.read(server.port()).getInteger("streams")).isEqualTo(1);
      }
      GatewayStatus.await(server.port(), s -> s.getInteger("streams") == 0, "the stream's end", TIMEOUT, () -> null);
    }
  }

  @Test
  void asAProcessOfItsOwnItServesAndIsGoneOnceClosed() throws Exception {
    Process process;
    try (FloorProcess server = FloorProcess.start(NodeLauncher.classPath(TokenbusCommand.class),
        SseFloorServer.Pacing.IN_PHASE, ITL_MS, null);
        HttpClient http = client()) {
      process = server.process();
      HttpResponse<String> r = http.send(generate(server.port(), "{\"max_tokens\":" + TOKENS + "}"),
          HttpResponse.BodyHandlers.ofString());
      assertThat(r.statusCode()).isEqualTo(200);
      assertTokensThenDone(r.body());
      PrometheusText metrics = PrometheusText.scrape(server.port());
      assertThat(metrics.sum("tokenbus_floor_tokens_total")).isEqualTo(TOKENS);
      assertThat(metrics.sum("jvm_memory_used_bytes", "area=\"heap\"")).isPositive();
      assertThat(metrics.has("jvm_gc_pause_seconds_count")).isTrue();
    }
    assertThat(process.isAlive()).isFalse();
  }

  /** {@code TOKENS} token events with ids and indexes 0, 1, ..., the last one final, then {@code done}. */
  private static void assertTokensThenDone(String body) {
    List<String> events = List.of(body.split("\n\n"));
    assertThat(events).as(body).hasSize(TOKENS + 1);
    assertThat(events.getFirst()).isEqualTo("id: 0\nevent: token\ndata: {\"index\":0,\"text\":\" word\","
        + "\"token_id\":300,\"logprob\":-1.0,\"is_final\":false}");
    for (int i = 0; i < TOKENS; i++) {
      String[] lines = events.get(i).split("\n");
      assertThat(lines).hasSize(3);
      assertThat(lines[0]).isEqualTo("id: " + i);
      assertThat(lines[1]).isEqualTo("event: token");
      JsonObject token = new JsonObject(lines[2].substring("data: ".length()));
      assertThat(token.getInteger("index")).isEqualTo(i);
      assertThat(token.getBoolean("is_final")).isEqualTo(i == TOKENS - 1);
      assertThat(token.getString("finish_reason")).isEqualTo(i == TOKENS - 1 ? "length" : null);
    }
    String[] done = events.getLast().split("\n");
    assertThat(done[0]).isEqualTo("event: done");
    JsonObject result = new JsonObject(done[1].substring("data: ".length()));
    assertThat(result.getString("finish_reason")).isEqualTo("length");
    assertThat(result.getJsonObject("usage").getInteger("completion_tokens")).isEqualTo(TOKENS);
    // The benchmark's own reader sees a gateway's stream.
    SseReader reader = new SseReader(SseLoad.Dialect.TOKENBUS, 0);
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    reader.accept(bytes, 0, bytes.length, 1);
    assertThat(reader.tokens()).isEqualTo(TOKENS);
    assertThat(reader.stream(0, -1).completionTokens()).isEqualTo(TOKENS);
  }

  private static HttpClient client() {
    return HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
  }

  private static HttpRequest generate(int port, String body) {
    return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/generate")).timeout(TIMEOUT)
        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build();
  }
}
