package dev.tokenbus.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tokenbus.engine.EngineConfig;
import dev.tokenbus.engine.TestModels;
import dev.tokenbus.gateway.api.ops.OpsRoutes;
import dev.tokenbus.testing.TestCluster;
import dev.tokenbus.worker.WorkerOptions;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** /health, /ready and /metrics as operators see them. */
@Tag("engine")
@Tag("cluster")
class OpsEndpointsTest {

  private static HttpResponse<String> get(TestCluster c, String path) throws Exception {
    return c.http.send(HttpRequest.newBuilder(c.uri(path)).build(), HttpResponse.BodyHandlers.ofString());
  }

  /** The value of the first sample of {@code metric} (with these labels, if given) in a Prometheus scrape. */
  private static double sample(String scrape, String metric) {
    Matcher m = Pattern.compile("(?m)^" + Pattern.quote(metric) + "(?:\\{[^}]*\\})? ([0-9.eE+-]+)$").matcher(scrape);
    assertThat(m.find()).as("%s in the scrape", metric).isTrue();
    return Double.parseDouble(m.group(1));
  }

  @Test
  void gatewayIsReadyOnlyOnceAWorkerIsReachableAndItsMetricsShowTheTraffic() throws Exception {
    try (TestCluster c = TestCluster.gatewayOnly(GatewayOptions.defaults())) {
      assertThat(get(c, "/health").statusCode()).isEqualTo(200);
      HttpResponse<String> notReady = get(c, "/ready");
      assertThat(notReady.statusCode()).isEqualTo(503);
      assertThat(notReady.body()).contains("no worker is reachable");

      c.addWorker(EngineConfig.forModel(TestModels.tiny()).withThreads(1).withSlots(2), WorkerOptions.defaults("tiny"));
      await().atMost(Duration.ofSeconds(10)).until(() -> get(c, "/ready").statusCode() == 200);

      for (int i = 0; i < 3; i++) {
        HttpResponse<String> r = c.post("/v1/generate", "{\"prompt\":\"metrics\",\"max_tokens\":20}");
        assertThat(r.statusCode()).isEqualTo(200);
      }
      assertThat(c.post("/v1/generate", "{\"prompt\":\"\"}").statusCode()).isEqualTo(400);

      String scrape = get(c, "/metrics").body();
      assertThat(sample(scrape, "vllm:time_to_first_token_seconds_count")).isEqualTo(3);
      double ttftMean = sample(scrape, "vllm:time_to_first_token_seconds_sum") / 3;
      assertThat(ttftMean).as("mean TTFT in seconds").isGreaterThan(0).isLessThan(5);
      assertThat(sample(scrape, "vllm:inter_token_latency_seconds_count")).isEqualTo(3 * 19);
      assertThat(scrape).contains("vllm:inter_token_latency_seconds_bucket{le=\"0.001\"}");
      assertThat(sample(scrape, "vllm:e2e_request_latency_seconds_count")).isEqualTo(4); // the 400 counts too
      assertThat(sample(scrape, "vllm:request_queue_time_seconds_count")).isEqualTo(3);
      assertThat(sample(scrape, "vllm:generation_tokens_total")).isEqualTo(60);
      assertThat(scrape).containsPattern("vllm:request_success_total\\{finished_reason=\"length\"[^}]*\\} 3");
      assertThat(scrape).containsPattern("tokenbus_request_errors_total\\{type=\"invalid_value\"[^}]*\\} 1");
    }
  }

  @Test
  void workerMetricsShowItsSlotsAndLoad() throws Exception {
    try (TestCluster c = TestCluster.start(EngineConfig.forModel(TestModels.tiny()).withThreads(1).withSlots(3))) {
      OpsRoutes ops = new OpsRoutes(c.workerNodes.getFirst().vertx());
      boolean[] loaded = new boolean[1];
      ops.readyWhen("model", () -> loaded[0] ? null : "loading");
      int port = ops.listen("127.0.0.1", 0, c.workerNodes.getFirst().metrics()).await().actualPort();
      java.net.URI ready = java.net.URI.create("http://127.0.0.1:" + port + "/ready");
      assertThat(c.http.send(HttpRequest.newBuilder(ready).build(), HttpResponse.BodyHandlers.ofString()).statusCode())
          .isEqualTo(503);
      loaded[0] = true;
      assertThat(c.http.send(HttpRequest.newBuilder(ready).build(), HttpResponse.BodyHandlers.ofString()).statusCode())
          .isEqualTo(200);
      String scrape = c.http.send(HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:" + port + "/metrics"))
          .build(), HttpResponse.BodyHandlers.ofString()).body();
      assertThat(sample(scrape, "tokenbus_worker_slots")).isEqualTo(3);
      assertThat(sample(scrape, "vllm:num_requests_running")).isZero();
      assertThat(sample(scrape, "vllm:kv_cache_usage_perc")).isZero();
      assertThat(sample(scrape, "vllm:prefix_cache_hits_total")).isZero();
      assertThat(sample(scrape, "vllm:prefix_cache_queries_total")).isZero();
    }
  }
}
