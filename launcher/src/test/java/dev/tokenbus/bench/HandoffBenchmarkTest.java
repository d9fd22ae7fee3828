package dev.tokenbus.bench;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenbus.cli.TokenbusCommand;
import dev.tokenbus.engine.gguf.TinyLlamaModel;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code bench handoff}'s machinery on worker processes of the demo model and a short context: what
 * it reports happened. The drained stream was handed off with its KV cells (bytes moved, the adopter
 * named), the replayed and the killed ones were replayed, all three with the uninterrupted run's
 * tokens; and each drain mode did what it says with the four streams of the SIGTERMed worker.
 */
@Tag("engine")
@Tag("cluster")
class HandoffBenchmarkTest {

  private static final int CONTEXT = HandoffBenchmark.MIN_CONTEXT;
  private static final int TOKENS = 64;

  @TempDir
  Path logs;

  @Test
  void handoffReplayAndKillMoveTheStreamWithItsTextAndEachDrainModeDoesWhatItSays() throws Exception {
    ByteArrayOutputStream printed = new ByteArrayOutputStream();
    // The demo model generates in microseconds: a pause between tokens keeps each stream running at its move.
    var options = new HandoffBenchmark.Options(TinyLlamaModel.cached(TinyLlamaModel.Spec.defaults()), 1,
        List.of(CONTEXT), TOKENS, NodeLauncher.classPath(TokenbusCommand.class), List.of(), logs, 20);
    List<HandoffBenchmark.ContextResult> results = new HandoffBenchmark(options,
        new PrintStream(printed, true, StandardCharsets.UTF_8)).run();
    String out = printed.toString(StandardCharsets.UTF_8);

    assertThat(results).hasSize(1);
    HandoffBenchmark.ContextResult r = results.getFirst();
    assertThat(r.context()).isEqualTo(CONTEXT);
    assertThat(r.coldPrefillMs()).as(out).isPositive();

    HandoffBenchmark.Move handoff = r.handoff();
    assertThat(handoff.count("handed_off")).as(out).isEqualTo(1);
    assertThat(handoff.count("replayed")).as(out).isZero();
    assertThat(handoff.identical()).as(out).isTrue();
    assertThat(handoff.handedOff().getInteger("tokens")).as("the prompt and the tokens streamed so far")
        .isGreaterThanOrEqualTo(CONTEXT + HandoffBenchmark.BEFORE_MOVE);
    assertThat(r.bytes()).isPositive();
    assertThat(r.transferMs()).isGreaterThanOrEqualTo(0);

    assertThat(r.replay().count("replayed")).as(out).isEqualTo(1);
    assertThat(r.replay().count("handed_off")).isZero();
    assertThat(r.replay().identical()).as(out).isTrue();
    assertThat(r.kill().account()).isNull();
    assertThat(r.kill().identical()).as(out).isTrue();
    for (HandoffBenchmark.Move m : List.of(handoff, r.replay(), r.kill())) {
      assertThat(m.gapMs()).as(m.how()).isPositive();
    }

    assertThat(r.drains()).extracting(HandoffBenchmark.Drain::mode).containsExactly("handoff", "wait", "replay");
    int n = HandoffBenchmark.DRAIN_STREAMS;
    // handed off, replayed, staying, ended meanwhile
    int[][] expected = {{n, 0, 0, 0}, {0, 0, n, 0}, {0, n, 0, 0}};
    for (int i = 0; i < expected.length; i++) {
      HandoffBenchmark.Drain d = r.drains().get(i);
      assertThat(d.streams()).as(d.mode() + "\n" + out).isEqualTo(n);
      assertThat(d.outcome()).as(d.mode() + "\n" + out).containsExactly(expected[i]);
      assertThat(d.fewestLeft()).as("every stream was still running at the signal").isPositive();
    }
    assertThat(out).contains("| admin drain, worker-drain handoff |").contains("| " + CONTEXT + " |");
  }
}
