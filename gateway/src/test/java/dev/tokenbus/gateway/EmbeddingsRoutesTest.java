package dev.tokenbus.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.tokenbus.engine.EngineConfig;
import dev.tokenbus.engine.LlamaEngine;
import dev.tokenbus.engine.TestModels;
import dev.tokenbus.testing.TestCluster;
import dev.tokenbus.worker.WorkerOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** POST /v1/embeddings end to end: gateway, event bus, a worker's embedding context on the tiny model. */
@Tag("engine")
@Tag("cluster")
class EmbeddingsRoutesTest {

  private static final int CONTEXT = 256;
  private static TestCluster cluster;
  private static LlamaEngine engine;

  @BeforeAll
  static void start() throws Exception {
    cluster = TestCluster.start(1, EngineConfig.forModel(TestModels.tiny()).withThreads(1).withSlots(2)
        .withContextPerSequence(CONTEXT), GatewayOptions.defaults(), WorkerOptions.defaults("tiny"));
    engine = cluster.engines.getFirst();
  }

  @AfterAll
  static void stop() {
    if (cluster != null) {
      cluster.close();
    }
  }

  private static JsonObject ok(JsonObject body) throws Exception {
    HttpResponse<String> r = cluster.post("/v1/embeddings", body.encode());
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    assertThat(r.headers().firstValue("Content-Type")).hasValue("application/json");
    return new JsonObject(r.body());
  }

  private static JsonObject error(JsonObject body, int status) throws Exception {
    HttpResponse<String> r = cluster.post("/v1/embeddings", body.encode());
    assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
    return new JsonObject(r.body()).getJsonObject("error");
  }

  private static float[] vector(JsonObject item) {
    Object e = item.getValue("embedding");
    if (e instanceof String b64) {
      ByteBuffer bytes = ByteBuffer.wrap(Base64.getDecoder().decode(b64)).order(ByteOrder.LITTLE_ENDIAN);
      float[] v = new float[bytes.remaining() / Float.BYTES];
      bytes.asFloatBuffer().get(v);
      return v;
    }
    JsonArray a = (JsonArray) e;
    float[] v = new float[a.size()];
    for (int i = 0; i < v.length; i++) {
      v[i] = a.getNumber(i).floatValue();
    }
    return v;
  }

  private static List<float[]> vectors(JsonObject answer) {
    JsonArray data = answer.getJsonArray("data");
    List<float[]> out = new ArrayList<>();
    for (int i = 0; i < data.size(); i++) {
      JsonObject item = data.getJsonObject(i);
      assertThat(item.getString("object")).isEqualTo("embedding");
      assertThat(item.getInteger("index")).isEqualTo(i);
      out.add(vector(item));
    }
    return out;
  }

  private static int tokens(String text) {
    return engine.tokenize(text, true, false).length;
  }

  private static JsonArray ids(String text) {
    JsonArray a = new JsonArray();
    for (int t : engine.tokenize(text, true, false)) {
      a.add(t);
    }
    return a;
  }

  @Test
  void aStringGivesOneUnitVectorOfTheModelsWidthWithItsUsage() throws Exception {
    String text = "The quick brown fox";
    JsonObject answer = ok(new JsonObject().put("model", "tiny").put("input", text).put("user", "someone"));
    assertThat(answer.getString("object")).isEqualTo("list");
    assertThat(answer.getString("model")).isEqualTo("tiny");
    assertThat(answer.getJsonObject("usage"))
        .isEqualTo(new JsonObject().put("prompt_tokens", tokens(text)).put("total_tokens", tokens(text)));
    List<float[]> v = vectors(answer);
    assertThat(v).hasSize(1);
    assertThat(v.getFirst()).hasSize(engine.embedder().orElseThrow().dimensions());
    double norm = 0;
    for (float x : v.getFirst()) {
      norm += x * x;
    }
    assertThat(Math.sqrt(norm)).isCloseTo(1.0, within(1e-5));
    // Without a model: the one served.
    assertThat(ok(new JsonObject().put("input", text)).getString("model")).isEqualTo("tiny");
  }

  @Test
  void allFourInputFormsGiveTheSameVectorsForTheSameTokens() throws Exception {
    List<String> texts = List.of("first input", "a second, somewhat longer input", "third");
    List<float[]> singles = new ArrayList<>();
    for (String t : texts) {
      singles.add(vectors(ok(new JsonObject().put("input", t))).getFirst());
    }
    JsonObject strings = ok(new JsonObject().put("input", new JsonArray(texts)));
    int total = texts.stream().mapToInt(EmbeddingsRoutesTest::tokens).sum();
    assertThat(strings.getJsonObject("usage").getInteger("prompt_tokens")).isEqualTo(total);
    JsonObject tokenArrays = ok(new JsonObject().put("input", new JsonArray(texts.stream().map(
        EmbeddingsRoutesTest::ids).toList())));
    List<float[]> fromStrings = vectors(strings);
    List<float[]> fromTokens = vectors(tokenArrays);
    for (int i = 0; i < texts.size(); i++) {
      assertThat(fromStrings.get(i)).as("input %d in a batch", i).containsExactly(singles.get(i), within(1e-4f));
      assertThat(fromTokens.get(i)).as("token ids of input %d", i).containsExactly(fromStrings.get(i));
    }
    float[] oneTokenArray = vectors(ok(new JsonObject().put("input", ids(texts.get(1))))).getFirst();
    assertThat(oneTokenArray).containsExactly(singles.get(1));
    assertThat(fromStrings.get(0)).isNotEqualTo(fromStrings.get(1));
  }

  @Test
  void base64IsTheLittleEndianFloat32OfTheSameVector() throws Exception {
    JsonObject body = new JsonObject().put("input", new JsonArray().add("alpha").add("beta"));
    List<float[]> floats = vectors(ok(body.copy().put("encoding_format", "float")));
    JsonObject b64 = ok(body.copy().put("encoding_format", "base64"));
    assertThat(b64.getJsonArray("data").getJsonObject(0).getValue("embedding")).isInstanceOf(String.class);
    List<float[]> decoded = vectors(b64);
    for (int i = 0; i < floats.size(); i++) {
      assertThat(decoded.get(i)).containsExactly(floats.get(i));
    }
  }

  @Test
  void dimensionsAreTakenOnlyWhenTheyAreTheModelsSize() throws Exception {
    int dims = engine.embedder().orElseThrow().dimensions();
    assertThat(vectors(ok(new JsonObject().put("input", "x").put("dimensions", dims))).getFirst()).hasSize(dims);
    JsonObject e = error(new JsonObject().put("input", "x").put("dimensions", dims / 2), 400);
    assertThat(e.getString("param")).isEqualTo("dimensions");
    assertThat(e.getString("message")).contains(dims + " dimensions");
  }

  @Test
  void badInputsAreRefusedWithTheirParameter() throws Exception {
    String tooLong = "many words in a row ".repeat(CONTEXT);
    Object[][] cases = {
        {"", "input"}, {new JsonArray(), "input"}, {new JsonArray().add("a").add(""), "input[1]"},
        {42, "input"}, {new JsonObject(), "input"}, {new JsonArray().add("a").add(1), "input[1]"},
        {new JsonArray().add(new JsonArray().add(1)).add("a"), "input[1]"}, {new JsonArray().add(1.5), "input"},
        {new JsonArray().add(-1), "input"}, {new JsonArray().add(new JsonArray()), "input[0]"},
        {new JsonArray().add(new JsonArray().add(new JsonArray().add(1))), "input[0]"},
        {new JsonArray().add(engine.model().vocabSize()), "input"}, {tooLong, "input"},
        {new JsonArray().add("ok").add(tooLong), "input[1]"},
    };
    for (Object[] c : cases) {
      JsonObject e = error(new JsonObject().put("input", c[0]), 400);
      assertThat(e.getString("type")).as("%s", c[0]).isEqualTo("invalid_request_error");
      assertThat(e.getString("param")).as("%s", c[0]).isEqualTo(c[1]);
    }
    assertThat(error(new JsonObject().put("input", tooLong), 400).getString("message")).contains("tokens");
    assertThat(error(new JsonObject().put("input", "x").put("encoding_format", "int8"), 400).getString("param"))
        .isEqualTo("encoding_format");
    assertThat(error(new JsonObject().put("input", "x").put("user", 5), 400).getString("param")).isEqualTo("user");
    JsonArray many = new JsonArray();
    for (int i = 0; i <= 2048; i++) {
      many.add("a");
    }
    assertThat(error(new JsonObject().put("input", many), 400).getString("message")).contains("2048");
    JsonObject unknown = error(new JsonObject().put("model", "no-such-model").put("input", "x"), 404);
    assertThat(unknown.getString("code")).isEqualTo("model_not_found");
  }

  @Test
  void generationKeepsStreamingWhileEmbeddingsAreComputed() throws Exception {
    HttpClient http = HttpClient.newHttpClient();
    // Greedy: a sampled end of text could end the stream before the first embedding request. Paced at 5 ms a
    // token: unpaced, the tiny model's 240 tokens can all arrive (in a few batched messages) before it is sent.
    String body = new JsonObject().put("prompt", "Once upon a time").put("max_tokens", CONTEXT - 16)
        .put("temperature", 0).put("stream_delay_ms", 5).put("stream", true).encode();
    AtomicInteger streamed = new AtomicInteger();
    CompletableFuture<HttpResponse<Stream<String>>> response = http.sendAsync(HttpRequest.newBuilder(
        cluster.uri("/v1/completions")).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofLines());
    CompletableFuture<Void> reading = response.thenAcceptAsync(r -> r.body().forEach(line -> {
      if (line.startsWith("data: {")) {
        streamed.incrementAndGet();
      }
    }));
    JsonArray inputs = new JsonArray();
    for (int i = 0; i < 64; i++) {
      inputs.add("input number " + i + " with a few more words to embed");
    }
    String embeddings = new JsonObject().put("input", inputs).encode();
    // Embeddings one after another while the generation streams: at least one is computed while tokens arrive.
    int overlapping = 0;
    while (!reading.isDone()) {
      int before = streamed.get();
      HttpResponse<String> r = cluster.post("/v1/embeddings", embeddings);
      assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
      if (streamed.get() > before && !reading.isDone()) {
        overlapping++;
      }
    }
    reading.get(60, TimeUnit.SECONDS);
    assertThat(overlapping).as("embedding requests answered while tokens kept arriving").isPositive();
    assertThat(streamed.get()).as("every token streamed").isGreaterThanOrEqualTo(CONTEXT - 16);
  }

  @Test
  void clientsThatLeaveBeforeTheAnswerLogNothingAndLeaveTheWorkerServing() throws Exception {
    ch.qos.logback.classic.Logger root = (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(
        org.slf4j.Logger.ROOT_LOGGER_NAME);
    ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent> log =
        new ch.qos.logback.core.read.ListAppender<>();
    log.start();
    root.addAppender(log);
    JsonArray inputs = new JsonArray();
    for (int i = 0; i < 256; i++) {
      inputs.add("an input the client will not wait for, number " + i);
    }
    byte[] body = new JsonObject().put("input", inputs).encode().getBytes(java.nio.charset.StandardCharsets.UTF_8);
    try {
      for (int i = 0; i < 8; i++) {
        try (java.net.Socket s = new java.net.Socket("127.0.0.1", cluster.gateway.port())) {
          s.getOutputStream().write(("POST /v1/embeddings HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
              + "Content-Length: " + body.length + "\r\n\r\n").getBytes(java.nio.charset.StandardCharsets.US_ASCII));
          s.getOutputStream().write(body);
          s.getOutputStream().flush();
          s.setSoLinger(true, 0); // a reset, at once
        }
      }
      // A later request is answered: the abandoned ones were computed and their answers dropped quietly.
      ok(new JsonObject().put("input", "after"));
    } finally {
      root.detachAppender(log);
    }
    List<String> logged = log.list.stream()
        .filter(e -> e.getLevel().isGreaterOrEqual(ch.qos.logback.classic.Level.WARN) || e.getThrowableProxy() != null)
        .filter(e -> !e.getLoggerName().startsWith("com.hazelcast"))
        .map(e -> e.getLevel() + " " + e.getLoggerName() + ": " + e.getFormattedMessage()).toList();
    assertThat(logged).as("logged for clients that went away").isEmpty();
  }

  @Test
  void requestsAndTokensAreCounted() throws Exception {
    ok(new JsonObject().put("input", "count me"));
    String metrics = cluster.http.send(HttpRequest.newBuilder(cluster.uri("/metrics")).build(),
        HttpResponse.BodyHandlers.ofString()).body();
    assertThat(metrics).containsPattern("(?m)^tokenbus_embedding_requests_total [1-9]")
        .containsPattern("(?m)^tokenbus_embedding_tokens_total [1-9]");
  }
}
