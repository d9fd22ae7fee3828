package dev.tokenbus.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenbus.engine.EngineConfig;
import dev.tokenbus.engine.TestModels;
import dev.tokenbus.gateway.grammar.SchemaCheck;
import dev.tokenbus.testing.Sse;
import dev.tokenbus.testing.TestCluster;
import dev.tokenbus.worker.WorkerOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Anthropic's Messages API on a gateway and a worker running the generated tiny chat model: text
 * (forced with a grammar) whole and streamed in Anthropic's event sequence, the limits and stop
 * sequences as stop reasons, a grammar-constrained tool call ({@code tool_choice} any or tool) as
 * a {@code tool_use} block whole and streamed, then its {@code tool_result} turn; the prompt's
 * tokens counted by {@code count_tokens} as the generation counts them, the prefix cache as
 * {@code cache_read_input_tokens}; keys as {@code x-api-key} or bearer tokens, and errors in
 * Anthropic's shape.
 */
@Tag("engine")
@Tag("cluster")
class AnthropicMessagesRoutesTest {

  static final String KEY = "sk-ant-messages";
  static final String MODEL = "tiny-chat";
  /** Short, so that a slowed stream gets pings between its tokens. */
  static final long KEEP_ALIVE_MS = 150;
  static final JsonObject WEATHER = new JsonObject("""
      {"type":"object","properties":{"city":{"type":"string","maxLength":12}},"required":["city"],
       "additionalProperties":false}""");
  static final JsonObject SEARCH = new JsonObject("""
      {"type":"object","properties":{"query":{"type":"string","maxLength":12}},"required":["query"],
       "additionalProperties":false}""");
  private static TestCluster cluster;

  @BeforeAll
  static void start() throws Exception {
    cluster = TestCluster.start(1, EngineConfig.forModel(TestModels.tinyChat()).withThreads(1).withSlots(2)
        .withContextPerSequence(2048), GatewayOptions.defaults().withApiKeys(Set.of(KEY)).withKeepAliveMs(KEEP_ALIVE_MS),
        WorkerOptions.defaults(MODEL));
  }

  @AfterAll
  static void stop() {
    if (cluster != null) {
      cluster.close();
    }
  }

  static JsonObject ask(String user) {
    return new JsonObject().put("model", MODEL).put("max_tokens", 64).put("temperature", 0)
        .put("messages", new JsonArray().add(new JsonObject().put("role", "user").put("content", user)));
  }

  static String forced(String text) {
    return "root ::= \"" + text + "\"";
  }

  static JsonObject tool(String name, Object schema) {
    return new JsonObject().put("name", name).put("input_schema", schema);
  }

  static JsonArray tools() {
    return new JsonArray()
        .add(new JsonObject().put("name", "get_weather").put("description", "The weather in a city")
            .put("input_schema", WEATHER))
        .add(new JsonObject().put("name", "search").put("input_schema", SEARCH));
  }

  static HttpResponse<String> post(String path, JsonObject body, String... headers) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(cluster.uri(path)).timeout(Duration.ofSeconds(60))
        .header("Content-Type", "application/json").header("anthropic-version", "2023-06-01")
        .POST(HttpRequest.BodyPublishers.ofString(body.encode()));
    if (headers.length == 0) {
      b.header("x-api-key", KEY);
    }
    for (int i = 0; i < headers.length; i += 2) {
      b.header(headers[i], headers[i + 1]);
    }
    return cluster.http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  static JsonObject message(JsonObject body) throws Exception {
    HttpResponse<String> r = post("/v1/messages", body);
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    assertThat(r.headers().firstValue("content-type")).hasValueSatisfying(v -> assertThat(v).startsWith("application/json"));
    return new JsonObject(r.body());
  }

  /** A streamed message's events, in order, with the SSE event name checked against the data's type. */
  static List<Sse.Event> stream(JsonObject body) throws Exception {
    HttpResponse<InputStream> r = cluster.http.send(HttpRequest.newBuilder(cluster.uri("/v1/messages"))
        .timeout(Duration.ofSeconds(60)).header("Content-Type", "application/json").header("x-api-key", KEY)
        .POST(HttpRequest.BodyPublishers.ofString(body.copy().put("stream", true).encode())).build(),
        HttpResponse.BodyHandlers.ofInputStream());
    try (BufferedReader in = new BufferedReader(new InputStreamReader(r.body(), StandardCharsets.UTF_8))) {
      assertThat(r.statusCode()).isEqualTo(200);
      assertThat(r.headers().firstValue("content-type")).hasValueSatisfying(v -> assertThat(v).startsWith("text/event-stream"));
      List<Sse.Event> events = new Sse(in).all();
      for (Sse.Event e : events) {
        assertThat(e.data().getString("type")).as("each event's data names its event").isEqualTo(e.event());
      }
      return events;
    }
  }

  /** The events' names, the keep-alive pings after the first left out. */
  static List<String> names(List<Sse.Event> events) {
    List<String> names = new ArrayList<>();
    for (Sse.Event e : events) {
      if (!e.event().equals("ping") || names.size() == 1) {
        names.add(e.event());
      }
    }
    return names;
  }

  /** The text of a stream's text_delta events. */
  static String streamedText(List<Sse.Event> events) {
    StringBuilder text = new StringBuilder();
    for (Sse.Event e : events) {
      JsonObject delta = e.data().getJsonObject("delta");
      if (e.event().equals("content_block_delta") && delta.getString("type").equals("text_delta")) {
        text.append(delta.getString("text"));
      }
    }
    return text.toString();
  }

  static JsonObject last(List<Sse.Event> events, String name) {
    return events.stream().filter(e -> e.event().equals(name)).reduce((a, b) -> b).orElseThrow().data();
  }

  @Test
  void aWholeMessageHasItsTextBlockStopReasonAndUsage() throws Exception {
    JsonObject m = message(ask("Say hello").put("grammar", forced("Hello there")));
    assertThat(m.getString("id")).startsWith("msg_");
    assertThat(m.getString("type")).isEqualTo("message");
    assertThat(m.getString("role")).isEqualTo("assistant");
    assertThat(m.getString("model")).isEqualTo(MODEL);
    assertThat(m.getJsonArray("content")).containsExactly(new JsonObject().put("type", "text").put("text", "Hello there"));
    assertThat(m.getString("stop_reason")).isEqualTo("end_turn");
    assertThat(m.getValue("stop_sequence")).isNull();
    JsonObject usage = m.getJsonObject("usage");
    assertThat(usage.getInteger("input_tokens") + usage.getInteger("cache_read_input_tokens")).isPositive();
    assertThat(usage.getInteger("output_tokens")).isPositive();
    assertThat(usage.getInteger("cache_creation_input_tokens")).isZero();
  }

  @Test
  void aStreamedMessageFollowsAnthropicsEventSequence() throws Exception {
    List<Sse.Event> events = stream(ask("Say hello").put("grammar", forced("Hello there")));
    List<String> names = names(events);
    assertThat(names.subList(0, 3)).containsExactly("message_start", "ping", "content_block_start");
    assertThat(names.subList(names.size() - 3, names.size()))
        .containsExactly("content_block_stop", "message_delta", "message_stop");
    assertThat(names.subList(3, names.size() - 3)).isNotEmpty().allMatch("content_block_delta"::equals);

    JsonObject started = events.getFirst().data().getJsonObject("message");
    assertThat(started.getString("id")).startsWith("msg_");
    assertThat(started.getString("model")).isEqualTo(MODEL);
    assertThat(started.getJsonArray("content")).isEmpty();
    assertThat(started.getValue("stop_reason")).isNull();
    assertThat(started.getJsonObject("usage").getInteger("input_tokens")).isPositive();
    assertThat(events.get(2).data()).isEqualTo(new JsonObject().put("type", "content_block_start").put("index", 0)
        .put("content_block", new JsonObject().put("type", "text").put("text", "")));
    assertThat(streamedText(events)).isEqualTo("Hello there");

    JsonObject delta = last(events, "message_delta");
    assertThat(delta.getJsonObject("delta").getString("stop_reason")).isEqualTo("end_turn");
    assertThat(delta.getJsonObject("delta").getValue("stop_sequence")).isNull();
    JsonObject whole = message(ask("Say hello").put("grammar", forced("Hello there")));
    assertThat(delta.getJsonObject("usage").getInteger("output_tokens"))
        .isEqualTo(whole.getJsonObject("usage").getInteger("output_tokens"));
  }

  @Test
  void aSlowStreamIsKeptAliveWithPingEvents() throws Exception {
    List<Sse.Event> events = stream(ask("Say hello").put("grammar", forced("Hi you")).put("stream_delay_ms",
        4 * KEEP_ALIVE_MS));
    List<String> all = events.stream().map(Sse.Event::event).toList();
    int firstDelta = all.indexOf("content_block_delta");
    assertThat(all.subList(firstDelta, all.size())).as(all.toString()).contains("ping");
    assertThat(all.stream().filter("ping"::equals).count()).as(all.toString()).isGreaterThanOrEqualTo(3);
    assertThat(streamedText(events)).isEqualTo("Hi you");
    assertThat(names(events)).startsWith("message_start", "ping", "content_block_start")
        .endsWith("content_block_stop", "message_delta", "message_stop");
  }

  @Test
  void maxTokensAndStopSequencesAreStopReasons() throws Exception {
    JsonObject cut = message(ask("Tell a story").put("max_tokens", 3));
    assertThat(cut.getString("stop_reason")).isEqualTo("max_tokens");
    assertThat(cut.getJsonObject("usage").getInteger("output_tokens")).isEqualTo(3);

    JsonObject body = ask("Say hello").put("grammar", forced("Hello there friend"))
        .put("stop_sequences", new JsonArray().add("zzz").add("there"));
    JsonObject stopped = message(body);
    assertThat(stopped.getJsonArray("content").getJsonObject(0).getString("text")).isEqualTo("Hello ");
    assertThat(stopped.getString("stop_reason")).isEqualTo("stop_sequence");
    assertThat(stopped.getString("stop_sequence")).isEqualTo("there");

    List<Sse.Event> events = stream(body);
    assertThat(streamedText(events)).isEqualTo("Hello ");
    JsonObject delta = last(events, "message_delta").getJsonObject("delta");
    assertThat(delta.getString("stop_reason")).isEqualTo("stop_sequence");
    assertThat(delta.getString("stop_sequence")).isEqualTo("there");
  }

  @Test
  void aRequiredToolCallIsAToolUseBlockWholeAndStreamedAndItsResultIsTaken() throws Exception {
    JsonObject body = ask("What is the weather in Paris?").put("max_tokens", 200).put("tools", tools())
        .put("tool_choice", new JsonObject().put("type", "any").put("disable_parallel_tool_use", true));
    JsonObject m = message(body);
    assertThat(m.getString("stop_reason")).isEqualTo("tool_use");
    JsonArray content = m.getJsonArray("content");
    assertThat(content).hasSize(1);
    JsonObject call = content.getJsonObject(0);
    assertThat(call.getString("type")).isEqualTo("tool_use");
    assertThat(call.getString("id")).matches("toolu_[a-zA-Z0-9]+");
    assertThat(call.getString("name")).isIn("get_weather", "search");
    JsonObject input = call.getJsonObject("input");
    JsonObject schema = call.getString("name").equals("search") ? SEARCH : WEATHER;
    assertThat(SchemaCheck.errors(schema, input.encode())).as(input.encode()).isEmpty();

    // Streamed: one tool_use block, opened with its id and name, its input as input_json_delta fragments.
    List<Sse.Event> events = stream(body);
    List<JsonObject> starts = events.stream().filter(e -> e.event().equals("content_block_start"))
        .map(e -> e.data().getJsonObject("content_block")).toList();
    assertThat(starts).hasSize(1);
    assertThat(starts.getFirst().getString("type")).isEqualTo("tool_use");
    assertThat(starts.getFirst().getString("id")).matches("toolu_[a-zA-Z0-9]+");
    assertThat(starts.getFirst().getString("name")).isEqualTo(call.getString("name"));
    assertThat(starts.getFirst().getJsonObject("input")).isEmpty();
    StringBuilder partial = new StringBuilder();
    for (Sse.Event e : events) {
      if (e.event().equals("content_block_delta")) {
        assertThat(e.data().getJsonObject("delta").getString("type")).isEqualTo("input_json_delta");
        partial.append(e.data().getJsonObject("delta").getString("partial_json"));
      }
    }
    assertThat(new JsonObject(partial.toString())).as("the same input as the whole answer").isEqualTo(input);
    assertThat(last(events, "message_delta").getJsonObject("delta").getString("stop_reason")).isEqualTo("tool_use");

    // A named tool: that one is called.
    JsonObject named = message(body.copy().put("tool_choice", new JsonObject().put("type", "tool").put("name", "search")));
    assertThat(named.getJsonArray("content").getJsonObject(0).getString("name")).isEqualTo("search");

    // The result goes back as a tool_result turn; the answer after it is text.
    JsonArray turns = body.getJsonArray("messages").copy()
        .add(new JsonObject().put("role", "assistant").put("content", new JsonArray().add(call)))
        .add(new JsonObject().put("role", "user").put("content", new JsonArray()
            .add(new JsonObject().put("type", "tool_result").put("tool_use_id", call.getString("id"))
                .put("content", new JsonArray().add(new JsonObject().put("type", "text").put("text", "18 C, sunny"))))
            .add(new JsonObject().put("type", "text").put("text", "Thanks. Sum it up."))));
    JsonObject next = ask("").put("messages", turns).put("tools", tools())
        .put("tool_choice", new JsonObject().put("type", "none")).put("grammar", forced("It is sunny."));
    JsonObject answer = message(next);
    assertThat(answer.getJsonArray("content")).containsExactly(new JsonObject().put("type", "text")
        .put("text", "It is sunny."));
    assertThat(answer.getString("stop_reason")).isEqualTo("end_turn");
    // The result and the call are in the prompt: it is longer than the conversation without them.
    JsonObject usage = answer.getJsonObject("usage");
    int prompt = usage.getInteger("input_tokens") + usage.getInteger("cache_read_input_tokens");
    assertThat(prompt).isEqualTo(count(next));
    assertThat(prompt).isGreaterThan(count(ask("What is the weather in Paris?").put("messages",
        new JsonArray().addAll(body.getJsonArray("messages")).add(new JsonObject().put("role", "user")
            .put("content", "Thanks. Sum it up.")))) + 5);
  }

  static int count(JsonObject body) throws Exception {
    JsonObject b = body.copy();
    b.remove("max_tokens");
    HttpResponse<String> r = post("/v1/messages/count_tokens", b);
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    JsonObject counted = new JsonObject(r.body());
    assertThat(counted.fieldNames()).containsExactly("input_tokens");
    return counted.getInteger("input_tokens");
  }

  @Test
  void countTokensCountsThePromptAsTheGenerationDoesToolsAndSystemIncluded() throws Exception {
    JsonObject body = ask("What is the weather in Paris?").put("system", new JsonArray()
        .add(new JsonObject().put("type", "text").put("text", "You are terse.")));
    JsonObject m = message(body.copy().put("max_tokens", 2));
    JsonObject usage = m.getJsonObject("usage");
    int counted = count(body);
    assertThat(counted).isEqualTo(usage.getInteger("input_tokens") + usage.getInteger("cache_read_input_tokens"));
    assertThat(count(body.copy().put("tools", tools()))).as("tools are part of the prompt").isGreaterThan(counted);
    assertThat(count(ask("What is the weather in Paris?"))).as("so is the system prompt").isLessThan(counted);
  }

  @Test
  void aRepeatedPromptIsReadFromThePrefixCache() throws Exception {
    JsonObject body = ask("Tell me about the weather in town. ".repeat(40)).put("max_tokens", 4);
    JsonObject first = message(body).getJsonObject("usage");
    cluster.awaitIdle(Duration.ofSeconds(10));
    JsonObject second = message(body).getJsonObject("usage");
    int prompt = first.getInteger("input_tokens") + first.getInteger("cache_read_input_tokens");
    assertThat(second.getInteger("cache_read_input_tokens")).isGreaterThan(prompt / 2);
    assertThat(second.getInteger("input_tokens") + second.getInteger("cache_read_input_tokens")).isEqualTo(prompt);
  }

  @Test
  void keysAreTakenAsXApiKeyOrBearerAndRefusalsTakeAnthropicsShape() throws Exception {
    JsonObject body = ask("Say hello").put("max_tokens", 2);
    assertThat(post("/v1/messages", body, "Authorization", "Bearer " + KEY).statusCode()).isEqualTo(200);
    assertThat(post("/v1/messages", body, "x-api-key", KEY).statusCode()).isEqualTo(200);
    assertThat(post("/v1/chat/completions", body, "x-api-key", KEY).statusCode()).as("every route takes it")
        .isEqualTo(200);

    assertAnthropicError(post("/v1/messages", body, "x-api-key", "sk-wrong"), 401, "authentication_error");
    assertAnthropicError(post("/v1/messages", body, "anthropic-version", "2023-06-01"), 401, "authentication_error");
    assertAnthropicError(post("/v1/messages/count_tokens", body, "x-api-key", "sk-wrong"), 401,
        "authentication_error");
    // The OpenAI routes keep OpenAI's shape.
    HttpResponse<String> openAi = post("/v1/chat/completions", body, "x-api-key", "sk-wrong");
    assertThat(openAi.statusCode()).isEqualTo(401);
    assertThat(new JsonObject(openAi.body()).getJsonObject("error").getString("code")).isEqualTo("invalid_api_key");
  }

  @Test
  void badRequestsGetAnthropicsErrorShapeNamingWhatIsWrong() throws Exception {
    JsonObject image = ask("x").put("messages", new JsonArray().add(new JsonObject().put("role", "user")
        .put("content", new JsonArray().add(new JsonObject().put("type", "image").put("source",
            new JsonObject().put("type", "base64").put("media_type", "image/png").put("data", "iVBORw0KGgo="))))));
    assertThat(assertAnthropicError(post("/v1/messages", image), 400, "invalid_request_error"))
        .contains("messages[0].content[0]", "image", "text only");
    JsonObject noLimit = ask("x");
    noLimit.remove("max_tokens");
    assertThat(assertAnthropicError(post("/v1/messages", noLimit), 400, "invalid_request_error"))
        .contains("max_tokens is required");
    assertThat(assertAnthropicError(post("/v1/messages", ask("x").put("max_tokens", 0)), 400, "invalid_request_error"))
        .contains("max_tokens");
    assertThat(assertAnthropicError(post("/v1/messages", ask("x").put("model", "no-such-model")), 404,
        "not_found_error")).contains("no-such-model");
    assertThat(assertAnthropicError(post("/v1/messages", ask("x").put("tool_choice",
        new JsonObject().put("type", "tool").put("name", "absent")).put("tools", tools())), 400,
        "invalid_request_error")).contains("absent");
    assertThat(assertAnthropicError(post("/v1/messages", ask("x").put("messages", new JsonArray()
        .add(new JsonObject().put("role", "system").put("content", "x")))), 400, "invalid_request_error"))
        .contains("messages[0].role");
    JsonArray falseSchema = new JsonArray().add(tool("never", new JsonObject().put("type", "object")
        .put("properties", new JsonObject().put("a", false)).put("required", new JsonArray().add("a"))));
    assertThat(assertAnthropicError(post("/v1/messages", ask("x").put("tools", falseSchema)
        .put("tool_choice", new JsonObject().put("type", "any"))), 400, "invalid_request_error"))
        .as("a schema that cannot be enforced is named as the request names it").contains("tools[0].input_schema");
    HttpResponse<String> notJson = cluster.http.send(HttpRequest.newBuilder(cluster.uri("/v1/messages"))
        .header("x-api-key", KEY).POST(HttpRequest.BodyPublishers.ofString("{\"messages\":")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertAnthropicError(notJson, 400, "invalid_request_error");
  }

  /** Asserts the status and {@code {"type":"error","error":{"type","message"}}}; returns the message. */
  static String assertAnthropicError(HttpResponse<String> r, int status, String type) {
    assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
    JsonObject body = new JsonObject(r.body());
    assertThat(body.fieldNames()).containsExactlyInAnyOrder("type", "error");
    assertThat(body.getString("type")).isEqualTo("error");
    assertThat(body.getJsonObject("error").fieldNames()).containsExactlyInAnyOrder("type", "message");
    assertThat(body.getJsonObject("error").getString("type")).isEqualTo(type);
    return body.getJsonObject("error").getString("message");
  }

  @Test
  void thinkingBlocksOfEarlierTurnsAreAcceptedAndLeftOutOfThePrompt() throws Exception {
    JsonArray plain = new JsonArray().add(new JsonObject().put("role", "user").put("content", "Hi"))
        .add(new JsonObject().put("role", "assistant").put("content", "Hello"))
        .add(new JsonObject().put("role", "user").put("content", "Again"));
    JsonArray withThinking = plain.copy();
    withThinking.getJsonObject(1).put("content", new JsonArray()
        .add(new JsonObject().put("type", "thinking").put("thinking", "They greet me.").put("signature", "sig"))
        .add(new JsonObject().put("type", "redacted_thinking").put("data", "opaque"))
        .add(new JsonObject().put("type", "text").put("text", "Hello")));
    List<Integer> counts = new ArrayList<>();
    for (JsonArray messages : List.of(plain, withThinking)) {
      counts.add(count(ask("").put("messages", messages)));
    }
    assertThat(counts.get(1)).isEqualTo(counts.get(0));
  }
}
