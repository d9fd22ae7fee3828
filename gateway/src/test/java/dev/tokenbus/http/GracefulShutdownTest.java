package dev.tokenbus.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tokenbus.engine.EngineConfig;
import dev.tokenbus.engine.TestModels;
import dev.tokenbus.worker.WorkerOptions;
import io.vertx.core.Future;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** A gateway that shuts down refuses new work, lets open streams finish, and ends the rest at its deadline. */
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
}
