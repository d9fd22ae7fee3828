package dev.tokenbus.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tokenbus.gateway.GatewayOptions;
import dev.tokenbus.testing.TestCluster;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The client used as the README shows it, against a real gateway and worker (the generated tiny
 * model): what a user writes compiles, and what the README promises holds on both transports.
 */
@Tag("cluster")
class ClientAsDocumentedTest {

  private static TestCluster nodes;

  @BeforeAll
  static void start() throws Exception {
    nodes = TestCluster.gateways(1, 0, 2, 1024, GatewayOptions.defaults());
  }

  @AfterAll
  static void stop() {
    if (nodes != null) {
      nodes.close();
    }
  }

  private static Tokenbus client(String url, Transport transport) {
    return Tokenbus.create(TokenbusOptions.of(url).withTransport(transport));
  }

  @ParameterizedTest
  @MethodSource("dev.tokenbus.client.Transport#values")
  void theResultIsCompleteWhenTheReadmeLoopEnds(Transport transport) throws Exception {
    try (Tokenbus tokenbus = client(nodes.url(0), transport)) {
      // Windows of 1 and 2 leave a WebSocket generation out of credit when its final token is sent.
      for (int run = 0; run < 6; run++) {
        TokenStream stream = tokenbus.generate("Once upon a time",
            StreamConfig.builder().temperature(0).maxTokens(4 + run).bufferSize(1 + run % 3).build());
        int tokens = 0;
        while (!stream.isFinished()) {
          stream.next();
          tokens++;
        }
        StreamSummary summary = stream.result().result();
        assertThat(summary).as("run %d: result() right after the loop", run).isNotNull();
        assertThat(summary.completionTokens()).isEqualTo(tokens);
        assertThat(stream.tokensGenerated()).isEqualTo(tokens);
      }
    }
  }

  @ParameterizedTest
  @MethodSource("dev.tokenbus.client.Transport#values")
  void aBaseUrlEndingInV1AsOpenAiClientsWriteItWorks(Transport transport) throws Exception {
    for (String url : List.of(nodes.url(0) + "/v1", nodes.url(0) + "/v1/")) {
      try (Tokenbus tokenbus = client(url, transport)) {
        TokenStream stream = tokenbus.generate("Once", StreamConfig.builder().temperature(0).maxTokens(3).build());
        while (!stream.isFinished()) {
          stream.next();
        }
        assertThat(stream.result().result().completionTokens()).isPositive();
      }
    }
    assertThat(TokenbusOptions.of("http://h:1/proxy/v1").gateways().get(0)).hasToString("http://h:1/proxy/");
  }

  @ParameterizedTest
  @MethodSource("dev.tokenbus.client.Transport#values")
  void aGrammarOrAJsonSchemaConstrainsTheAnswer(Transport transport) throws Exception {
    try (Tokenbus tokenbus = client(nodes.url(0), transport)) {
      String yesNo = text(tokenbus.generate("Answer:", StreamConfig.builder().maxTokens(20)
          .grammar("root ::= \"yes\" | \"no\"").build()));
      assertThat(yesNo).isIn("yes", "no");

      JsonObject schema = new JsonObject().put("type", "object")
          .put("properties", new JsonObject().put("ok", new JsonObject().put("type", "boolean")))
          .put("required", new JsonArray().add("ok")).put("additionalProperties", false);
      JsonObject answer = new JsonObject(text(tokenbus.generate("JSON:", StreamConfig.builder().maxTokens(200)
          .jsonSchema(schema).build())));
      assertThat(answer.fieldNames()).containsExactly("ok");
      assertThat(answer.getValue("ok")).isInstanceOf(Boolean.class);
    }
  }

  private static String text(TokenStream s) throws InterruptedException {
    StringBuilder b = new StringBuilder();
    while (!s.isFinished()) {
      b.append(s.next().text());
    }
    assertThat(s.result().result().finishReason()).isEqualTo(FinishReason.STOP);
    return b.toString();
  }

  /** A transport is an enum: a user may switch on it, look it up by name and key an EnumMap with it. */
  @Test
  void aTransportIsUsedAsAnEnum() {
    Map<Transport, String> routes = new EnumMap<>(Transport.class);
    for (Transport t : Transport.values()) {
      routes.put(t, switch (t) {
        case WEBSOCKET -> "/v1/ws";
        case SSE -> "/v1/generate";
      });
    }
    assertThat(routes).containsExactly(Map.entry(Transport.WEBSOCKET, "/v1/ws"),
        Map.entry(Transport.SSE, "/v1/generate"));
    assertThat(Transport.valueOf("SSE")).isSameAs(Transport.SSE);
    assertThat(Transport.WEBSOCKET).hasToString("WEBSOCKET");
  }

  @Test
  void aSeedIsAnInt() {
    assertThat(StreamConfig.builder().seed(42).build().seed()).isEqualTo(42L);
    assertThat(StreamConfig.builder().seed(42).seed(null).build().seed()).isNull();
  }

  @Test
  void builderErrorsAreTokenbusExceptionsNamingTheField() {
    List<Runnable> bad = new ArrayList<>();
    bad.add(() -> StreamConfig.builder().temperature(9).build());
    bad.add(() -> StreamConfig.builder().maxTokens(0).build());
    bad.add(() -> StreamConfig.builder().repeatLastN(-2).build());
    bad.add(() -> StreamConfig.builder().grammar("root ::= \"a\"").jsonSchema(new JsonObject()).build());
    bad.add(() -> TokenbusOptions.of("ftp://example.com"));
    bad.add(() -> TokenbusOptions.of("http://exa mple.com"));
    bad.add(() -> TokenbusOptions.of("http://127.0.0.1:8080").withMaxConnections(0));
    List<String> params = new ArrayList<>();
    for (Runnable r : bad) {
      assertThatThrownBy(r::run).isInstanceOfSatisfying(InvalidRequestException.class, e -> params.add(e.param()));
    }
    assertThat(params).containsExactly("temperature", "max_tokens", "repeat_last_n", "grammar", "gateways",
        "gateways", "maxConnections");
  }
}
