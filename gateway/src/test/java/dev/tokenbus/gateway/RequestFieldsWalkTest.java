package dev.tokenbus.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;
import static org.awaitility.Awaitility.await;

import dev.tokenbus.engine.EngineConfig;
import dev.tokenbus.engine.TestModels;
import dev.tokenbus.gateway.api.GenerateParameters;
import dev.tokenbus.gateway.api.ReasoningParameters;
import dev.tokenbus.gateway.api.openai.OpenAiRequest;
import dev.tokenbus.testing.JsonFrames;
import dev.tokenbus.testing.TestCluster;
import dev.tokenbus.worker.WorkerOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Nothing a route accepts is silently ignored: every request field the README documents for a route
 * (its tables, read here, so that a new row needs a probe) either changes what the route answers,
 * compared with the same request without it, or is refused with a 400 (a WebSocket error frame)
 * naming it. Each probe runs against the real engine on the generated chat model. The parsers are
 * watched while they read the probes' bodies, so a field they read but the README leaves out fails too.
 */
@Tag("engine")
@Tag("cluster")
class RequestFieldsWalkTest {

  private static final String MODEL = "tiny-chat";
  private static final Path README = Path.of(System.getProperty("basedir", "."), "..", "README.md");
  /** Fields of the WebSocket's generate frame beyond the native ones (README: {@code GET /v1/ws}). */
  private static final Set<String> WEBSOCKET_EXTRAS = Set.of("credit");

  private static TestCluster cluster;

  enum Route {
    GENERATE("/v1/generate"), WEBSOCKET("/v1/ws"), CHAT("/v1/chat/completions"), COMPLETIONS("/v1/completions");

    final String path;

    Route(String path) {
      this.path = path;
    }

    boolean openAi() {
      return this == CHAT || this == COMPLETIONS;
    }
  }

  /** What a request answered, reduced to what a client can observe of it (no ids, times or seeds). */
  record Outcome(JsonObject observable, long elapsedMs, int cachedTokens) {

    String errorParam() {
      JsonObject error = observable.getJsonObject("error");
      return error == null ? null : error.getString("param");
    }
  }

  /**
   * A field's probe: the same request without and with it; {@code effect} is what must differ
   * (default: everything observable), unless the answer with it is an error naming the field.
   */
  record Probe(JsonObject without, JsonObject with, Function<Outcome, Object> effect, boolean warmUp) {}

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

  // ---- the documented fields ----

  /** The fields of each route, from the README's two request tables. */
  static Map<Route, Set<String>> documented() throws Exception {
    List<String> lines = Files.readAllLines(README);
    Set<String> nativeFields = new TreeSet<>();
    Map<Route, Set<String>> openAi = Map.of(Route.CHAT, new TreeSet<>(), Route.COMPLETIONS, new TreeSet<>());
    String table = null;
    Pattern name = Pattern.compile("`([a-z_]+)(?:[.\\[][^`]*)?`( \\((chat|completions)\\))?");
    for (String line : lines) {
      if (line.startsWith("| field | type | default | meaning |")) {
        table = "native";
        continue;
      }
      if (line.startsWith("| field | routes | type | meaning |")) {
        table = "openai";
        continue;
      }
      if (!line.startsWith("|")) {
        table = null;
        continue;
      }
      if (table == null || line.startsWith("|---")) {
        continue;
      }
      String[] cells = line.split("\\|");
      Matcher m = name.matcher(cells[1]);
      while (m.find()) {
        if (table.equals("native")) {
          nativeFields.add(m.group(1));
        } else {
          String routes = m.group(3) != null ? m.group(3) : cells[2].trim();
          if (!routes.equals("completions")) {
            openAi.get(Route.CHAT).add(m.group(1));
          }
          if (!routes.equals("chat")) {
            openAi.get(Route.COMPLETIONS).add(m.group(1));
          }
        }
      }
    }
    assertThat(nativeFields).as("the README's Request parameters table").contains("prompt", "seed", "logit_bias");
    assertThat(openAi.get(Route.CHAT)).as("the README's OpenAI table").contains("messages", "tools");
    Map<Route, Set<String>> out = new TreeMap<>();
    out.put(Route.GENERATE, nativeFields);
    Set<String> ws = new TreeSet<>(nativeFields);
    ws.addAll(WEBSOCKET_EXTRAS);
    out.put(Route.WEBSOCKET, ws);
    // "The native fields of Request parameters work here too"; the prompt is each route's own.
    for (Route r : List.of(Route.CHAT, Route.COMPLETIONS)) {
      Set<String> fields = new TreeSet<>(nativeFields);
      fields.removeAll(Set.of("prompt", "messages"));
      fields.addAll(openAi.get(r));
      out.put(r, fields);
    }
    return out;
  }

  // ---- the probes ----

  private static JsonArray hello() {
    return new JsonArray().add(new JsonObject().put("role", "user").put("content", "Hello"));
  }

  private static JsonObject base(Route r) {
    return base(r, "prompt");
  }

  /** The route's plain request, its prompt given as {@code promptField} (native routes take either). */
  private static JsonObject base(Route r, String promptField) {
    JsonObject b = new JsonObject().put("max_tokens", 8).put("temperature", 0);
    if (r == Route.CHAT || promptField.equals("messages")) {
      b.put("messages", hello());
    } else {
      b.put("prompt", "Once upon a time");
    }
    if (r == Route.GENERATE) {
      b.put("stream", false);
    }
    return b;
  }

  /** A request that samples (temperature 1, seed 1), where a sampling field can show. */
  private static JsonObject sampled(Route r) {
    return base(r).put("temperature", 1).put("seed", 1).put("max_tokens", 16);
  }

  private static JsonObject tool() {
    return new JsonObject().put("type", "function").put("function", new JsonObject().put("name", "now")
        .put("parameters", new JsonObject().put("type", "object").put("properties", new JsonObject())));
  }

  private static Probe differs(JsonObject without, Consumer<JsonObject> add) {
    JsonObject with = without.copy();
    add.accept(with);
    return new Probe(without, with, Outcome::observable, false);
  }

  private static Probe differs(Route r, Consumer<JsonObject> add) {
    return differs(base(r), add);
  }

  private static Probe refused(Route r, String field, Object value) {
    return new Probe(base(r), base(r).put(field, value), Outcome::observable, false);
  }

  /** The probe of {@code field} on {@code r}, or a failure naming a documented field nothing probes. */
  static Probe probe(Route r, String field) {
    return switch (field) {
      // The route's own prompt field is required: without it, the request is refused.
      case "prompt", "messages" -> {
        JsonObject without = base(r, field);
        without.remove(field);
        yield new Probe(without, base(r, field), Outcome::observable, false);
      }
      case "stream" -> r == Route.WEBSOCKET ? refused(r, "stream", false) : differs(r, b -> b.put("stream", true));
      case "max_tokens" -> differs(r, b -> b.put("max_tokens", 3));
      case "max_completion_tokens" -> differs(r, b -> b.put("max_completion_tokens", 3));
      case "temperature" -> differs(base(r).put("seed", 1).put("max_tokens", 16), b -> b.put("temperature", 1.5));
      case "top_k" -> differs(sampled(r), b -> b.put("top_k", 1));
      case "top_p" -> differs(sampled(r), b -> b.put("top_p", 0.01));
      case "min_p" -> differs(sampled(r), b -> b.put("min_p", 1));
      case "seed" -> differs(sampled(r), b -> b.put("seed", 2));
      case "repeat_penalty" -> differs(base(r).put("max_tokens", 24), b -> b.put("repeat_penalty", 5));
      case "repeat_last_n" -> differs(base(r).put("max_tokens", 24).put("repeat_penalty", 5),
          b -> b.put("repeat_last_n", 0));
      case "frequency_penalty" -> differs(base(r).put("max_tokens", 24), b -> b.put("frequency_penalty", 2));
      case "presence_penalty" -> differs(base(r).put("max_tokens", 24), b -> b.put("presence_penalty", 2));
      // The first token of the greedy answer, as text: the answer stops before it.
      case "stop" -> differs(r, b -> b.put("stop", new JsonArray().add(" ").add("e").add("a").add("o")));
      case "stream_delay_ms" -> new Probe(base(r).put("max_tokens", 4), base(r).put("max_tokens", 4)
          .put("stream_delay_ms", 250), o -> o.elapsedMs() >= 600, false);
      // Flow control only: the text cannot change, but a window out of range is refused.
      case "buffer_size" -> refused(r, "buffer_size", 0);
      case "timeout_ms" -> differs(base(r).put("max_tokens", 64).put("stream_delay_ms", 20),
          b -> b.put("timeout_ms", 100));
      case "top_logprobs" -> switch (r) {
        case CHAT -> differs(base(r).put("logprobs", true), b -> b.put("top_logprobs", 3));
        case COMPLETIONS -> refused(r, "top_logprobs", 3);
        default -> differs(r, b -> b.put("top_logprobs", 3));
      };
      case "logprobs" -> differs(r, b -> b.put("logprobs", r == Route.CHAT ? (Object) true : (Object) 2));
      case "grammar" -> differs(r, b -> b.put("grammar", "root ::= \"yes\" | \"no\""));
      case "json_schema" -> differs(r, b -> b.put("json_schema", new JsonObject().put("type", "boolean")));
      case "response_format" -> differs(r, b -> b.put("response_format", new JsonObject().put("type", "json_schema")
          .put("json_schema", new JsonObject().put("name", "b").put("schema", new JsonObject().put("type", "boolean")))));
      // Reused cells show in usage.prompt_tokens_details.cached_tokens: a warmed-up prompt has some, unless refused.
      case "cache_prompt" -> new Probe(base(r), base(r).put("cache_prompt", false), o -> o.cachedTokens() > 0, true);
      case "model" -> differs(r, b -> b.put("model", "no-such-model"));
      case "logit_bias" -> differs(r, b -> b.put("logit_bias", greedyBan(r)));
      case "credit" -> differs(r, b -> b.put("credit", 2));
      case "n" -> refused(r, "n", 2);
      case "echo" -> refused(r, "echo", true);
      case "best_of" -> refused(r, "best_of", 2);
      case "suffix" -> refused(r, "suffix", "The end.");
      case "functions" -> refused(r, "functions", new JsonArray().add(tool().getJsonObject("function")));
      case "function_call" -> refused(r, "function_call", "auto");
      case "user" -> refused(r, "user", 7);
      case "stream_options" -> differs(base(r).put("stream", true),
          b -> b.put("stream_options", new JsonObject().put("include_usage", true)));
      case "tools" -> differs(r, b -> b.put("tools", new JsonArray().add(tool())));
      case "tool_choice" -> differs(base(r).put("tools", new JsonArray().add(tool())).put("max_tokens", 64),
          b -> b.put("tool_choice", "required"));
      case "parallel_tool_calls" -> differs(base(r).put("tools", new JsonArray().add(tool())).put("max_tokens", 64)
          .put("tool_choice", "required"), b -> b.put("parallel_tool_calls", "no"));
      // The walk's model has no thinking syntax: what these fields do shows in ReasoningRoutesTest; here, that
      // each is read (a value out of range is refused).
      case "chat_template_kwargs" -> refused(r, "chat_template_kwargs", new JsonObject().put("messages", 1));
      case "enable_thinking" -> refused(r, "enable_thinking", "yes");
      case "reasoning_effort" -> refused(r, "reasoning_effort", "bogus");
      case "reasoning_budget" -> refused(r, "reasoning_budget", -2);
      case "reasoning_format" -> refused(r, "reasoning_format", "bogus");
      default -> fail("the README documents " + field + " on " + r.path + " but no probe shows what it does");
    };
  }

  /** Every token of the route's greedy answer, each at -100. */
  private static JsonObject greedyBan(Route r) {
    JsonObject ask = new JsonObject().put("max_tokens", 8).put("temperature", 0).put("stream", false);
    if (r == Route.CHAT) {
      ask.put("messages", hello());
    } else {
      ask.put("prompt", "Once upon a time");
    }
    try {
      JsonObject answer = new JsonObject(cluster.post("/v1/generate", ask.encode()).body());
      JsonObject ban = new JsonObject();
      for (Object t : answer.getJsonArray("tokens")) {
        ban.put(Integer.toString(((JsonObject) t).getInteger("token_id")), -100);
      }
      return ban;
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  // ---- running a request ----

  static Outcome run(Route r, JsonObject body) throws Exception {
    long t0 = System.nanoTime();
    JsonObject o = r == Route.WEBSOCKET ? overWebSocket(body) : overHttp(r, body);
    long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
    int cached = o.getInteger("cached_tokens", 0);
    o.remove("cached_tokens");
    return new Outcome(o, ms, cached);
  }

  private static JsonObject overHttp(Route r, JsonObject body) throws Exception {
    HttpResponse<String> response = cluster.http.send(HttpRequest.newBuilder(cluster.uri(r.path))
        .timeout(Duration.ofSeconds(30)).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body.encode())).build(), HttpResponse.BodyHandlers.ofString());
    JsonObject o = new JsonObject().put("status", response.statusCode());
    boolean streamed = response.headers().firstValue("content-type").orElse("").startsWith("text/event-stream");
    o.put("streamed", streamed);
    if (response.statusCode() != 200) {
      o.put("error", new JsonObject(response.body()).getJsonObject("error").copy());
      o.getJsonObject("error").remove("message");
      return o;
    }
    List<JsonObject> events = new ArrayList<>();
    if (streamed) {
      for (String line : response.body().split("\n")) {
        if (line.startsWith("data: ") && !line.equals("data: [DONE]")) {
          events.add(new JsonObject(line.substring(6)));
        }
      }
    } else {
      events.add(new JsonObject(response.body()));
    }
    if (r == Route.GENERATE) {
      return nativeObservable(o, events.size() == 1 && !streamed ? events.getFirst().getJsonArray("tokens").stream()
          .map(JsonObject.class::cast).toList() : events.stream().filter(e -> e.containsKey("index")).toList(),
          streamed ? events.getLast() : events.getFirst());
    }
    StringBuilder text = new StringBuilder();
    JsonArray logprobs = new JsonArray();
    JsonArray toolCalls = new JsonArray();
    for (JsonObject e : events) {
      if (e.containsKey("usage") && e.getValue("usage") != null) {
        JsonObject usage = e.getJsonObject("usage");
        o.put("prompt_tokens", usage.getInteger("prompt_tokens")).put("completion_tokens",
            usage.getInteger("completion_tokens")).put("usage_chunk", streamed && e.getJsonArray("choices").isEmpty());
        JsonObject details = usage.getJsonObject("prompt_tokens_details");
        o.put("cached_tokens", details == null ? 0 : details.getInteger("cached_tokens", 0));
      }
      for (Object c : e.getJsonArray("choices")) {
        JsonObject choice = (JsonObject) c;
        JsonObject part = choice.getJsonObject(streamed ? "delta" : "message");
        if (part != null) {
          text.append(part.getString("content", ""));
          if (part.getJsonArray("tool_calls") != null) {
            part.getJsonArray("tool_calls").forEach(t -> toolCalls.add(withoutId((JsonObject) t)));
          }
        } else {
          text.append(choice.getString("text", ""));
        }
        if (choice.getValue("logprobs") != null) {
          logprobs.add(choice.getValue("logprobs"));
        }
        if (choice.getValue("finish_reason") != null) {
          o.put("finish", choice.getString("finish_reason"));
        }
      }
    }
    return o.put("text", text.toString()).put("logprobs", logprobs).put("tool_calls", toolCalls);
  }

  private static JsonObject withoutId(JsonObject call) {
    JsonObject c = call.copy();
    c.remove("id");
    return c;
  }

  /** Tokens (ids, logprob alternatives), text, finish reason and usage of a native answer. */
  private static JsonObject nativeObservable(JsonObject o, List<JsonObject> tokens, JsonObject end) {
    StringBuilder text = new StringBuilder();
    JsonArray ids = new JsonArray();
    JsonArray top = new JsonArray();
    for (JsonObject t : tokens) {
      text.append(t.getString("text", ""));
      ids.add(t.getInteger("token_id"));
      top.add(t.getJsonArray("top_logprobs") == null ? 0 : t.getJsonArray("top_logprobs").size());
    }
    o.put("text", text.toString()).put("ids", ids).put("top_logprobs", top);
    if (end != null && end.getValue("finish_reason") != null) {
      o.put("finish", end.getString("finish_reason"));
      JsonObject usage = end.getJsonObject("usage");
      o.put("prompt_tokens", usage.getInteger("prompt_tokens")).put("completion_tokens",
          usage.getInteger("completion_tokens"));
      o.put("cached_tokens", usage.getJsonObject("prompt_tokens_details").getInteger("cached_tokens"));
    }
    return o;
  }

  /** One generation over a WebSocket of its own: its frames until done or error, or until it pauses at its credit. */
  private static JsonObject overWebSocket(JsonObject body) throws Exception {
    List<JsonObject> frames = new CopyOnWriteArrayList<>();
    CompletableFuture<Void> ended = new CompletableFuture<>();
    WebSocket ws = cluster.http.newWebSocketBuilder().buildAsync(
        URI.create("ws://127.0.0.1:" + cluster.gateway.port() + "/v1/ws"), new JsonFrames(f -> {
          frames.add(f);
          if (!"token".equals(f.getString("type"))) {
            ended.complete(null);
          }
        })).get(10, TimeUnit.SECONDS);
    ws.sendText(body.copy().put("type", "generate").put("id", "g").encode(), true);
    List<JsonObject> seen = null;
    if (body.containsKey("credit")) {
      // A credited generation pauses at its credit: what it sent until then is what it answered;
      // granting the rest lets it end.
      await().atMost(Duration.ofSeconds(10)).until(() -> cluster.status().getJsonArray("streams").stream()
          .anyMatch(st -> "paused".equals(((JsonObject) st).getString("state"))));
      seen = List.copyOf(frames);
      ws.sendText(new JsonObject().put("type", "credit").put("id", "g").put("n", 1_000_000).encode(), true);
    }
    ended.get(20, TimeUnit.SECONDS);
    if (seen == null) {
      seen = List.copyOf(frames);
    }
    ws.sendClose(WebSocket.NORMAL_CLOSURE, "").get(5, TimeUnit.SECONDS);
    JsonObject o = new JsonObject().put("status", 200).put("streamed", true);
    JsonObject last = seen.isEmpty() ? null : seen.getLast();
    if (last != null && "error".equals(last.getString("type"))) {
      JsonObject error = last.getJsonObject("error").copy();
      error.remove("message");
      return o.put("status", 400).put("error", error);
    }
    return nativeObservable(o, seen.stream().filter(f -> "token".equals(f.getString("type"))).toList(),
        last != null && "done".equals(last.getString("type")) ? last : null);
  }

  // ---- the walk ----

  @Test
  void everyDocumentedFieldOfEveryRouteHasAnEffectOrIsRefused() throws Exception {
    List<String> failures = new ArrayList<>();
    int probes = 0;
    for (Map.Entry<Route, Set<String>> e : documented().entrySet()) {
      Route r = e.getKey();
      for (String field : e.getValue()) {
        Probe p = probe(r, field);
        probes++;
        if (p.warmUp()) {
          run(r, p.without());
        }
        Outcome without = run(r, p.without());
        Outcome with = run(r, p.with());
        boolean refused = field.equals(with.errorParam()) || (field.equals("stream_options")
            && "stream_options.include_usage".equals(with.errorParam()));
        boolean effect = !p.effect().apply(without).equals(p.effect().apply(with));
        if (!refused && !effect) {
          failures.add(r.path + " " + field + ": no effect and no 400; without: " + without.observable()
              + ", with: " + with.observable());
        }
        if (with.errorParam() != null && !refused && !field.equals("model")) {
          failures.add(r.path + " " + field + ": refused naming " + with.errorParam() + " " + with.observable());
        }
        try {
          cluster.awaitIdle(Duration.ofSeconds(10));
        } catch (org.awaitility.core.ConditionTimeoutException stuck) {
          failures.add(r.path + " " + field + ": left a generation behind: " + cluster.status());
        }
      }
    }
    assertThat(failures).as("fields accepted and ignored").isEmpty();
    assertThat(probes).isGreaterThan(90);
  }

  /** A body that notes which of its top-level fields a parser read. */
  static final class ReadKeys extends JsonObject {
    final Set<String> read = new TreeSet<>();

    ReadKeys(JsonObject body) {
      super(body.copy().getMap());
    }

    @Override
    public Object getValue(String key) {
      read.add(key);
      return super.getValue(key);
    }

    @Override
    public String getString(String key) {
      read.add(key);
      return super.getString(key);
    }

    @Override
    public JsonObject getJsonObject(String key) {
      read.add(key);
      return super.getJsonObject(key);
    }

    @Override
    public JsonArray getJsonArray(String key) {
      read.add(key);
      return super.getJsonArray(key);
    }

    @Override
    public Boolean getBoolean(String key) {
      read.add(key);
      return super.getBoolean(key);
    }

    @Override
    public Integer getInteger(String key) {
      read.add(key);
      return super.getInteger(key);
    }

    @Override
    public boolean containsKey(String key) {
      read.add(key);
      return super.containsKey(key);
    }
  }

  @Test
  void everyFieldTheParsersReadIsDocumentedAndEveryDocumentedOneIsRead() throws Exception {
    for (Map.Entry<Route, Set<String>> e : documented().entrySet()) {
      Route r = e.getKey();
      Set<String> read = new TreeSet<>();
      for (String field : e.getValue()) {
        Probe p = probe(r, field);
        for (JsonObject body : List.of(p.without(), p.with())) {
          ReadKeys keys = new ReadKeys(body);
          try {
            switch (r) {
              case GENERATE, WEBSOCKET -> GenerateParameters.parse(keys);
              case CHAT -> OpenAiRequest.chat(keys, ReasoningParameters.Defaults.standard());
              case COMPLETIONS -> OpenAiRequest.completion(keys, ReasoningParameters.Defaults.standard());
            }
          } catch (RuntimeException refused) {
            // a refused field was read too
          }
          read.addAll(keys.read);
        }
      }
      Set<String> documentedAndEnvelope = new TreeSet<>(e.getValue());
      assertThat(read).as("fields %s reads that the README does not document", r.path)
          .isSubsetOf(documentedAndEnvelope);
      Set<String> notRead = new TreeSet<>(e.getValue());
      notRead.removeAll(read);
      // The WebSocket session itself reads credit; the model is read by the route to pick workers.
      notRead.removeAll(WEBSOCKET_EXTRAS);
      assertThat(notRead).as("documented fields the parser of %s never reads", r.path).isEmpty();
    }
  }
}
