package dev.tokenbus.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.tokenbus.protocol.ChatMessage;
import dev.tokenbus.protocol.FinishReason;
import dev.tokenbus.protocol.GenerationRequest;
import dev.tokenbus.protocol.GenerationResult;
import dev.tokenbus.protocol.RequestValidationException;
import dev.tokenbus.protocol.StreamConfig;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The simulated engine schedules like the real one: its text is a function of prompt and seed,
 * a resumed stream continues it exactly, and slots, pause, cancel, stop sequences, max_tokens,
 * timeouts and the prefix cache behave as on llama.cpp.
 */
class SimulatedEngineTest {

  private static final AtomicInteger IDS = new AtomicInteger();
  private final List<SimulatedEngine> engines = new ArrayList<>();

  @AfterEach
  void close() {
    engines.forEach(SimulatedEngine::close);
  }

  private SimulatedEngine engine(int slots, long itlMs) {
    SimulatedEngine e = SimulatedEngine.start(new SimulatedEngine.Config(slots, 256, 64, itlMs, 100_000, true));
    engines.add(e);
    return e;
  }

  private static GenerationRequest request(String prompt, StreamConfig config) {
    return new GenerationRequest("sim-" + IDS.incrementAndGet(), prompt, config);
  }

  private static RecordingSink run(Engine e, GenerationRequest r, List<Integer> resume) {
    RecordingSink sink = new RecordingSink();
    e.submit(r, resume, sink);
    sink.await(Duration.ofSeconds(30));
    return sink;
  }

  private static StreamConfig greedy(int maxTokens) {
    return StreamConfig.defaults().withTemperature(0).withMaxTokens(maxTokens);
  }

  @Test
  void itsTextIsAFunctionOfThePromptAndTheSeedWhenItSamples() {
    SimulatedEngine a = engine(2, 0);
    SimulatedEngine b = engine(2, 0);
    String g1 = run(a, request("Once upon a time", greedy(24)), List.of()).text();
    assertThat(g1).matches("( [a-z]{2,4}){24}");
    assertThat(run(b, request("Once upon a time", greedy(24).withSeed(7L)), List.of()).text()).isEqualTo(g1);
    assertThat(run(a, request("Once upon a tide", greedy(24)), List.of()).text()).isNotEqualTo(g1);
    StreamConfig sampled = StreamConfig.defaults().withMaxTokens(24).withSeed(42L);
    String s42 = run(a, request("Once upon a time", sampled), List.of()).text();
    assertThat(run(b, request("Once upon a time", sampled), List.of()).text()).isEqualTo(s42);
    assertThat(s42).isNotEqualTo(g1);
    assertThat(run(b, request("Once upon a time", sampled.withSeed(43L)), List.of()).text()).isNotEqualTo(s42);
  }

  @Test
  void aResumedStreamContinuesExactlyAsTheUninterruptedOne() {
    SimulatedEngine a = engine(2, 0);
    SimulatedEngine b = engine(2, 0);
    Random random = new Random(5);
    for (StreamConfig c : List.of(greedy(30), StreamConfig.defaults().withMaxTokens(30).withSeed(99L))) {
      GenerationRequest r = request("The cat sat on the mat", c);
      RecordingSink whole = run(a, r, List.of());
      int cut = 1 + random.nextInt(28);
      List<Integer> resume = whole.tokenIds().subList(0, cut);
      RecordingSink rest = run(b, request("The cat sat on the mat", c), resume);
      assertThat(rest.tokenIds()).isEqualTo(whole.tokenIds().subList(cut, 30));
      assertThat(rest.tokens().get(0).index()).isEqualTo(cut);
      assertThat(rest.await().usage().completionTokens()).isEqualTo(30);
    }
  }

  @Test
  void stopSequencesAndMaxTokensEndTheStreamAsOnTheRealEngine() {
    SimulatedEngine e = engine(2, 0);
    RecordingSink whole = run(e, request("stop here", greedy(20)), List.of());
    assertThat(whole.await().finishReason()).isEqualTo(FinishReason.LENGTH);
    assertThat(whole.tokens()).hasSize(20);
    String stop = whole.tokens().get(6).text();
    String before = whole.text().substring(0, whole.text().indexOf(stop));
    RecordingSink stopped = run(e, request("stop here", greedy(20).withStop(List.of(stop))), List.of());
    assertThat(stopped.await().finishReason()).isEqualTo(FinishReason.STOP);
    assertThat(stopped.text()).isEqualTo(before);
  }

  @Test
  void aFullSinkPausesItsSequenceAndOthersGoOn() {
    SimulatedEngine e = engine(2, 1);
    RecordingSink slow = new RecordingSink().pauseAfter(3);
    e.submit(request("slow reader", greedy(12)), List.of(), slow);
    await().atMost(Duration.ofSeconds(10)).until(() -> slow.tokens().size() == 3 && e.stats().paused() == 1);
    RecordingSink other = run(e, request("bystander", greedy(8)), List.of());
    assertThat(other.tokens()).hasSize(8);
    assertThat(slow.tokens()).hasSize(3);
    slow.resume();
    assertThat(slow.await().finishReason()).isEqualTo(FinishReason.LENGTH);
    assertThat(slow.tokens()).hasSize(12);
  }

  @Test
  void cancelAndTimeoutEndTheStreamAndGiveTheSlotBack() {
    SimulatedEngine e = engine(1, 5);
    RecordingSink sink = new RecordingSink();
    Generation g = e.submit(request("cancel me", greedy(100_000)), List.of(), sink);
    await().atMost(Duration.ofSeconds(10)).until(() -> sink.tokens().size() >= 2);
    assertThatThrownBy(() -> e.submit(request("no room", greedy(4)), List.of(), new RecordingSink()))
        .isInstanceOf(AdmissionException.class).hasMessageContaining("slots are busy");
    g.cancel();
    assertThat(sink.await().finishReason()).isEqualTo(FinishReason.CANCELLED);
    await().atMost(Duration.ofSeconds(10)).until(() -> e.stats().active() == 0);
    RecordingSink timed = run(e, request("time out", greedy(100_000).withTimeoutMs(200)), List.of());
    GenerationResult r = timed.await();
    assertThat(r.finishReason()).isEqualTo(FinishReason.TIMEOUT);
    assertThat(timed.tokens().getLast().isFinal()).isTrue();
    await().atMost(Duration.ofSeconds(10)).until(() -> e.stats().active() == 0);
  }

  @Test
  void aSequenceWaitingOutItsPacingStillEndsAtOnceOnCancelOrDeadline() {
    SimulatedEngine e = engine(4, 1);
    // Paced a minute apart: each waits in time order, not walked, yet a cancel or a deadline ends it now.
    RecordingSink cancelled = new RecordingSink();
    Generation g = e.submit(request("paced then cancelled", greedy(10).withStreamDelayMs(60_000)), List.of(),
        cancelled);
    RecordingSink timedOut = new RecordingSink();
    e.submit(request("paced then timed out", greedy(10).withStreamDelayMs(60_000).withTimeoutMs(300)), List.of(),
        timedOut);
    long start = System.nanoTime();
    RecordingSink paced = run(e, request("paced 30 ms apart", greedy(5).withStreamDelayMs(30)), List.of());
    RecordingSink free = run(e, request("not paced", greedy(8)), List.of());
    assertThat(paced.await().finishReason()).isEqualTo(FinishReason.LENGTH);
    assertThat(paced.tokens()).hasSize(5);
    assertThat(System.nanoTime() - start).isGreaterThanOrEqualTo(4 * 30_000_000L);
    assertThat(free.tokens()).hasSize(8);
    await().atMost(Duration.ofSeconds(10)).until(() -> cancelled.tokens().size() == 1);
    g.cancel();
    assertThat(cancelled.await(Duration.ofSeconds(10)).finishReason()).isEqualTo(FinishReason.CANCELLED);
    assertThat(timedOut.await(Duration.ofSeconds(10)).finishReason()).isEqualTo(FinishReason.TIMEOUT);
    assertThat(timedOut.tokens()).hasSize(2); // its first token, then the final one the deadline sends
    await().atMost(Duration.ofSeconds(10)).until(() -> e.stats().active() == 0);
    assertThat(e.stats().kvCellsUsed()).isZero();
  }

  @Test
  void aPromptSharingACachedPrefixTakesItFromTheCache() {
    SimulatedEngine e = engine(2, 0);
    String prompt = "a long shared system prompt ".repeat(4);
    GenerationResult first = run(e, request(prompt + "first", greedy(4)), List.of()).await();
    assertThat(first.usage().cachedTokens()).isZero();
    GenerationResult second = run(e, request(prompt + "second", greedy(4)), List.of()).await();
    assertThat(second.usage().cachedTokens()).isGreaterThanOrEqualTo(prompt.length());
    assertThat(e.stats().prefixHitTokens()).isEqualTo(second.usage().cachedTokens());
  }

  @Test
  void textTokenizesBackToItsTokensAndChatsUseTheTemplate() {
    SimulatedEngine e = engine(1, 0);
    RecordingSink out = run(e, request("round trip", greedy(40)), List.of());
    int[] again = e.tokenize(out.text(), false, false);
    assertThat(again).containsExactly(out.tokenIds().stream().mapToInt(Integer::intValue).toArray());
    for (String text : List.of("Grüße, 世界! 🎉", " ba kelo zzzzzz  ", "")) {
      assertThat(e.detokenize(e.tokenize(text, true, false))).isEqualTo(text);
    }
    RecordingSink chat = new RecordingSink();
    e.submit(GenerationRequest.chat("sim-chat", List.of(new ChatMessage("user", "hi")), greedy(3)), List.of(), chat);
    assertThat(chat.await().usage().promptTokens()).isEqualTo(
        e.tokenize("<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n", true, false).length);
  }

  @Test
  void itsStatisticsFollowItsSequencesThroughPrefillPacingAndEnd() {
    // 40 prompt tokens a second, 4 a step: a prompt of about ten tokens takes a few steps to prefill.
    SimulatedEngine e = SimulatedEngine.start(new SimulatedEngine.Config(4, 256, 4, 5, 40, false));
    engines.add(e);
    RecordingSink paced = new RecordingSink();
    Generation g = e.submit(request("a paced stream that waits between its tokens", greedy(6).withStreamDelayMs(150)),
        List.of(), paced);
    await().atMost(Duration.ofSeconds(10)).until(() -> e.stats().prompt() == 1);
    int promptTokens = g.promptTokens();
    await().atMost(Duration.ofSeconds(20)).until(() -> paced.tokens().size() >= 2);
    EngineStats running = e.stats();
    assertThat(running.prompt()).isZero();
    assertThat(running.active()).isEqualTo(1);
    // Its cells: the prompt and the tokens fed back so far (the latest is fed back at the next step).
    assertThat(running.kvCellsUsed()).isBetween(promptTokens, promptTokens + paced.tokens().size());
    assertThat(paced.await().finishReason()).isEqualTo(FinishReason.LENGTH);
    await().atMost(Duration.ofSeconds(10)).until(() -> e.stats().active() == 0);
    assertThat(e.stats().kvCellsUsed()).isZero();
    assertThat(e.stats().prompt()).isZero();
  }

  @Test
  void refusesWhatItCannotSimulateWithAClearError() {
    SimulatedEngine e = engine(1, 0);
    assertThatThrownBy(() -> e.submit(request("json", greedy(4).withGrammar("root ::= \"a\"")), List.of(),
        new RecordingSink())).isInstanceOf(RequestValidationException.class).hasMessageContaining("grammars");
    assertThatThrownBy(() -> e.submit(request("x", greedy(4)), List.of(SimulatedVocabulary.SIZE), new RecordingSink()))
        .isInstanceOf(RequestValidationException.class).hasMessageContaining("outside this model's vocabulary");
    assertThatThrownBy(() -> e.submit(request("y".repeat(300), greedy(4)), List.of(), new RecordingSink()))
        .isInstanceOf(AdmissionException.class).hasMessageContaining("context");
    assertThatThrownBy(() -> new SimulatedEngine.Config(1, 256, 64, -1, 5000, true))
        .hasMessageContaining("sim-itl-ms");
    assertThatThrownBy(() -> new SimulatedEngine.Config(1, 256, 64, 20, 0, true))
        .hasMessageContaining("sim-prefill-tps");
    assertThat(e.stats().active()).isZero();
    assertThat(e.simulated()).isTrue();
    assertThat(e.stateFormat()).isNull();
  }
}
