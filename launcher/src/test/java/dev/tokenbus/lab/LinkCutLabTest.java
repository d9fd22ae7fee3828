package dev.tokenbus.lab;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tokenbus.engine.gguf.TinyLlamaModel;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * A gateway and two workers on three hosts: the cable of the worker running a stream is pulled
 * mid-stream, and the stream finishes on the other worker with exactly the uninterrupted text.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Tag("cluster")
@Tag("lab")
class LinkCutLabTest {

  private Lab lab;

  @BeforeAll
  void up() throws Exception {
    Lab.require();
    Path model = TinyLlamaModel.cached(TinyLlamaModel.Spec.defaults());
    lab = Lab.up("cut", 71, 1, 2, model, "", "--threads 1 --slots 4");
  }

  @AfterAll
  void down() {
    if (lab != null) {
      lab.close();
    }
  }

  @Test
  void aStreamWhoseWorkersCableIsCutFinishesWithTheUninterruptedText() throws Exception {
    JsonObject body = new JsonObject().put("prompt", "Once upon a time").put("max_tokens", 300)
        .put("temperature", 0).put("stream_delay_ms", 10);
    LabStream reference = LabStream.run(lab.address("g1"), Lab.HTTP_PORT, body, 30_000);
    assertThat(reference.end).as(reference.toString()).isEqualTo(LabStream.End.DONE);
    assertThat(reference.tokens).hasSize(300);

    CompletableFuture<LabStream> run = CompletableFuture.supplyAsync(
        () -> LabStream.run(lab.address("g1"), Lab.HTTP_PORT, body, 30_000));
    String[] host = new String[1];
    await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(50)).until(() -> {
      JsonObject s = lab.status("g1");
      for (Object o : s.getJsonArray("streams")) {
        JsonObject st = (JsonObject) o;
        if (st.getInteger("tokens_delivered") >= 60) {
          host[0] = lab.workerHostOf("g1", st.getString("id"));
          return host[0] != null;
        }
      }
      return false;
    });
    lab.run("cut", host[0]);
    try {
      LabStream cut = run.get();
      System.out.printf("cable of %s cut mid-stream: %s%n", host[0], cut);
      assertThat(cut.violations).isEmpty();
      assertThat(cut.end).as(cut.toString()).isEqualTo(LabStream.End.DONE);
      assertThat(cut.tokenIds()).isEqualTo(reference.tokenIds());
    } finally {
      lab.run("heal", host[0]);
    }
  }
}
