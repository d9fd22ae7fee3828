package dev.tokenbus.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tokenbus.engine.EngineConfig;
import dev.tokenbus.engine.TestModels;
import dev.tokenbus.gateway.dispatch.DispatchOptions;
import dev.tokenbus.testing.RawHttp;
import dev.tokenbus.testing.RawWebSocket;
import dev.tokenbus.testing.Sse;
import dev.tokenbus.testing.TestCluster;
import dev.tokenbus.worker.WorkerOptions;
import io.vertx.core.json.JsonObject;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** When every slot is busy, requests wait in a bounded queue, first come first served; past it they get 429. */
@Tag("engine")
@Tag("cluster")
class AdmissionTest {

  private static CompletableFuture<List<Sse.Event>> streamAsync(TestCluster c, String body) {
    return c.http.sendAsync(HttpRequest.newBuilder(c.uri("/v1/generate")).POST(HttpRequest.BodyPublishers.ofString(body))
        .build(), HttpResponse.BodyHandlers.ofInputStream()).thenApply(r -> {
          try (var in = new BufferedReader(new InputStreamReader(r.body(), StandardCharsets.UTF_8))) {
            assertThat(r.statusCode()).isEqualTo(200);
            return new Sse(in).all();
          } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
          }
        });
  }

  @Test
  void requestsWaitForASlotAndTheQueueOverflowGets429WithRetryAfter() throws Exception {
    TestCluster c = TestCluster.gatewayOnly(GatewayOptions.defaults(), DispatchOptions.defaults().withQueueSize(2));
    try (c) {
      c.addWorker(EngineConfig.forModel(TestModels.tiny()).withThreads(1).withSlots(1), WorkerOptions.defaults("tiny"));
      await().atMost(Duration.ofSeconds(10)).until(() -> !c.status().getJsonArray("workers").isEmpty());

      RawHttp first = RawHttp.post(c.gateway.port(), "/v1/generate",
          "{\"prompt\":\"hold the slot\",\"max_tokens\":5000,\"stream_delay_ms\":10}", 0);
      assertThat(first.sse().next().event()).isEqualTo("token");

      CompletableFuture<List<Sse.Event>> second = streamAsync(c, "{\"prompt\":\"second\",\"max_tokens\":5}");
      await().atMost(Duration.ofSeconds(5)).until(() -> c.status().getInteger("queued") == 1);
      CompletableFuture<List<Sse.Event>> third = streamAsync(c, "{\"prompt\":\"third\",\"max_tokens\":5}");
      await().atMost(Duration.ofSeconds(5)).until(() -> c.status().getInteger("queued") == 2);

      HttpResponse<String> overflow = c.post("/v1/generate", "{\"prompt\":\"one too many\",\"max_tokens\":5}");
      assertThat(overflow.statusCode()).isEqualTo(429);
      assertThat(overflow.headers().firstValue("Retry-After")).hasValueSatisfying(v ->
          assertThat(Long.parseLong(v)).isPositive());
      JsonObject error = new JsonObject(overflow.body()).getJsonObject("error");
      assertThat(error.getString("type")).isEqualTo("rate_limit_error");
      assertThat(error.getString("code")).isEqualTo("queue_full");
      // On a WebSocket the same refusal says when to come back too, in milliseconds.
      try (RawWebSocket ws = RawWebSocket.connect(c.gateway.port())) {
        ws.sendText("{\"type\":\"generate\",\"id\":\"w\",\"prompt\":\"one too many\",\"max_tokens\":5}");
        JsonObject refused = ws.nextJson();
        assertThat(refused.getJsonObject("error").getString("code")).isEqualTo("queue_full");
        assertThat(refused.getLong("retry_after_ms"))
            .isEqualTo(Long.parseLong(overflow.headers().firstValue("Retry-After").orElseThrow()) * 1000);
      }

      first.close(); // frees the slot: the waiting requests go, oldest first
      List<Sse.Event> s2 = second.get(20, TimeUnit.SECONDS);
      List<Sse.Event> s3 = third.get(20, TimeUnit.SECONDS);
      for (List<Sse.Event> events : List.of(s2, s3)) {
        Sse.Event done = events.getLast();
        assertThat(done.event()).isEqualTo("done");
        assertThat(done.data().getJsonObject("usage").getInteger("completion_tokens")).isEqualTo(5);
        assertThat(done.data().getJsonObject("timings").getDouble("gateway_queue_ms")).isPositive();
      }
      assertThat(c.status().getInteger("queued")).isZero();
    }
  }

  @Test
  void aWebSocketGenerationCancelledWhileItWaitsNeverStreams() throws Exception {
    TestCluster c = TestCluster.gatewayOnly(GatewayOptions.defaults());
    try (c) {
      c.addWorker(EngineConfig.forModel(TestModels.tiny()).withThreads(1).withSlots(1), WorkerOptions.defaults("tiny"));
      await().atMost(Duration.ofSeconds(10)).until(() -> !c.status().getJsonArray("workers").isEmpty());
      RawHttp holder = RawHttp.post(c.gateway.port(), "/v1/generate",
          "{\"prompt\":\"hold the slot\",\"max_tokens\":5000,\"stream_delay_ms\":10}", 0);
      assertThat(holder.sse().next().event()).isEqualTo("token");

      List<JsonObject> frames = new java.util.concurrent.CopyOnWriteArrayList<>();
      java.net.http.WebSocket ws = c.http.newWebSocketBuilder().buildAsync(
          java.net.URI.create("ws://127.0.0.1:" + c.gateway.port() + "/v1/ws"), new java.net.http.WebSocket.Listener() {
            @Override
            public java.util.concurrent.CompletionStage<?> onText(java.net.http.WebSocket socket, CharSequence data,
                boolean last) {
              frames.add(new JsonObject(data.toString()));
              socket.request(1);
              return null;
            }
          }).get(10, TimeUnit.SECONDS);
      ws.sendText("{\"type\":\"generate\",\"id\":\"q\",\"prompt\":\"waiting\",\"max_tokens\":50}", true).join();
      await().atMost(Duration.ofSeconds(5)).until(() -> c.status().getInteger("queued") == 1);
      ws.sendText("{\"type\":\"cancel\",\"id\":\"q\"}", true).join();
      holder.close(); // the slot frees; the waiting generation opens and is cancelled at once

      await().atMost(Duration.ofSeconds(10)).until(() -> !frames.isEmpty());
      assertThat(frames).hasSize(1);
      assertThat(frames.getFirst().getString("type")).isEqualTo("error");
      assertThat(frames.getFirst().getJsonObject("error").getString("type")).isEqualTo("cancelled");
      await().atMost(Duration.ofSeconds(5)).until(() -> c.engines.getFirst().stats().active() == 0);
      ws.sendClose(java.net.http.WebSocket.NORMAL_CLOSURE, "bye").join();
    }
  }
}
