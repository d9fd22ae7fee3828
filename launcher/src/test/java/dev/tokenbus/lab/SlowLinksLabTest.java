package dev.tokenbus.lab;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tokenbus.engine.gguf.TinyLlamaModel;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * A gateway and two workers whose links are slow or lossy (100 ms round trip, 5% loss each way,
 * 10 Mbit/s): greedy and seeded streams finish with exactly the text they have on a clean link,
 * and the gateway's liveness check does not take the slowness for a dead worker (no stream moves).
 * A worker that really is silent (SIGSTOP) loses its stream to the other worker, which the client
 * sees go on without a repeated or missing token, and the old worker's sequence is cancelled.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Tag("cluster")
@Tag("lab")
class SlowLinksLabTest {

  private static final String MOVED = "moving it to another worker";
  private static final Pattern MOVES = Pattern.compile(
      "^tokenbus_stream_moves_total\\{[^}]*reason=\"([a-z_]+)\"[^}]*\\} ([0-9.eE+]+)$", Pattern.MULTILINE);

  private Lab lab;
  private List<JsonObject> bodies;
  private List<LabStream> references;

  @BeforeAll
  void up() throws Exception {
    Lab.requireShaping();
    Path model = TinyLlamaModel.cached(TinyLlamaModel.Spec.defaults());
    lab = Lab.up("links", 73, 1, 2, model, "", "--threads 1 --slots 4");
    bodies = new ArrayList<>();
    String[] prompts = {"Once upon a time", "The cluster", "In a land far away"};
    for (int i = 0; i < prompts.length; i++) {
      bodies.add(new JsonObject().put("prompt", prompts[i]).put("max_tokens", 120).put("temperature", 0)
          .put("stream_delay_ms", i == 0 ? 20 : 0));
      bodies.add(new JsonObject().put("prompt", prompts[i]).put("max_tokens", 120).put("temperature", 0.8)
          .put("seed", 1000 + i).put("stream_delay_ms", i == 1 ? 20 : 0));
    }
    references = runAll();
    for (LabStream r : references) {
      assertThat(r.end).as(r.toString()).isEqualTo(LabStream.End.DONE);
      assertThat(r.violations).as(r.toString()).isEmpty();
    }
    print("clean", references, 0);
  }

  @AfterAll
  void down() {
    if (lab != null) {
      lab.close();
    }
  }

  @Test
  void streamsOverSlowAndLossyLinksKeepTheirTextAndStayOnTheirWorker() throws Exception {
    List<String> failures = new ArrayList<>();
    int falseMoves = 0;
    for (String[] condition : new String[][] {{"delay", "50ms"}, {"loss", "5%"}, {"rate", "10mbit"}}) {
      String name = condition[0] + " " + condition[1] + " on w1 and w2";
      lab.run(condition[0], "w1", condition[1]);
      lab.run(condition[0], "w2", condition[1]);
      try {
        int movesBefore = moves();
        List<LabStream> streams = runAll();
        int moves = moves() - movesBefore;
        falseMoves += moves;
        print(name, streams, moves);
        for (int i = 0; i < streams.size(); i++) {
          LabStream s = streams.get(i);
          if (s.end != LabStream.End.DONE || !s.violations.isEmpty()
              || !s.tokenIds().equals(references.get(i).tokenIds())) {
            failures.add(name + ": " + bodies.get(i).encode() + " -> " + s);
          }
        }
      } finally {
        lab.run("clear", "w1");
        lab.run("clear", "w2");
      }
    }
    assertThat(failures).as("streams that did not end with their reference text").isEmpty();
    assertThat(falseMoves).as("streams moved off a worker that was only slow").isZero();
  }

  @Test
  void aStreamMovedOffAStoppedWorkerGoesOnExactlyAndTheOldSequenceIsCancelled() throws Exception {
    JsonObject body = new JsonObject().put("prompt", "Far beyond the hills").put("max_tokens", 120)
        .put("temperature", 0.8).put("seed", 42).put("stream_delay_ms", 30);
    LabStream reference = LabStream.run(lab.address("g1"), Lab.HTTP_PORT, body, 30_000);
    assertThat(reference.end).as(reference.toString()).isEqualTo(LabStream.End.DONE);

    int movesBefore = moves();
    CompletableFuture<LabStream> run = CompletableFuture.supplyAsync(
        () -> LabStream.run(lab.address("g1"), Lab.HTTP_PORT, body, 30_000));
    String[] stream = new String[2]; // id, worker endpoint
    await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(20)).until(() -> {
      for (Object o : lab.status("g1").getJsonArray("streams")) {
        JsonObject st = (JsonObject) o;
        if (st.getInteger("tokens_delivered") >= 20 && st.getString("worker") != null) {
          stream[0] = st.getString("id");
          stream[1] = st.getString("worker");
          return true;
        }
      }
      return false;
    });
    String host = lab.workerHostOf("g1", stream[0]);
    assertThat(host).isNotNull();
    lab.run("stop", host);
    try {
      // Silent past the liveness limit: the gateway moves the stream to the other worker.
      await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(50)).until(() -> {
        for (Object o : lab.status("g1").getJsonArray("streams")) {
          JsonObject st = (JsonObject) o;
          if (stream[0].equals(st.getString("id"))) {
            return st.getString("worker") != null && !stream[1].equals(st.getString("worker"));
          }
        }
        return true; // already ended
      });
    } finally {
      lab.run("cont", host);
    }
    LabStream moved = run.get();
    System.out.printf("%s stopped mid-stream, then continued: %s%n", host, moved);
    assertThat(moved.violations).isEmpty();
    assertThat(moved.end).as(moved.toString()).isEqualTo(LabStream.End.DONE);
    assertThat(moved.tokenIds()).isEqualTo(reference.tokenIds());
    assertThat(moved.text()).isEqualTo(reference.text());
    assertThat(moves() - movesBefore).isEqualTo(1);
    // The old worker got the gateway's CANCEL once it ran again, and runs nothing.
    await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100)).untilAsserted(() ->
        assertThat(lab.logText(host)).contains("cancelled by its gateway: moved to another worker"));
    await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100)).until(() -> {
      for (Object o : lab.status("g1").getJsonArray("workers")) {
        JsonObject w = (JsonObject) o;
        if (w.getString("id").equals(stream[1])) {
          return w.getInteger("running") == 0 && w.getInteger("active") == 0;
        }
      }
      return false; // not announced again yet
    });
  }

  /** Streams moved by the gateway so far: its moves counter, or its log where it has none. */
  private int moves() throws IOException {
    String metrics = lab.metrics("g1");
    Matcher m = MOVES.matcher(metrics);
    boolean found = false;
    double n = 0;
    while (m.find()) {
      found = true;
      n += Double.parseDouble(m.group(2));
    }
    if (found) {
      return (int) n;
    }
    return lab.logText("g1").split(Pattern.quote(MOVED), -1).length - 1;
  }

  /** Runs every body at once through g1; the results in the bodies' order. */
  private List<LabStream> runAll() {
    List<CompletableFuture<LabStream>> runs = bodies.stream().map(b -> CompletableFuture.supplyAsync(
        () -> LabStream.run(lab.address("g1"), Lab.HTTP_PORT, b, 30_000))).toList();
    return runs.stream().map(CompletableFuture::join).toList();
  }

  private void print(String condition, List<LabStream> streams, int moves) {
    int identical = 0;
    double longest = 0;
    List<Double> itl = new ArrayList<>();
    for (int i = 0; i < streams.size(); i++) {
      LabStream s = streams.get(i);
      identical += s.end == LabStream.End.DONE && s.tokenIds().equals(references.get(i).tokenIds()) ? 1 : 0;
      longest = Math.max(longest, s.longestGapMs);
      for (int t = 1; t < s.tokens.size(); t++) {
        itl.add((s.tokens.get(t).arrivalNanos() - s.tokens.get(t - 1).arrivalNanos()) / 1e6);
      }
    }
    itl.sort(null);
    double p50 = itl.isEmpty() ? 0 : itl.get(itl.size() / 2);
    double p99 = itl.isEmpty() ? 0 : itl.get(Math.min(itl.size() - 1, (int) (itl.size() * 0.99)));
    System.out.printf(Locale.ROOT,
        "links %-26s streams %d, identical %d, moves %d, longest gap %.0f ms, ITL p50 %.1f ms, p99 %.1f ms%n",
        condition, streams.size(), identical, moves, longest, p50, p99);
  }
}
