package dev.tokenbus.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tokenbus.engine.EngineConfig;
import dev.tokenbus.engine.TestModels;
import dev.tokenbus.testing.RawHttp;
import dev.tokenbus.testing.RawWebSocket;
import dev.tokenbus.testing.Sse;
import dev.tokenbus.testing.TestCluster;
import dev.tokenbus.worker.WorkerOptions;
import io.vertx.core.Future;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** A gateway that shuts down refuses new work, lets open streams finish, and ends the rest at its deadline. */
@Tag("engine")
@Tag("cluster")
class GracefulShutdownTest {

  private static EngineConfig engine() {
    return EngineConfig.forModel(TestModels.tiny()).withThreads(1).withSlots(2).withContextPerSequence(2048);
  }

  private static Future<?> stopGateway(TestCluster c) {
    return c.gatewayNode.vertx().undeploy(c.gatewayNode.vertx().deploymentIDs().iterator().next());
  }

  @Test
  void openStreamsFinishWhileNewRequestsAreRefused() throws Exception {
    try (TestCluster c = TestCluster.start(1, engine(), GatewayOptions.defaults().withDrainTimeoutMs(10_000),
        WorkerOptions.defaults("tiny"))) {
      RawHttp running = RawHttp.post(c.gateway.port(), "/v1/generate",
          "{\"prompt\":\"finish me\",\"max_tokens\":40,\"stream_delay_ms\":25}", 0);
      Sse sse = running.sse();
      assertThat(sse.next().event()).isEqualTo("token");
      Future<?> stopping = stopGateway(c);
      await().atMost(Duration.ofSeconds(5))
          .until(() -> c.http.send(HttpRequest.newBuilder(c.uri("/ready")).build(),
              HttpResponse.BodyHandlers.ofString()).statusCode() == 503);
      HttpResponse<String> refused = c.post("/v1/generate", "{\"prompt\":\"too late\",\"max_tokens\":3}");
      assertThat(refused.statusCode()).isEqualTo(503);
      assertThat(refused.body()).contains("shutting down");

      List<Sse.Event> rest = sse.all();
      assertThat(rest.getLast().event()).isEqualTo("done");
      assertThat(rest.getLast().data().getJsonObject("usage").getInteger("completion_tokens")).isEqualTo(40);
      stopping.await(15, TimeUnit.SECONDS);
      running.close();
    }
  }

  @Test
  void streamsStillOpenAtTheDeadlineEndWithATypedErrorAndFreeTheirSlot() throws Exception {
    try (TestCluster c = TestCluster.start(1, engine(), GatewayOptions.defaults().withDrainTimeoutMs(300),
        WorkerOptions.defaults("tiny"))) {
      RawHttp running = RawHttp.post(c.gateway.port(), "/v1/generate",
          "{\"prompt\":\"too long\",\"max_tokens\":2000,\"stream_delay_ms\":10}", 0);
      Sse sse = running.sse();
      sse.next();
      stopGateway(c).await(10, TimeUnit.SECONDS);
      Sse.Event e;
      do {
        e = sse.next();
      } while (e != null && "token".equals(e.event()));
      assertThat(e).isNotNull();
      assertThat(e.event()).isEqualTo("error");
      assertThat(e.data().getString("type")).isEqualTo("gateway_shutdown");
      await().atMost(Duration.ofSeconds(2)).until(() -> c.engines.getFirst().stats().active() == 0);
      running.close();
    }
  }

  /** Requests waiting for a slot at shutdown get their 503 at once, not at the drain deadline. */
  @Test
  void queuedRequestsAreRefusedAtOnceWhileRunningStreamsFinish() throws Exception {
    try (TestCluster c = TestCluster.start(1, engine(), GatewayOptions.defaults().withDrainTimeoutMs(60_000),
        WorkerOptions.defaults("tiny"))) {
      List<Sse> running = new java.util.ArrayList<>();
      for (int i = 0; i < 2; i++) {
        Sse sse = RawHttp.post(c.gateway.port(), "/v1/generate",
            "{\"prompt\":\"hold\",\"max_tokens\":60,\"stream_delay_ms\":20}", 0).sse();
        assertThat(sse.next().event()).isEqualTo("token");
        running.add(sse);
      }
      var queued = c.http.sendAsync(HttpRequest.newBuilder(c.uri("/v1/generate"))
          .POST(HttpRequest.BodyPublishers.ofString("{\"prompt\":\"waiting\",\"max_tokens\":3}")).build(),
          HttpResponse.BodyHandlers.ofString());
      await().atMost(Duration.ofSeconds(5)).until(() -> c.status().getInteger("queued") == 1);
      long t0 = System.nanoTime();
      Future<?> stopping = stopGateway(c);
      HttpResponse<String> refused = queued.get(5, TimeUnit.SECONDS);
      long refusedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
      assertThat(refused.statusCode()).isEqualTo(503);
      assertThat(new io.vertx.core.json.JsonObject(refused.body()).getJsonObject("error").getString("code"))
          .isEqualTo("shutting_down");
      assertThat(stopping.isComplete()).as("refused while the running streams still drain").isFalse();
      for (Sse sse : running) {
        assertThat(sse.all().getLast().event()).isEqualTo("done");
      }
      stopping.await(15, TimeUnit.SECONDS);
      System.out.printf("queued request refused %d ms after shutdown began; drain over after %d ms%n", refusedMs,
          TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
    }
  }

  /** Clients that vanished leave nothing for the drain to wait for: with nothing running, shutdown is immediate. */
  @Test
  void shutdownAfterVanishedClientsDoesNotWaitForTheDrainDeadline() throws Exception {
    try (TestCluster c = TestCluster.start(1, engine(), GatewayOptions.defaults().withDrainTimeoutMs(60_000),
        WorkerOptions.defaults("tiny"))) {
      for (int i = 0; i < 4; i++) {
        RawWebSocket ws = RawWebSocket.connect(c.gateway.port());
        ws.sendText("{\"type\":\"generate\",\"id\":\"x\",\"prompt\":\"go\",\"max_tokens\":2000,"
            + "\"timeout_ms\":600000}");
        assertThat(ws.nextJson().getString("type")).isEqualTo("token");
        ws.reset();
      }
      c.awaitIdle(Duration.ofSeconds(2));
      long t0 = System.nanoTime();
      stopGateway(c).await(20, TimeUnit.SECONDS);
      System.out.printf("shutdown with nothing running took %d ms (drain timeout 60000 ms)%n",
          TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
    }
  }
}
