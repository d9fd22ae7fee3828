package dev.tokenbus.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenbus.engine.EngineConfig;
import dev.tokenbus.engine.LlamaEngine;
import dev.tokenbus.engine.TestModels;
import dev.tokenbus.testing.TestCluster;
import dev.tokenbus.worker.WorkerOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** /v1/tokenize and /v1/detokenize ask a worker of the model over the event bus. */
@Tag("engine")
@Tag("cluster")
class TokenizeTest {

  private static TestCluster cluster;
  private static LlamaEngine engine;

  @BeforeAll
  static void start() throws Exception {
    cluster = TestCluster.start(1, EngineConfig.forModel(TestModels.tiny()).withThreads(1).withSlots(1)
        .withContextPerSequence(256), GatewayOptions.defaults(), WorkerOptions.defaults("tiny"));
    engine = cluster.engines.getFirst();
  }

  @AfterAll
  static void stop() {
    if (cluster != null) {
      cluster.close();
    }
  }

  private static JsonObject ok(String path, JsonObject body) throws Exception {
    HttpResponse<String> r = cluster.post(path, body.encode());
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    return new JsonObject(r.body());
  }

  @Test
  void tokenizeGivesTheWorkersTokensAndDetokenizeGivesTheTextBack() throws Exception {
    String text = "Hello, wörld 🙂";
    JsonArray tokens = ok("/v1/tokenize", new JsonObject().put("content", text)).getJsonArray("tokens");
    assertThat(tokens.stream().map(t -> (Integer) t).toList())
        .containsExactlyElementsOf(java.util.Arrays.stream(engine.tokenize(text, false, true)).boxed().toList());
    JsonArray special = ok("/v1/tokenize", new JsonObject().put("content", text).put("add_special", true)
        .put("model", "tiny")).getJsonArray("tokens");
    assertThat(special.size()).isEqualTo(engine.tokenize(text, true).length).isGreaterThan(tokens.size());
    // This vocabulary adds a space in front of a text, as SentencePiece does; the pieces keep it, as llama-server's do.
    String back = ok("/v1/detokenize", new JsonObject().put("tokens", tokens)).getString("content");
    assertThat(back).isEqualTo(" " + text);
  }

  @Test
  void piecesAreTextOrTheirBytesWhenNotValidUtf8Alone() throws Exception {
    JsonArray tokens = ok("/v1/tokenize", new JsonObject().put("content", "aé").put("with_pieces", true))
        .getJsonArray("tokens");
    StringBuilder bytes = new StringBuilder();
    for (int i = 0; i < tokens.size(); i++) {
      JsonObject t = tokens.getJsonObject(i);
      assertThat(t.fieldNames()).containsExactlyInAnyOrder("id", "piece");
      Object piece = t.getValue("piece");
      byte[] expected = engine.pieceBytes(t.getInteger("id"));
      if (piece instanceof String s) {
        assertThat(s.getBytes(StandardCharsets.UTF_8)).isEqualTo(expected);
      } else {
        JsonArray raw = (JsonArray) piece;
        assertThat(raw.size()).isEqualTo(expected.length);
        for (int k = 0; k < raw.size(); k++) {
          assertThat(raw.getInteger(k)).isEqualTo(expected[k] & 0xFF);
        }
      }
      bytes.append(new String(expected, StandardCharsets.ISO_8859_1));
    }
    assertThat(bytes.toString().getBytes(StandardCharsets.ISO_8859_1)).isEqualTo(" aé".getBytes(StandardCharsets.UTF_8));
    assertThat(tokens.stream().map(t -> ((JsonObject) t).getValue("piece")).filter(JsonArray.class::isInstance))
        .as("é is two byte tokens in this vocabulary, neither valid UTF-8 alone").hasSize(2);
  }

  @Test
  void badBodiesAre400AndAnUnknownModel404() throws Exception {
    for (String[] c : new String[][] {
        {"/v1/tokenize", "{}", "content"},
        {"/v1/tokenize", "{\"content\":5}", "content"},
        {"/v1/tokenize", "{\"content\":\"x\",\"add_special\":\"yes\"}", "add_special"},
        {"/v1/detokenize", "{\"tokens\":\"1 2\"}", "tokens"},
        {"/v1/detokenize", "{\"tokens\":[1,\"2\"]}", "tokens[1]"},
        {"/v1/detokenize", "{\"tokens\":[1,99999999]}", "tokens"}}) {
      JsonObject e = OpenAiErrorsTest.error(cluster.post(c[0], c[1]), 400);
      assertThat(e.getString("param")).as(c[1]).isEqualTo(c[2]);
    }
    JsonObject e = OpenAiErrorsTest.error(cluster.post("/v1/tokenize", "{\"content\":\"x\",\"model\":\"nope\"}"), 404);
    assertThat(e.getString("code")).isEqualTo("model_not_found");
  }
}
