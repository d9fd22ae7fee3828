package dev.tokenbus.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenbus.engine.EngineConfig;
import dev.tokenbus.engine.gguf.TinyArchModel;
import dev.tokenbus.testing.OpenAiStream;
import dev.tokenbus.testing.TestCluster;
import dev.tokenbus.worker.WorkerOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * A thinking model's reasoning on the routes, on a tiny qwen3 model with Qwen3's published
 * template whose answer a grammar forces: {@code reasoning_content} whole and streamed (before the
 * content), the other formats, the template's variables, the budget, a tool call after thinking,
 * an earlier turn's reasoning, and the native and completions routes.
 */
@Tag("cluster")
class ReasoningRoutesTest {

  static final String THOUGHT = "<think>\nI should greet.\n</think>\n\nHello!";
  static final String CALL = "<think>\nI need the weather.\n</think>\n\n<tool_call>\n"
      + "{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}\n</tool_call>";

  private static TestCluster cluster;
  private static Path model;

  @BeforeAll
  static void start() throws Exception {
    model = Files.createTempFile("tiny-qwen3-thinking", ".gguf");
    TinyArchModel.writer(TinyArchModel.Architecture.QWEN3, 42, TinyArchModel.publishedTemplate("qwen3")).writeTo(model);
    cluster = TestCluster.start(1, EngineConfig.forModel(model).withThreads(1).withSlots(2)
        .withContextPerSequence(1024), GatewayOptions.defaults(), WorkerOptions.defaults("qwen3"));
  }

  @AfterAll
  static void stop() throws Exception {
    if (cluster != null) {
      cluster.close();
    }
    Files.deleteIfExists(model);
  }

  static String literal(String text) {
    return "\"" + text.replace("\\", "\\\\").replace("\n", "\\n").replace("\"", "\\\"") + "\"";
  }

  static JsonArray hi() {
    return new JsonArray().add(new JsonObject().put("role", "user").put("content", "Hi"));
  }

  static JsonObject forced(String output) {
    return new JsonObject().put("messages", hi()).put("temperature", 0).put("max_tokens", 200)
        .put("grammar", "root ::= " + literal(output));
  }

  static JsonObject post(String path, JsonObject body) throws Exception {
    HttpResponse<String> r = cluster.post(path, body.encode());
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    return new JsonObject(r.body());
  }

  static JsonObject message(JsonObject body) throws Exception {
    return post("/v1/chat/completions", body).getJsonArray("choices").getJsonObject(0).getJsonObject("message");
  }

  static int promptTokens(JsonObject body) throws Exception {
    return post("/v1/chat/completions", body).getJsonObject("usage").getInteger("prompt_tokens");
  }

  static List<JsonObject> deltas(JsonObject body) throws Exception {
    return OpenAiStream.post(cluster, "/v1/chat/completions", body.copy().put("stream", true)).choiceChunks().stream()
        .map(c -> OpenAiStream.choice(c).getJsonObject("delta")).toList();
  }

  static String joined(List<JsonObject> deltas, String field) {
    return deltas.stream().map(d -> d.getString(field)).filter(s -> s != null).collect(Collectors.joining());
  }

  @Test
  void aWholeAnswerCarriesTheReasoningApart() throws Exception {
    JsonObject m = message(forced(THOUGHT));
    assertThat(m.getString("reasoning_content")).isEqualTo("I should greet.");
    assertThat(m.getString("content")).isEqualTo("Hello!");
  }

  @Test
  void aStreamSendsTheReasoningBeforeTheContent() throws Exception {
    List<JsonObject> deltas = deltas(forced(THOUGHT));
    assertThat(joined(deltas, "reasoning_content")).isEqualTo("I should greet.");
    assertThat(joined(deltas, "content")).isEqualTo("Hello!");
    int lastReasoning = -1;
    int firstContent = -1;
    for (int i = 0; i < deltas.size(); i++) {
      if (deltas.get(i).getString("reasoning_content") != null) {
        lastReasoning = i;
      }
      if (firstContent < 0 && !deltas.get(i).getString("content", "").isEmpty()) {
        firstContent = i;
      }
    }
    assertThat(firstContent).isGreaterThan(lastReasoning);
  }

  @Test
  void theFormatNamesTheFieldOrLeavesTheTextUnsplit() throws Exception {
    JsonObject vllm = message(forced(THOUGHT).put("reasoning_format", "reasoning"));
    assertThat(vllm.getString("reasoning")).isEqualTo("I should greet.");
    assertThat(vllm.containsKey("reasoning_content")).isFalse();
    assertThat(joined(deltas(forced(THOUGHT).put("reasoning_format", "reasoning")), "reasoning"))
        .isEqualTo("I should greet.");

    JsonObject raw = message(forced(THOUGHT).put("reasoning_format", "none"));
    assertThat(raw.getString("content")).isEqualTo(THOUGHT);
    assertThat(raw.containsKey("reasoning_content")).isFalse();
  }

  @Test
  void thinkingOffRendersTheEmptyThinkBlock() throws Exception {
    JsonObject plain = forced("Hi");
    int thinking = promptTokens(plain);
    int emptyBlock = "<think>\n\n</think>\n\n".length(); // a token a byte
    assertThat(promptTokens(plain.copy().put("chat_template_kwargs", new JsonObject().put("enable_thinking", false))))
        .isEqualTo(thinking + emptyBlock);
    assertThat(promptTokens(plain.copy().put("enable_thinking", false))).isEqualTo(thinking + emptyBlock);
    assertThat(promptTokens(plain.copy().put("reasoning_effort", "none"))).isEqualTo(thinking + emptyBlock);
    assertThat(promptTokens(plain.copy().put("reasoning_effort", "high"))).isEqualTo(thinking);
    assertThat(promptTokens(plain.copy().put("enable_thinking", true))).isEqualTo(thinking);
  }

  @Test
  void theBudgetClosesTheThinking() throws Exception {
    // Thinking may go on ("a" after "a") or close; a newline is all but banned, so only the budget closes it.
    JsonObject body = new JsonObject().put("messages", hi()).put("temperature", 0).put("max_tokens", 100)
        .put("grammar", "root ::= \"<think>\" \"a\"* \"\\n</think>\\n\\nDone.\"")
        .put("logit_bias", new JsonObject().put(Integer.toString('\n'), -100)).put("reasoning_budget", 6);
    JsonObject m = message(body);
    assertThat(m.getString("reasoning_content")).isEqualTo("aaaaaa");
    assertThat(m.getString("content")).isEqualTo("Done.");
    JsonObject none = message(body.copy().put("reasoning_budget", 0));
    assertThat(none.containsKey("reasoning_content")).isFalse();
    assertThat(none.getString("content")).isEqualTo("Done.");
  }

  static JsonArray weatherTool() {
    return new JsonArray().add(new JsonObject().put("type", "function").put("function", new JsonObject()
        .put("name", "get_weather").put("parameters", new JsonObject("""
            {"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}"""))));
  }

  @Test
  void aToolCallAfterThinkingIsReadWholeAndStreamed() throws Exception {
    JsonObject body = forced(CALL).put("tools", weatherTool());
    JsonObject whole = post("/v1/chat/completions", body).getJsonArray("choices").getJsonObject(0);
    assertThat(whole.getString("finish_reason")).isEqualTo("tool_calls");
    JsonObject m = whole.getJsonObject("message");
    assertThat(m.getString("reasoning_content")).isEqualTo("I need the weather.");
    JsonObject f = m.getJsonArray("tool_calls").getJsonObject(0).getJsonObject("function");
    assertThat(f.getString("name")).isEqualTo("get_weather");
    assertThat(new JsonObject(f.getString("arguments"))).isEqualTo(new JsonObject().put("city", "Paris"));

    List<JsonObject> chunks = OpenAiStream.post(cluster, "/v1/chat/completions", body.copy().put("stream", true))
        .choiceChunks().stream().map(OpenAiStream::choice).toList();
    List<JsonObject> deltas = chunks.stream().map(c -> c.getJsonObject("delta")).toList();
    assertThat(joined(deltas, "reasoning_content")).isEqualTo("I need the weather.");
    assertThat(joined(deltas, "content")).isEmpty();
    List<JsonObject> calls = deltas.stream().filter(d -> d.getJsonArray("tool_calls") != null)
        .flatMap(d -> d.getJsonArray("tool_calls").stream().map(JsonObject.class::cast)).toList();
    assertThat(calls.getFirst().getJsonObject("function").getString("name")).isEqualTo("get_weather");
    String arguments = calls.stream().map(c -> c.getJsonObject("function").getString("arguments", ""))
        .collect(Collectors.joining());
    assertThat(new JsonObject(arguments)).isEqualTo(new JsonObject().put("city", "Paris"));
    assertThat(chunks.getLast().getString("finish_reason")).isEqualTo("tool_calls");
  }

  @Test
  void anEarlierTurnsReasoningReachesTheTemplate() throws Exception {
    JsonObject call = new JsonObject().put("role", "assistant").putNull("content").put("tool_calls", new JsonArray()
        .add(new JsonObject().put("id", "abcdefghi").put("type", "function").put("function", new JsonObject()
            .put("name", "get_weather").put("arguments", "{\"city\":\"Paris\"}"))));
    JsonObject result = new JsonObject().put("role", "tool").put("tool_call_id", "abcdefghi").put("content", "18");
    JsonArray without = hi().add(call).add(result);
    JsonArray with = hi().add(call.copy().put("reasoning_content", "Let me look.")).add(result);
    JsonArray vllm = hi().add(call.copy().put("reasoning", "Let me look.")).add(result);
    JsonObject base = forced("Sunny").put("tools", weatherTool());
    int plain = promptTokens(base.copy().put("messages", without));
    // Qwen3's template writes a turn's reasoning back as its think block, a token a byte here.
    int block = "<think>\nLet me look.\n</think>\n\n".length();
    assertThat(promptTokens(base.copy().put("messages", with))).isEqualTo(plain + block);
    assertThat(promptTokens(base.copy().put("messages", vllm))).isEqualTo(plain + block);
  }

  @Test
  void theNativeAndCompletionsRoutesFlagTheReasoning() throws Exception {
    JsonObject nativeBody = forced(THOUGHT).put("stream", false);
    JsonObject answer = post("/v1/generate", nativeBody);
    assertThat(answer.getString("reasoning")).isEqualTo("I should greet.");
    assertThat(answer.getString("text")).isEqualTo("Hello!");
    JsonArray tokens = answer.getJsonArray("tokens");
    String flagged = tokens.stream().map(JsonObject.class::cast).filter(t -> t.getBoolean("reasoning", false))
        .map(t -> t.getString("text")).collect(Collectors.joining());
    assertThat(flagged).isEqualTo("I should greet.");

    // A prompt that opens the think block itself: generation starts inside it.
    JsonObject completion = new JsonObject().put("prompt", "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n<think>\n")
        .put("temperature", 0).put("max_tokens", 100).put("grammar", "root ::= " + literal("I should greet.\n</think>\n\nHello!"));
    JsonObject choice = post("/v1/completions", completion).getJsonArray("choices").getJsonObject(0);
    assertThat(choice.getString("reasoning_content")).isEqualTo("I should greet.");
    assertThat(choice.getString("text")).isEqualTo("Hello!");
  }

  @Test
  void theResponsesApiGivesTheThinkingAsAReasoningItemWholeAndStreamed() throws Exception {
    JsonObject body = new JsonObject().put("input", "Hi").put("temperature", 0).put("max_output_tokens", 200)
        .put("grammar", "root ::= " + literal(THOUGHT));
    JsonObject response = post("/v1/responses", body);
    JsonArray output = response.getJsonArray("output");
    assertThat(output.stream().map(o -> ((JsonObject) o).getString("type")).toList())
        .containsExactly("reasoning", "message");
    assertThat(output.getJsonObject(0).getJsonArray("content").getJsonObject(0).getString("text"))
        .isEqualTo("I should greet.");
    assertThat(output.getJsonObject(1).getJsonArray("content").getJsonObject(0).getString("text")).isEqualTo("Hello!");
    JsonObject usage = response.getJsonObject("usage");
    assertThat(usage.getJsonObject("output_tokens_details").getInteger("reasoning_tokens"))
        .isPositive().isLessThan(usage.getInteger("output_tokens"));

    HttpResponse<String> streamed = cluster.post("/v1/responses", body.copy().put("stream", true).encode());
    StringBuilder reasoning = new StringBuilder();
    StringBuilder text = new StringBuilder();
    List<String> order = new java.util.ArrayList<>();
    for (String line : streamed.body().split("\n")) {
      if (!line.startsWith("data: ")) {
        continue;
      }
      JsonObject e = new JsonObject(line.substring(6));
      switch (e.getString("type")) {
        case "response.reasoning_text.delta" -> {
          reasoning.append(e.getString("delta"));
          order.add("reasoning");
        }
        case "response.output_text.delta" -> {
          text.append(e.getString("delta"));
          order.add("text");
        }
        case "response.content_part.added" -> order.add(e.getJsonObject("part").getString("type"));
        default -> { }
      }
    }
    assertThat(reasoning.toString()).isEqualTo("I should greet.");
    assertThat(text.toString()).isEqualTo("Hello!");
    assertThat(order.get(0)).isEqualTo("reasoning_text");
    assertThat(order.indexOf("output_text")).isGreaterThan(order.lastIndexOf("reasoning"));
  }

  @Test
  void theResponsesApisReasoningEffortReachesTheTemplate() throws Exception {
    JsonObject plain = new JsonObject().put("input", "Hi").put("temperature", 0).put("max_output_tokens", 1)
        .put("store", false);
    int thinking = post("/v1/responses", plain).getJsonObject("usage").getInteger("input_tokens");
    int off = post("/v1/responses", plain.copy().put("reasoning", new JsonObject().put("effort", "none")))
        .getJsonObject("usage").getInteger("input_tokens");
    int kwargs = post("/v1/responses", plain.copy().put("chat_template_kwargs",
        new JsonObject().put("enable_thinking", false))).getJsonObject("usage").getInteger("input_tokens");
    assertThat(off).isGreaterThan(thinking).isEqualTo(kwargs);
    HttpResponse<String> bogus = cluster.post("/v1/responses", plain.copy()
        .put("reasoning", new JsonObject().put("effort", "bogus")).encode());
    assertThat(bogus.statusCode()).isEqualTo(400);
  }

  @Test
  void anthropicsMessagesGiveTheThinkingAsAThinkingBlockWholeAndStreamed() throws Exception {
    JsonObject body = new JsonObject().put("messages", hi()).put("temperature", 0).put("max_tokens", 200)
        .put("grammar", "root ::= " + literal(THOUGHT));
    JsonArray content = post("/v1/messages", body).getJsonArray("content");
    assertThat(content.stream().map(o -> ((JsonObject) o).getString("type")).toList())
        .containsExactly("thinking", "text");
    assertThat(content.getJsonObject(0).getString("thinking")).isEqualTo("I should greet.");
    assertThat(content.getJsonObject(1).getString("text")).isEqualTo("Hello!");

    HttpResponse<String> streamed = cluster.post("/v1/messages", body.copy().put("stream", true).encode());
    StringBuilder thinking = new StringBuilder();
    StringBuilder text = new StringBuilder();
    List<String> blocks = new java.util.ArrayList<>();
    List<String> deltas = new java.util.ArrayList<>();
    for (String line : streamed.body().split("\n")) {
      if (!line.startsWith("data: ")) {
        continue;
      }
      JsonObject e = new JsonObject(line.substring(6));
      if ("content_block_start".equals(e.getString("type"))) {
        blocks.add(e.getJsonObject("content_block").getString("type"));
      } else if ("content_block_delta".equals(e.getString("type"))) {
        JsonObject d = e.getJsonObject("delta");
        deltas.add(d.getString("type"));
        thinking.append(d.getString("thinking", ""));
        text.append(d.getString("text", ""));
      }
    }
    assertThat(blocks).containsExactly("thinking", "text");
    assertThat(thinking.toString()).isEqualTo("I should greet.");
    assertThat(text.toString()).isEqualTo("Hello!");
    // The thinking block's signature comes before it closes, before any text.
    assertThat(deltas.indexOf("signature_delta")).isLessThan(deltas.indexOf("text_delta"))
        .isGreaterThan(deltas.lastIndexOf("thinking_delta"));
  }

  @Test
  void anthropicsThinkingSettingsReachTheTemplateAndTheBudget() throws Exception {
    JsonObject plain = new JsonObject().put("messages", hi()).put("temperature", 0).put("max_tokens", 1);
    int thinking = count(plain);
    int emptyBlock = "<think>\n\n</think>\n\n".length(); // a token a byte
    assertThat(count(plain.copy().put("thinking", new JsonObject().put("type", "disabled"))))
        .isEqualTo(thinking + emptyBlock);
    assertThat(count(plain.copy().put("thinking", new JsonObject().put("type", "enabled").put("budget_tokens", 64))))
        .isEqualTo(thinking);
    // budget_tokens is the reasoning budget: the worker closes the block after it.
    JsonObject budgeted = new JsonObject().put("messages", hi()).put("temperature", 0).put("max_tokens", 100)
        .put("thinking", new JsonObject().put("type", "enabled").put("budget_tokens", 6))
        .put("grammar", "root ::= \"<think>\" \"a\"* \"\\n</think>\\n\\nDone.\"")
        .put("logit_bias", new JsonObject().put(Integer.toString('\n'), -100));
    JsonArray content = post("/v1/messages", budgeted).getJsonArray("content");
    assertThat(content.getJsonObject(0).getString("thinking")).isEqualTo("aaaaaa");
    assertThat(content.getJsonObject(1).getString("text")).isEqualTo("Done.");
    HttpResponse<String> bad = cluster.post("/v1/messages", plain.copy()
        .put("thinking", new JsonObject().put("type", "enabled").put("budget_tokens", 0)).encode());
    assertThat(bad.statusCode()).isEqualTo(400);
  }

  private static int count(JsonObject body) throws Exception {
    int viaRoute = post("/v1/messages/count_tokens", body).getInteger("input_tokens");
    JsonObject usage = post("/v1/messages", body).getJsonObject("usage");
    assertThat(usage.getInteger("input_tokens") + usage.getInteger("cache_read_input_tokens")).isEqualTo(viaRoute);
    return viaRoute;
  }
}
