package dev.tokenbus.lab;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tokenbus.engine.gguf.TinyLlamaModel;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * A worker that answers a stream's OPEN only after the gateway gave up on it and opened the stream
 * on another worker (it was stopped, SIGSTOP, while the OPEN was on its way) must not feed that
 * stream: the client sees each token once, in order, and exactly the uninterrupted text. Found by
 * {@link NemesisLabTest}: the late worker's tokens, from index 0, were interleaved with the others.
 */
@Tag("cluster")
@Tag("lab")
class StaleOpenLabTest {

  private static final List<String> PROMPTS = List.of("Once upon a time", "The cluster heals", "In a distant land",
      "Tokens travel over the bus", "A stopped worker wakes", "Late answers");

  @Test
  void aWorkerThatAnswersItsOpenTooLateSendsNothingToTheStream() throws Exception {
    Lab.require();
    try (Lab lab = Lab.up("stale", 76, 1, 2, TinyLlamaModel.cached(TinyLlamaModel.Spec.defaults()), "",
        "--threads 1 --slots 8")) {
      String gateway = lab.address("g1");
      List<JsonObject> bodies = PROMPTS.stream().map(p -> new JsonObject().put("prompt", p).put("max_tokens", 80)
          .put("temperature", 0).put("stream_delay_ms", 40).put("cache_prompt", false)).toList();
      List<LabStream> references = bodies.stream().map(b -> LabStream.run(gateway, Lab.HTTP_PORT, b, 30_000)).toList();

      ExecutorService clients = Executors.newFixedThreadPool(bodies.size());
      lab.run("stop", "w1");
      List<CompletableFuture<LabStream>> runs = new ArrayList<>();
      try {
        // The burst spreads over both workers (w1 is still registered): w1's OPENs go unanswered
        // and those streams are opened on w2 from their first token.
        for (JsonObject b : bodies) {
          runs.add(CompletableFuture.supplyAsync(() -> LabStream.run(gateway, Lab.HTTP_PORT, b, 30_000), clients));
        }
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(50)).until(() -> {
          JsonObject s = lab.status("g1");
          if (s.getJsonArray("streams").size() < bodies.size()) {
            return false;
          }
          for (Object o : s.getJsonArray("streams")) {
            if (!"w2".equals(lab.workerHostOf("g1", ((JsonObject) o).getString("id")))) {
              return false;
            }
          }
          return true;
        });
      } finally {
        lab.run("cont", "w1"); // w1 now reads the OPENs the gateway gave up on
        clients.shutdown();
      }
      for (int i = 0; i < bodies.size(); i++) {
        LabStream s = runs.get(i).get();
        System.out.printf("stale OPEN, stream %d: %s%n", i, s);
        assertThat(s.violations).as(s.toString()).isEmpty();
        assertThat(s.end).as(s.toString()).isEqualTo(LabStream.End.DONE);
        assertThat(s.tokenIds()).isEqualTo(references.get(i).tokenIds());
      }
    }
  }
}
