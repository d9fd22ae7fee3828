package dev.tokenbus.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tokenbus.engine.EngineConfig;
import dev.tokenbus.engine.TestModels;
import dev.tokenbus.testing.RawHttp;
import dev.tokenbus.testing.Sse;
import dev.tokenbus.testing.TestCluster;
import dev.tokenbus.worker.WorkerOptions;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Streams end when the other side stops cooperating: a gateway that stops granting credits, a
 * worker node that leaves mid-stream, a gateway that shuts down. Each test has a cluster of its own.
 */
@Tag("engine")
@Tag("cluster")
class LivenessTest {

  private static EngineConfig engine() {
    return EngineConfig.forModel(TestModels.tiny()).withThreads(1).withSlots(2).withContextPerSequence(2048);
  }

  @Test
  void workerCancelsAStreamWhoseConsumerGrantsNoCredit() throws Exception {
    try (TestCluster c = TestCluster.start(1, engine(), GatewayOptions.defaults().withSmallBuffers(4096),
        WorkerOptions.defaults("tiny").withCreditStallMs(500))) {
      try (RawHttp stuck = RawHttp.post(c.gateway.port(), "/v1/generate",
          "{\"prompt\":\"stuck\",\"max_tokens\":2000,\"buffer_size\":8}", 4096)) {
        stuck.sse().next();
        await().atMost(Duration.ofSeconds(5)).until(() -> c.engines.getFirst().stats().paused() == 1);
        long t0 = System.nanoTime();
        // Nobody reads: after 500 ms without credit the worker gives the stream up.
        await().atMost(Duration.ofSeconds(5)).until(() -> c.engines.getFirst().stats().active() == 0);
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertThat(ms).isBetween(200L, 2000L);
      }
    }
  }

  @Test
  void theOnlyWorkerLeavingMidStreamEndsTheStreamWithANoWorkerError() throws Exception {
    // No drain: the worker goes at once, as a crashed one would.
    try (TestCluster c = TestCluster.start(1, engine(), GatewayOptions.defaults(),
        WorkerOptions.defaults("tiny").withDrainTimeoutMs(0))) {
      try (RawHttp client = RawHttp.post(c.gateway.port(), "/v1/generate",
          "{\"prompt\":\"gone\",\"max_tokens\":2000,\"stream_delay_ms\":10}", 0)) {
        Sse sse = client.sse();
        assertThat(sse.next().event()).isEqualTo("token");
        long t0 = System.nanoTime();
        c.workerNodes.getFirst().close().await(30, TimeUnit.SECONDS);
        Sse.Event e;
        do {
          e = sse.next();
        } while (e != null && "token".equals(e.event()));
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertThat(e).isNotNull();
        assertThat(e.event()).isEqualTo("error");
        // Its only worker is gone, so the stream has nowhere to move: a typed error says so.
        assertThat(e.data().getString("type")).isEqualTo("no_worker");
        assertThat(e.data().getString("message")).contains("no other worker serves its model");
        assertThat(ms).isLessThan(2000);
      }
    }
  }

  @Test
  void gatewayShutdownCancelsItsStreamsOnTheWorker() throws Exception {
    try (TestCluster c = TestCluster.start(1, engine(), GatewayOptions.defaults().withDrainTimeoutMs(0),
        WorkerOptions.defaults("tiny"))) {
      RawHttp client = RawHttp.post(c.gateway.port(), "/v1/generate",
          "{\"prompt\":\"bye gateway\",\"max_tokens\":2000,\"stream_delay_ms\":10}", 0);
      client.sse().next();
      assertThat(c.engines.getFirst().stats().active()).isEqualTo(1);
      long t0 = System.nanoTime();
      c.gatewayNode.vertx().undeploy(c.gatewayNode.vertx().deploymentIDs().iterator().next())
          .await(30, TimeUnit.SECONDS);
      await().pollInterval(Duration.ofMillis(1)).atMost(Duration.ofSeconds(5))
          .until(() -> c.engines.getFirst().stats().active() == 0);
      assertThat((System.nanoTime() - t0) / 1_000_000).isLessThan(500);
      client.close();
    }
  }
}
