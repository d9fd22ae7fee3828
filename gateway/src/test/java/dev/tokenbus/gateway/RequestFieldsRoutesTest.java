package dev.tokenbus.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tokenbus.engine.EngineConfig;
import dev.tokenbus.engine.TestModels;
import dev.tokenbus.testing.JsonFrames;
import dev.tokenbus.testing.TestCluster;
import dev.tokenbus.worker.WorkerOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * {@code logit_bias} on every route that generates, {@code seed} as any 64-bit integer, a prompt
 * given as token ids, and {@code suffix} refused: through the gateway to the real engine on the
 * generated chat model.
 */
@Tag("engine")
@Tag("cluster")
class RequestFieldsRoutesTest {

  private static final String MODEL = "tiny-chat";
  private static final String PROMPT = "Once upon a time";
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

  private static JsonObject post(String path, JsonObject body, int status) throws Exception {
    HttpResponse<String> r = cluster.post(path, body.encode());
    assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
    return new JsonObject(r.body());
  }

  private static JsonObject generate(JsonObject extra) throws Exception {
    return post("/v1/generate", new JsonObject().put("prompt", PROMPT).put("max_tokens", 12).put("temperature", 0)
        .put("stream", false).mergeIn(extra), 200);
  }

  private static List<Integer> ids(JsonObject generated) {
    List<Integer> ids = new ArrayList<>();
    for (Object t : generated.getJsonArray("tokens")) {
      ids.add(((JsonObject) t).getInteger("token_id"));
    }
    return ids;
  }

  private static JsonObject banning(List<Integer> ids) {
    JsonObject bias = new JsonObject();
    ids.forEach(id -> bias.put(Integer.toString(id), -100));
    return bias;
  }

  /** The frames of one WebSocket generation, up to its done or error frame. */
  private static List<JsonObject> overWebSocket(JsonObject generate) throws Exception {
    List<JsonObject> frames = new java.util.concurrent.CopyOnWriteArrayList<>();
    CompletableFuture<Void> ended = new CompletableFuture<>();
    WebSocket ws = cluster.http.newWebSocketBuilder().buildAsync(
        URI.create("ws://127.0.0.1:" + cluster.gateway.port() + "/v1/ws"), new JsonFrames(f -> {
          frames.add(f);
          if (!"token".equals(f.getString("type"))) {
            ended.complete(null);
          }
        })).get(10, TimeUnit.SECONDS);
    ws.sendText(generate.copy().put("type", "generate").put("id", "g").encode(), true);
    ended.get(20, TimeUnit.SECONDS);
    ws.sendClose(WebSocket.NORMAL_CLOSURE, "");
    return frames;
  }

  @Test
  void logitBiasBansTheTokensItNamesOnEveryRoute() throws Exception {
    // The case: tokens the greedy answer has, each at -100, never come back.
    List<Integer> free = ids(generate(new JsonObject()));
    JsonObject ban = new JsonObject().put("logit_bias", banning(free));
    List<Integer> banned = ids(generate(ban));
    assertThat(banned).isNotEmpty().doesNotContainAnyElementsOf(free);

    List<Integer> overWs = overWebSocket(new JsonObject().put("prompt", PROMPT).put("max_tokens", 12)
        .put("temperature", 0).mergeIn(ban)).stream().filter(f -> "token".equals(f.getString("type")))
        .map(f -> f.getInteger("token_id")).toList();
    assertThat(overWs).isEqualTo(banned);

    // /v1/completions continues the same prompt: its text is the banned run's, not the free one's.
    JsonObject completion = new JsonObject().put("prompt", PROMPT).put("max_tokens", 12).put("temperature", 0);
    String freeText = post("/v1/completions", completion, 200).getJsonArray("choices").getJsonObject(0)
        .getString("text");
    String bannedText = post("/v1/completions", completion.copy().mergeIn(ban), 200).getJsonArray("choices")
        .getJsonObject(0).getString("text");
    assertThat(bannedText).isNotEqualTo(freeText).isEqualTo(generate(ban).getString("text"));

    // The chat route: the ids of its own greedy answer, learned from /v1/generate with the same messages.
    JsonArray messages = new JsonArray().add(new JsonObject().put("role", "user").put("content", "Hello"));
    List<Integer> chatFree = ids(post("/v1/generate", new JsonObject().put("messages", messages).put("max_tokens", 12)
        .put("temperature", 0).put("stream", false), 200));
    JsonObject chat = new JsonObject().put("messages", messages).put("max_tokens", 12).put("temperature", 0);
    String chatText = post("/v1/chat/completions", chat, 200).getJsonArray("choices").getJsonObject(0)
        .getJsonObject("message").getString("content");
    JsonObject chatBanned = post("/v1/chat/completions", chat.copy().put("logit_bias", banning(chatFree)), 200);
    assertThat(chatBanned.getJsonArray("choices").getJsonObject(0).getJsonObject("message").getString("content"))
        .isNotEqualTo(chatText);
  }

  @Test
  void logitBiasTheGatewayOrTheWorkerCannotTakeIsA400NamingIt() throws Exception {
    int vocab = cluster.engines.getFirst().model().vocabSize();
    List<Object> bad = List.of("not an object", new JsonArray().add(1), new JsonObject().put("abc", 1),
        new JsonObject().put("-1", 1), new JsonObject().put("01", 1), new JsonObject().put("1.5", 1),
        new JsonObject().put("99999999999", 1), new JsonObject().put("1", 101), new JsonObject().put("1", "x"),
        new JsonObject().put("1", new JsonObject()), new JsonObject().put("1", false),
        new JsonObject().put(Integer.toString(vocab), -100));
    for (String path : List.of("/v1/generate", "/v1/completions")) {
      for (Object value : bad) {
        JsonObject error = post(path, new JsonObject().put("prompt", PROMPT).put("max_tokens", 2).put("stream", false)
            .put("logit_bias", value), 400).getJsonObject("error");
        assertThat(error.getString("param")).as("%s %s", path, value).isEqualTo("logit_bias");
      }
    }
    JsonObject error = overWebSocket(new JsonObject().put("prompt", PROMPT)
        .put("logit_bias", new JsonObject().put(Integer.toString(vocab), 1))).getLast();
    assertThat(error.getString("type")).isEqualTo("error");
    assertThat(error.getJsonObject("error").getString("param")).isEqualTo("logit_bias");
    assertThat(error.getJsonObject("error").getString("message")).contains("outside this model's vocabulary");
  }

  @Test
  void anySixtyFourBitSeedIsTakenAndMinusOneIsRandom() throws Exception {
    JsonObject sampled = new JsonObject().put("temperature", 1).put("max_tokens", 16);
    // -1: a random seed, reported, that repeats the run.
    JsonObject random = generate(sampled.copy().put("seed", -1));
    long used = random.getLong("seed");
    assertThat(used).isBetween(0L, 4_294_967_294L);
    assertThat(generate(sampled.copy().put("seed", used)).getString("text")).isEqualTo(random.getString("text"));
    // Other values fold into llama.cpp's 32 bits: v mod 4294967295.
    JsonObject seven = generate(sampled.copy().put("seed", 7));
    for (long seed : new long[] {7 + 4_294_967_295L, 7 - 4_294_967_295L}) {
      JsonObject folded = generate(sampled.copy().put("seed", seed));
      assertThat(folded.getLong("seed")).isEqualTo(7);
      assertThat(folded.getString("text")).isEqualTo(seven.getString("text"));
    }
    assertThat(generate(sampled.copy().put("seed", Long.MAX_VALUE)).getLong("seed"))
        .isEqualTo(Math.floorMod(Long.MAX_VALUE, 4_294_967_295L));
    assertThat(generate(sampled.copy().put("seed", Long.MIN_VALUE)).getLong("seed"))
        .isEqualTo(Math.floorMod(Long.MIN_VALUE, 4_294_967_295L));
    JsonObject chat = new JsonObject().put("messages", new JsonArray().add(new JsonObject().put("role", "user")
        .put("content", "Hi"))).put("max_tokens", 4).put("seed", -1);
    post("/v1/chat/completions", chat, 200);
    // Beyond 64 bits, or not an integer: 400.
    HttpResponse<String> tooBig = cluster.post("/v1/completions", "{\"prompt\":\"x\",\"seed\":9223372036854775808}");
    assertThat(tooBig.statusCode()).isEqualTo(400);
    assertThat(new JsonObject(tooBig.body()).getJsonObject("error").getString("param")).isEqualTo("seed");
    assertThat(post("/v1/generate", new JsonObject().put("prompt", "x").put("seed", 1.5), 400)
        .getJsonObject("error").getString("param")).isEqualTo("seed");
  }

  @Test
  void aPromptOfTokenIdsContinuesAsItsText() throws Exception {
    JsonArray ids = post("/v1/tokenize", new JsonObject().put("content", PROMPT).put("add_special", true), 200)
        .getJsonArray("tokens");
    String text = generate(new JsonObject()).getString("text");
    assertThat(post("/v1/generate", new JsonObject().put("prompt", ids).put("max_tokens", 12).put("temperature", 0)
        .put("stream", false), 200).getString("text")).isEqualTo(text);
    for (Object prompt : List.of(ids, new JsonArray().add(ids))) {
      JsonObject c = post("/v1/completions", new JsonObject().put("prompt", prompt).put("max_tokens", 12)
          .put("temperature", 0), 200);
      assertThat(c.getJsonArray("choices").getJsonObject(0).getString("text")).as("prompt %s", prompt).isEqualTo(text);
      assertThat(c.getJsonObject("usage").getInteger("prompt_tokens")).isEqualTo(ids.size());
    }
  }

  @Test
  void promptsTheRouteCannotTakeAreA400ThatSaysWhy() throws Exception {
    int vocab = cluster.engines.getFirst().model().vocabSize();
    record Case(Object prompt, String message) {}
    List<Case> cases = List.of(
        new Case(new JsonArray().add(1).add(vocab), "outside this model's vocabulary"),
        new Case(new JsonArray().add(1).add(-2), "token ids (integers from 0)"),
        new Case(new JsonArray().add(1).add(2.5), "token ids (integers from 0)"),
        new Case(new JsonArray().add(1).add("two"), "token ids (integers from 0)"),
        new Case(new JsonArray().add(new JsonArray().add(1)).add(new JsonArray().add(2)), "only one prompt"),
        new Case(new JsonArray().add("a").add("b"), "only one prompt"),
        new Case(new JsonArray(), "must not be empty"),
        new Case(new JsonArray().add(new JsonArray()), "must not be empty"));
    for (Case c : cases) {
      JsonObject error = post("/v1/completions", new JsonObject().put("prompt", c.prompt()).put("max_tokens", 2), 400)
          .getJsonObject("error");
      assertThat(error.getString("param")).as("%s", c.prompt()).isEqualTo("prompt");
      assertThat(error.getString("message")).as("%s", c.prompt()).contains(c.message());
    }
    JsonObject native_ = post("/v1/generate", new JsonObject().put("prompt", new JsonArray().add(vocab + 5)), 400);
    assertThat(native_.getJsonObject("error").getString("param")).isEqualTo("prompt");
  }

  @Test
  void suffixIsRefusedNamingIt() throws Exception {
    JsonObject error = post("/v1/completions", new JsonObject().put("prompt", PROMPT).put("suffix", " The end."), 400)
        .getJsonObject("error");
    assertThat(error.getString("param")).isEqualTo("suffix");
    assertThat(error.getString("message")).contains("suffix is not supported");
  }
}
