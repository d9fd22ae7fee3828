package dev.tokenbus.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tokenbus.engine.EngineConfig;
import dev.tokenbus.engine.TestModels;
import dev.tokenbus.testing.OpenAiStream;
import dev.tokenbus.testing.TestCluster;
import dev.tokenbus.worker.WorkerOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** /v1/chat/completions and /v1/completions in OpenAI's exact wire format, chunk by chunk. */
@Tag("engine")
@Tag("cluster")
class OpenAiWireTest {

  private static final String MODEL = "tiny-chat";
  private static TestCluster cluster;

  @BeforeAll
  static void start() throws Exception {
    cluster = TestCluster.start(1, EngineConfig.forModel(TestModels.tinyChat()).withThreads(1).withSlots(2)
        .withContextPerSequence(512), GatewayOptions.defaults(), WorkerOptions.defaults(MODEL));
  }

  @AfterAll
  static void stop() {
    if (cluster != null) {
      cluster.close();
    }
  }

  @AfterEach
  void slotsFreed() {
    await().atMost(Duration.ofSeconds(10)).until(() -> cluster.engines.getFirst().stats().active() == 0);
  }

  private static JsonObject chat(int maxTokens) {
    return new JsonObject().put("model", MODEL).put("max_tokens", maxTokens).put("temperature", 0)
        .put("messages", new JsonArray().add(new JsonObject().put("role", "user").put("content", "Hello")));
  }

  private static JsonObject completion(int maxTokens) {
    return new JsonObject().put("max_tokens", maxTokens).put("temperature", 0).put("prompt", "Once upon a time");
  }

  private static JsonObject whole(String path, JsonObject body) throws Exception {
    HttpResponse<String> r = cluster.post(path, body.encode());
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    return new JsonObject(r.body());
  }

  /** Checks what every stream shares and returns its chunks: [DONE] last, one id and created, the object name. */
  private static OpenAiStream checkedStream(String path, JsonObject body, String object) throws Exception {
    OpenAiStream s = OpenAiStream.post(cluster, path, body);
    assertThat(s.data().getLast()).isEqualTo("[DONE]");
    assertThat(s.data().stream().filter("[DONE]"::equals)).hasSize(1);
    List<JsonObject> chunks = s.chunks();
    assertThat(chunks).isNotEmpty();
    String id = chunks.getFirst().getString("id");
    long created = chunks.getFirst().getLong("created");
    assertThat(id).startsWith(object.startsWith("chat") ? "chatcmpl-" : "cmpl-");
    assertThat(created).isCloseTo(System.currentTimeMillis() / 1000, org.assertj.core.data.Offset.offset(60L));
    for (JsonObject c : chunks) {
      assertThat(c.getString("id")).isEqualTo(id);
      assertThat(c.getLong("created")).isEqualTo(created);
      assertThat(c.getString("object")).isEqualTo(object);
      assertThat(c.getString("model")).isEqualTo(MODEL);
    }
    // The finish reason is on the last choice chunk only.
    List<JsonObject> withChoices = s.choiceChunks();
    for (int i = 0; i < withChoices.size(); i++) {
      Object finish = OpenAiStream.choice(withChoices.get(i)).getValue("finish_reason");
      if (i < withChoices.size() - 1) {
        assertThat(finish).as("chunk %d", i).isNull();
      } else {
        assertThat(finish).isIn("stop", "length");
      }
    }
    return s;
  }

  private static String chatText(OpenAiStream s) {
    StringBuilder sb = new StringBuilder();
    s.choiceChunks().forEach(c -> sb.append(OpenAiStream.choice(c).getJsonObject("delta").getString("content", "")));
    return sb.toString();
  }

  @Test
  void chatStreamHasTheRoleFirstTheFinishOnTheLastContentChunkAndUsageOnlyWhenAsked() throws Exception {
    OpenAiStream s = checkedStream("/v1/chat/completions", chat(10).put("stream", true)
        .put("stream_options", new JsonObject().put("include_usage", true)), "chat.completion.chunk");
    List<JsonObject> chunks = s.chunks();
    JsonObject first = OpenAiStream.choice(chunks.getFirst());
    assertThat(first.getJsonObject("delta").getString("role")).isEqualTo("assistant");
    assertThat(first.getInteger("index")).isZero();
    assertThat(first.containsKey("logprobs")).isTrue();
    assertThat(first.getValue("logprobs")).isNull();
    assertThat(chunks.stream().skip(1).map(c -> c.getJsonArray("choices")).filter(a -> !a.isEmpty())
        .map(a -> a.getJsonObject(0).getJsonObject("delta"))).allSatisfy(d -> assertThat(d.containsKey("role")).isFalse());
    // 10 tokens of content: one chunk each, the last with finish_reason length.
    List<JsonObject> content = s.choiceChunks().subList(1, s.choiceChunks().size());
    assertThat(content).hasSize(10);
    assertThat(OpenAiStream.choice(content.getLast()).getString("finish_reason")).isEqualTo("length");
    assertThat(OpenAiStream.choice(content.getLast()).getJsonObject("delta").containsKey("content")).isTrue();
    // The usage chunk comes last, with no choices; every other chunk says usage: null.
    JsonObject usage = chunks.getLast();
    assertThat(usage.getJsonArray("choices")).isEmpty();
    assertThat(usage.getJsonObject("usage").getInteger("completion_tokens")).isEqualTo(10);
    assertThat(usage.getJsonObject("usage").getInteger("total_tokens")).isEqualTo(10
        + usage.getJsonObject("usage").getInteger("prompt_tokens"));
    assertThat(chunks.subList(0, chunks.size() - 1)).allSatisfy(c -> {
      assertThat(c.containsKey("usage")).isTrue();
      assertThat(c.getValue("usage")).isNull();
    });
    // The same text as the non-streaming answer.
    JsonObject answer = whole("/v1/chat/completions", chat(10));
    assertThat(chatText(s)).isEqualTo(OpenAiStream.choice(answer).getJsonObject("message").getString("content"));
  }

  @Test
  void withoutIncludeUsageNoChunkCarriesUsage() throws Exception {
    OpenAiStream s = checkedStream("/v1/chat/completions", chat(5).put("stream", true), "chat.completion.chunk");
    assertThat(s.chunks()).allSatisfy(c -> {
      assertThat(c.containsKey("usage")).isFalse();
      assertThat(c.getJsonArray("choices")).hasSize(1);
    });
    OpenAiStream off = checkedStream("/v1/chat/completions", chat(5).put("stream", true)
        .put("stream_options", new JsonObject().put("include_usage", false)), "chat.completion.chunk");
    assertThat(off.chunks()).allSatisfy(c -> assertThat(c.getJsonArray("choices")).hasSize(1));
  }

  @Test
  void aWholeChatCompletion() throws Exception {
    JsonObject r = whole("/v1/chat/completions", chat(7));
    assertThat(r.getString("id")).startsWith("chatcmpl-");
    assertThat(r.getString("object")).isEqualTo("chat.completion");
    assertThat(r.getString("model")).isEqualTo(MODEL);
    assertThat(r.getLong("created")).isPositive();
    JsonObject choice = OpenAiStream.choice(r);
    assertThat(choice.getInteger("index")).isZero();
    assertThat(choice.getJsonObject("message").getString("role")).isEqualTo("assistant");
    assertThat(choice.getJsonObject("message").getString("content")).isNotEmpty();
    assertThat(choice.getString("finish_reason")).isEqualTo("length");
    assertThat(choice.getValue("logprobs")).isNull();
    assertThat(r.getJsonObject("usage").getInteger("completion_tokens")).isEqualTo(7);
    assertThat(r.getJsonObject("usage").getInteger("prompt_tokens")).isEqualTo(cluster.engines.getFirst()
        .tokenize("<|im_start|>user\nHello<|im_end|>\n<|im_start|>assistant\n", true).length);
  }

  @Test
  void aStopSequenceEndsWithStopAndIsNotSent() throws Exception {
    String full = OpenAiStream.choice(whole("/v1/completions", completion(30))).getString("text");
    String stop = full.substring(10, 13);
    String expected = full.substring(0, full.indexOf(stop));
    OpenAiStream s = checkedStream("/v1/completions", completion(30).put("stream", true).put("stop", stop),
        "text_completion");
    StringBuilder text = new StringBuilder();
    s.choiceChunks().forEach(c -> text.append(OpenAiStream.choice(c).getString("text")));
    assertThat(text.toString()).isEqualTo(expected);
    assertThat(OpenAiStream.choice(s.choiceChunks().getLast()).getString("finish_reason")).isEqualTo("stop");
    JsonObject whole = whole("/v1/completions", completion(30).put("stop", new JsonArray().add(stop).add("zzzz")));
    assertThat(OpenAiStream.choice(whole).getString("text")).isEqualTo(expected);
    assertThat(OpenAiStream.choice(whole).getString("finish_reason")).isEqualTo("stop");
  }

  @Test
  void completionStreamHasNoRoleChunkAndMatchesTheWholeAnswer() throws Exception {
    OpenAiStream s = checkedStream("/v1/completions", completion(12).put("stream", true).put("model", MODEL)
        .put("stream_options", new JsonObject().put("include_usage", true)), "text_completion");
    List<JsonObject> choices = s.choiceChunks();
    assertThat(choices).hasSize(12);
    assertThat(choices).allSatisfy(c -> {
      assertThat(OpenAiStream.choice(c).containsKey("delta")).isFalse();
      assertThat(OpenAiStream.choice(c).getString("text")).isNotNull();
    });
    assertThat(s.chunks().getLast().getJsonObject("usage").getInteger("completion_tokens")).isEqualTo(12);
    StringBuilder text = new StringBuilder();
    choices.forEach(c -> text.append(OpenAiStream.choice(c).getString("text")));
    JsonObject r = whole("/v1/completions", completion(12).put("prompt", new JsonArray().add("Once upon a time")));
    assertThat(r.getString("object")).isEqualTo("text_completion");
    assertThat(r.getString("model")).isEqualTo(MODEL); // named by the worker when the request names none
    assertThat(OpenAiStream.choice(r).getString("text")).isEqualTo(text.toString());
  }

  @Test
  void chatLogprobsHaveOpenAisShape() throws Exception {
    JsonObject body = chat(6).put("logprobs", true).put("top_logprobs", 3);
    OpenAiStream s = checkedStream("/v1/chat/completions", body.copy().put("stream", true), "chat.completion.chunk");
    List<JsonObject> content = s.choiceChunks().subList(1, s.choiceChunks().size());
    assertThat(content).hasSize(6);
    for (JsonObject c : content) {
      JsonArray entries = OpenAiStream.choice(c).getJsonObject("logprobs").getJsonArray("content");
      assertThat(entries).hasSize(1);
      checkChatEntry(entries.getJsonObject(0), 3);
      assertThat(entries.getJsonObject(0).getString("token"))
          .isEqualTo(OpenAiStream.choice(c).getJsonObject("delta").getString("content"));
    }
    JsonArray whole = OpenAiStream.choice(whole("/v1/chat/completions", body)).getJsonObject("logprobs")
        .getJsonArray("content");
    assertThat(whole).hasSize(6);
    whole.forEach(e -> checkChatEntry((JsonObject) e, 3));
  }

  private static void checkChatEntry(JsonObject e, int top) {
    assertThat(e.fieldNames()).containsExactlyInAnyOrder("token", "logprob", "bytes", "top_logprobs");
    assertThat(e.getDouble("logprob")).isLessThanOrEqualTo(0.0);
    assertThat(e.getJsonArray("bytes")).isEqualTo(bytes(e.getString("token")));
    JsonArray alternatives = e.getJsonArray("top_logprobs");
    assertThat(alternatives).hasSize(top);
    double previous = 0;
    for (int i = 0; i < alternatives.size(); i++) {
      JsonObject a = alternatives.getJsonObject(i);
      assertThat(a.fieldNames()).containsExactlyInAnyOrder("token", "logprob", "bytes");
      assertThat(a.getJsonArray("bytes")).isEqualTo(bytes(a.getString("token")));
      assertThat(a.getDouble("logprob")).isLessThanOrEqualTo(previous);
      previous = a.getDouble("logprob");
    }
    // Greedy: the chosen token is the likeliest.
    assertThat(e.getDouble("logprob")).isCloseTo(alternatives.getJsonObject(0).getDouble("logprob"),
        org.assertj.core.data.Offset.offset(1e-6));
  }

  private static JsonArray bytes(String s) {
    JsonArray a = new JsonArray();
    for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
      a.add(b & 0xFF);
    }
    return a;
  }

  @Test
  void completionLogprobsHaveOpenAisShape() throws Exception {
    JsonObject r = whole("/v1/completions", completion(8).put("logprobs", 2));
    JsonObject choice = OpenAiStream.choice(r);
    JsonObject lp = choice.getJsonObject("logprobs");
    assertThat(lp.fieldNames()).containsExactlyInAnyOrder("tokens", "token_logprobs", "top_logprobs", "text_offset");
    JsonArray tokens = lp.getJsonArray("tokens");
    assertThat(tokens).hasSize(8);
    assertThat(lp.getJsonArray("token_logprobs")).hasSize(8);
    assertThat(lp.getJsonArray("top_logprobs")).hasSize(8);
    int offset = 0;
    StringBuilder text = new StringBuilder();
    for (int i = 0; i < 8; i++) {
      assertThat(lp.getJsonArray("text_offset").getInteger(i)).isEqualTo(offset);
      offset += tokens.getString(i).length();
      text.append(tokens.getString(i));
      assertThat(lp.getJsonArray("token_logprobs").getDouble(i)).isLessThanOrEqualTo(0.0);
      JsonObject top = lp.getJsonArray("top_logprobs").getJsonObject(i);
      assertThat(top.size()).isBetween(1, 2);
      assertThat(top.getDouble(tokens.getString(i))).isNotNull(); // greedy: the chosen token is among the best
    }
    assertThat(text.toString()).isEqualTo(choice.getString("text"));

    OpenAiStream s = checkedStream("/v1/completions", completion(8).put("logprobs", 2).put("stream", true),
        "text_completion");
    int streamed = 0;
    for (JsonObject c : s.choiceChunks()) {
      JsonObject one = OpenAiStream.choice(c).getJsonObject("logprobs");
      assertThat(one.getJsonArray("tokens")).hasSize(1);
      assertThat(one.getJsonArray("text_offset").getInteger(0)).isEqualTo(streamed);
      streamed += one.getJsonArray("tokens").getString(0).length();
    }
    assertThat(streamed).isEqualTo(choice.getString("text").length());
  }

  @Test
  void modelsListsWhatWorkersServe() throws Exception {
    HttpResponse<String> r = cluster.http.send(java.net.http.HttpRequest.newBuilder(cluster.uri("/v1/models")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).isEqualTo(200);
    JsonObject list = new JsonObject(r.body());
    assertThat(list.getString("object")).isEqualTo("list");
    assertThat(list.getJsonArray("data")).hasSize(1);
    JsonObject m = list.getJsonArray("data").getJsonObject(0);
    assertThat(m.getString("id")).isEqualTo(MODEL);
    assertThat(m.getString("object")).isEqualTo("model");
    assertThat(m.getString("owned_by")).isNotEmpty();
    assertThat(m.getLong("created")).isPositive();
    HttpResponse<String> one = cluster.http.send(java.net.http.HttpRequest.newBuilder(
        cluster.uri("/v1/models/" + MODEL)).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(new JsonObject(one.body())).isEqualTo(m);
  }
}
