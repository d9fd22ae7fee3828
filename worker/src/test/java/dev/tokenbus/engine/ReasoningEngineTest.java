package dev.tokenbus.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.tokenbus.engine.gguf.TinyArchModel;
import dev.tokenbus.engine.gguf.TinyArchModel.Architecture;
import dev.tokenbus.engine.llama.Llama;
import dev.tokenbus.protocol.ChatMessage;
import dev.tokenbus.protocol.FinishReason;
import dev.tokenbus.protocol.GenerationRequest;
import dev.tokenbus.protocol.GenerationResult;
import dev.tokenbus.protocol.StreamConfig;
import dev.tokenbus.protocol.TokenData;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The worker splits a thinking model's think block from its answer: on a tiny qwen3 model with
 * Qwen3's published template (byte-level vocabulary, so every marker is spelled over several tokens),
 * with the output forced by a grammar; the template variables reach the template; the reasoning
 * budget closes the block; and gpt-oss's harmony channels split the same way.
 */
@Tag("engine")
class ReasoningEngineTest {

  static final String THOUGHT = "<think>\nI should greet.\n</think>\n\nHello!";
  /** The byte-level vocabulary's token for a newline. */
  static final int NEWLINE = '\n';
  static final String HARMONY_TEMPLATE = "{%- for m in messages -%}<|start|>{{ m.role }}{% if m.role == 'assistant' %}"
      + "<|channel|>final{% endif %}<|message|>{{ m.content }}<|end|>{%- endfor -%}"
      + "{%- if add_generation_prompt -%}<|start|>assistant{%- endif -%}";

  @TempDir
  static Path dir;
  private static LlamaEngine qwen3;
  private static int counter;

  @BeforeAll
  static void start() throws Exception {
    qwen3 = start(TinyArchModel.publishedTemplate("qwen3"), "qwen3");
  }

  @AfterAll
  static void stop() {
    if (qwen3 != null) {
      qwen3.close();
    }
  }

  private static LlamaEngine start(String template, String name) throws Exception {
    assumeTrue(Llama.open(null, null).knowsArchitecture(Architecture.QWEN3.ggufName()));
    Path file = dir.resolve(name + ".gguf");
    TinyArchModel.writer(Architecture.QWEN3, 42, template).writeTo(file);
    return LlamaEngine.start(EngineConfig.forModel(file).withThreads(1).withSlots(2).withContextPerSequence(1024));
  }

  static String literal(String text) {
    return "\"" + text.replace("\\", "\\\\").replace("\n", "\\n").replace("\"", "\\\"") + "\"";
  }

  static StreamConfig forced(String grammar) {
    return StreamConfig.defaults().withTemperature(0).withMaxTokens(200).withGrammar(grammar);
  }

  private static RecordingSink run(LlamaEngine engine, GenerationRequest request) {
    RecordingSink sink = new RecordingSink();
    engine.submit(request, sink);
    sink.await();
    return sink;
  }

  private static GenerationRequest chat(StreamConfig config) {
    return GenerationRequest.chat("r" + (++counter), List.of(new ChatMessage("user", "Hi")), config);
  }

  /** What the split decides for a token: its index, text, flag and end. */
  static String split(TokenData t) {
    return t.index() + " " + JsonObject.of("t", t.text()).encode() + " " + t.reasoning() + " " + t.finishReason();
  }

  static String text(List<TokenData> tokens, boolean reasoning) {
    return tokens.stream().filter(t -> t.reasoning() == reasoning).map(TokenData::text).collect(Collectors.joining());
  }

  @Test
  void theThinkBlockIsSplitFromTheAnswerWithoutItsMarkers() {
    RecordingSink sink = run(qwen3, chat(forced("root ::= " + literal(THOUGHT))));
    List<TokenData> tokens = sink.tokens();
    assertThat(sink.await().finishReason()).isEqualTo(FinishReason.STOP);
    // The whitespace around the thinking goes with the markers.
    assertThat(text(tokens, true)).isEqualTo("I should greet.");
    assertThat(text(tokens, false)).isEqualTo("Hello!");
    assertThat(tokens).extracting(TokenData::index).containsExactlyElementsOf(
        IntStream.range(0, tokens.size()).boxed().toList());
    // Every reasoning token comes before every answer token that has text.
    int lastReasoning = tokens.stream().filter(TokenData::reasoning).mapToInt(TokenData::index).max().orElseThrow();
    assertThat(tokens.stream().filter(t -> !t.reasoning() && !t.text().isEmpty()).mapToInt(TokenData::index).min()
        .orElseThrow()).isGreaterThan(lastReasoning);
  }

  @Test
  void withTheSplitOffTheRawTextStaysTheAnswer() {
    StreamConfig config = forced("root ::= " + literal(THOUGHT)).toBuilder().separateReasoning(false).build();
    RecordingSink sink = run(qwen3, chat(config));
    assertThat(sink.tokens()).noneMatch(TokenData::reasoning);
    assertThat(sink.text()).isEqualTo(THOUGHT);
  }

  @Test
  void templateVariablesReachTheTemplate() {
    GenerationRequest thinking = chat(forced("root ::= \"Hi\""));
    GenerationRequest off = thinking.withTemplateArgs(new JsonObject().put("enable_thinking", false));
    GenerationResult on = run(qwen3, thinking).await();
    GenerationResult without = run(qwen3, off).await();
    assertThat(qwen3.chatTemplate().render(off.messages(), List.of(), off.templateArgs()))
        .endsWith("<|im_start|>assistant\n<think>\n\n</think>\n\n");
    // The empty think block is 15 byte-level tokens more.
    assertThat(without.usage().promptTokens()).isEqualTo(on.usage().promptTokens() + "<think>\n\n</think>\n\n".length());
  }

  @Test
  void anEarlierTurnsReasoningGoesBackToTheTemplate() {
    List<ChatMessage> turns = List.of(new ChatMessage("user", "Hi"),
        new ChatMessage("assistant", "Hello!", null, null, "They greet me."), new ChatMessage("user", "Bye"),
        new ChatMessage("assistant", "See you.", null, null, "Leaving."));
    assertThat(qwen3.chatTemplate().render(turns)).contains("<think>\nLeaving.\n</think>\n\nSee you.");
  }

  @Test
  void theBudgetClosesTheBlockAfterItsTokens() {
    // The grammar lets the model think on ("a" after "a") or close; a newline is all but banned, so
    // it would think until max_tokens: the worker closes the block after 6 thinking tokens.
    String grammar = "root ::= \"<think>\" \"a\"* \"\\n</think>\\n\\nDone.\"";
    StreamConfig config = forced(grammar).toBuilder().logitBias(Map.of(NEWLINE, -100.0)).reasoningBudget(6).build();
    RecordingSink sink = run(qwen3, chat(config));
    assertThat(sink.await().finishReason()).isEqualTo(FinishReason.STOP);
    assertThat(text(sink.tokens(), true)).isEqualTo("aaaaaa");
    assertThat(text(sink.tokens(), false)).isEqualTo("Done.");

    RecordingSink unlimited = run(qwen3, chat(forced(grammar).toBuilder().logitBias(Map.of(NEWLINE, -100.0))
        .maxTokens(40).build()));
    assertThat(unlimited.await().finishReason()).isEqualTo(FinishReason.LENGTH);
    assertThat(text(unlimited.tokens(), false)).isEmpty();
  }

  @Test
  void aBudgetOfZeroClosesTheBlockAsItOpens() {
    String grammar = "root ::= \"<think>\" \"a\"* \"\\n</think>\\n\\nDone.\"";
    StreamConfig config = forced(grammar).toBuilder().logitBias(Map.of(NEWLINE, -100.0)).reasoningBudget(0).build();
    RecordingSink sink = run(qwen3, chat(config));
    assertThat(text(sink.tokens(), true)).isEmpty();
    assertThat(text(sink.tokens(), false)).isEqualTo("Done.");
    assertThat(sink.text()).isEqualTo("Done.");
  }

  @Test
  void aResumedStreamGoesOnInTheRightPart() {
    // Split at points inside the opening marker, inside the thinking, inside the budget's closing marker
    // and in the answer: the rest is flagged exactly as in the uninterrupted stream.
    String grammar = "root ::= \"<think>\" \"a\"* \"\\n</think>\\n\\nDone.\"";
    StreamConfig config = forced(grammar).toBuilder().logitBias(Map.of(NEWLINE, -100.0)).reasoningBudget(6).build();
    GenerationRequest request = chat(config);
    RecordingSink whole = run(qwen3, request);
    List<Integer> ids = whole.tokenIds();
    for (int k : List.of(3, 9, 15, ids.size() - 2)) {
      RecordingSink rest = new RecordingSink();
      qwen3.submit(chat(config), ids.subList(0, k), rest);
      rest.await();
      assertThat(rest.tokenIds()).as("tokens after resuming at %d", k).isEqualTo(ids.subList(k, ids.size()));
      // Logprobs may differ in the last bits (the resumed tokens are evaluated together); the split may not.
      assertThat(rest.tokens()).as("resumed at %d", k).extracting(ReasoningEngineTest::split)
          .isEqualTo(whole.tokens().subList(k, ids.size()).stream().map(ReasoningEngineTest::split).toList());
    }
  }

  @Test
  void aStreamResumedWhileTheWorkerWritesTheClosingMarkerFinishesIt() {
    // No grammar: a prompt that opens the block, and a budget of 4; the closing marker is 12 byte tokens.
    StreamConfig config = StreamConfig.defaults().withTemperature(0).withMaxTokens(24).withReasoningBudget(4);
    String prompt = "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n<think>\n";
    RecordingSink whole = run(qwen3, new GenerationRequest("w" + (++counter), prompt, config));
    String raw = whole.tokens().stream().map(t -> new String(qwen3.pieceBytes(t.tokenId()),
        java.nio.charset.StandardCharsets.UTF_8)).collect(Collectors.joining());
    assertThat(raw).contains("\n</think>\n\n");
    assertThat(whole.tokens().subList(0, 4)).allMatch(TokenData::reasoning);
    List<Integer> ids = whole.tokenIds();
    for (int k : List.of(5, 9, 15)) {
      RecordingSink rest = new RecordingSink();
      qwen3.submit(new GenerationRequest("w" + (++counter), prompt, config), ids.subList(0, k), rest);
      rest.await();
      assertThat(rest.tokenIds()).as("tokens after resuming at %d", k).isEqualTo(ids.subList(k, ids.size()));
      assertThat(rest.tokens()).as("resumed at %d", k).extracting(ReasoningEngineTest::split)
          .isEqualTo(whole.tokens().subList(k, ids.size()).stream().map(ReasoningEngineTest::split).toList());
    }
  }

  @Test
  void harmonyChannelsSplitTheSameWay() throws Exception {
    try (LlamaEngine harmony = start(HARMONY_TEMPLATE, "harmony")) {
      assertThat(harmony.chatTemplate().reasoningSyntax()).isEqualTo(ReasoningSyntax.HARMONY);
      String out = "<|channel|>analysis<|message|>Think first.<|end|><|start|>assistant<|channel|>final<|message|>Hi.";
      RecordingSink sink = run(harmony, chat(forced("root ::= " + literal(out))));
      assertThat(text(sink.tokens(), true)).isEqualTo("Think first.");
      assertThat(text(sink.tokens(), false)).isEqualTo("Hi.");

      RecordingSink direct = run(harmony, chat(forced("root ::= " + literal("<|channel|>final<|message|>Hi."))));
      assertThat(direct.tokens()).noneMatch(TokenData::reasoning);
      assertThat(direct.text()).isEqualTo("Hi.");
    }
  }

  @Test
  void harmonyMarkersThatAreControlTokensAreFoundToo() throws Exception {
    // gpt-oss's vocabulary has its channel markers as control tokens, some of which llama.cpp gives no
    // text: four of the tiny vocabulary's unused control tokens are renamed to them.
    List<String> tokens = new ArrayList<>(new dev.tokenbus.engine.gguf.ByteLevelVocabulary().tokens());
    Map<String, String> renamed = Map.of("<bos>", "<|start|>", "<eos>", "<|channel|>", "<start_of_turn>", "<|message|>",
        "<end_of_turn>", "<|end|>");
    tokens.replaceAll(t -> renamed.getOrDefault(t, t));
    Path file = dir.resolve("harmony-control.gguf");
    TinyArchModel.writer(Architecture.QWEN3, 42, HARMONY_TEMPLATE).putStringArray("tokenizer.ggml.tokens", tokens)
        .writeTo(file);
    try (LlamaEngine harmony = LlamaEngine.start(EngineConfig.forModel(file).withThreads(1).withSlots(1)
        .withContextPerSequence(512))) {
      int channel = tokens.indexOf("<|channel|>");
      // llama.cpp writes gpt-oss's <|start|>, <|channel|> and <|message|> as text, but not <|end|>.
      int end = tokens.indexOf("<|end|>");
      assertThat(harmony.pieceBytes(end)).as("<|end|> has no text of its own").isEmpty();
      assertThat(harmony.pieceBytes(channel)).isNotEmpty();
      // A grammar cannot write a token without text: the stream is resumed after the model wrote the
      // thinking, <|end|> and the final channel's header; what it writes next is the answer.
      List<Integer> written = new ArrayList<>();
      for (int t : harmony.tokenize("<|channel|>analysis<|message|>Think first.", false, true)) {
        written.add(t);
      }
      written.add(end);
      for (int t : harmony.tokenize("<|start|>assistant<|channel|>final<|message|>", false, true)) {
        written.add(t);
      }
      assertThat(written).contains(channel);
      StreamConfig config = StreamConfig.defaults().withTemperature(0).withMaxTokens(written.size() + 4);
      RecordingSink sink = new RecordingSink();
      harmony.submit(chat(config), written, sink);
      sink.await();
      assertThat(sink.tokens()).isNotEmpty().noneMatch(TokenData::reasoning);

      RecordingSink thinking = new RecordingSink();
      harmony.submit(chat(config), written.subList(0, written.indexOf(end)), thinking);
      thinking.await();
      assertThat(thinking.tokens()).as("resumed inside the thinking").isNotEmpty().allMatch(TokenData::reasoning);
    }
  }

  @Test
  void aModelWithoutThinkingSyntaxNeverFlagsReasoning() throws Exception {
    try (LlamaEngine plain = start(TinyArchModel.CHATML_TEMPLATE, "chatml")) {
      assertThat(plain.chatTemplate().reasoningSyntax()).isNull();
      RecordingSink sink = run(plain, chat(forced("root ::= " + literal(THOUGHT))));
      assertThat(sink.tokens()).noneMatch(TokenData::reasoning);
      assertThat(sink.text()).isEqualTo(THOUGHT);
    }
  }
}
