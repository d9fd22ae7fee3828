package dev.tokenbus.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenbus.engine.EngineConfig;
import dev.tokenbus.engine.TestModels;
import dev.tokenbus.worker.WorkerOptions;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * RFC 6455 framing on {@code /v1/ws}: a reserved bit without a negotiated extension closes with
 * 1002, a text message that is not UTF-8 with 1007, and either frees the socket's generations;
 * a generation id is at most 128 characters.
 */
class WebSocketFramingTest {

  private static TestCluster cluster;

  @BeforeAll
  static void start() throws Exception {
    cluster = TestCluster.start(1, EngineConfig.forModel(TestModels.tiny()).withThreads(1).withSlots(2)
        .withContextPerSequence(1024), GatewayOptions.defaults(), WorkerOptions.defaults("tiny"));
  }

  @AfterAll
  static void stop() {
    if (cluster != null) {
      cluster.close();
    }
  }

  /** The close code the server ends with, skipping other frames; -1 when the connection ended without one. */
  private static int closeCode(RawWebSocket ws) throws Exception {
    RawWebSocket.Frame f;
    while ((f = ws.next()) != null) {
      if (f.opcode() == 8) {
        return f.closeCode();
      }
    }
    return -1;
  }

  /** A socket with a generation running, so that the test also sees it freed. */
  private static RawWebSocket socketWithAGeneration() throws Exception {
    RawWebSocket ws = RawWebSocket.connect(cluster.gateway.port());
    ws.sendText("{\"type\":\"generate\",\"id\":\"a\",\"prompt\":\"go\",\"max_tokens\":2000,\"timeout_ms\":600000}");
    assertThat(ws.nextJson().getString("type")).isEqualTo("token");
    return ws;
  }

  @Test
  void aReservedBitWithoutAnExtensionClosesWith1002() throws Exception {
    try (RawWebSocket ws = socketWithAGeneration()) {
      ws.send(0x80 | 0x40, 1, "{\"type\":\"cancel\",\"id\":\"a\"}".getBytes(StandardCharsets.UTF_8));
      assertThat(closeCode(ws)).isEqualTo(1002);
    }
    cluster.awaitIdle(Duration.ofSeconds(2));
  }

  @Test
  void textThatIsNotUtf8ClosesWith1007() throws Exception {
    try (RawWebSocket ws = socketWithAGeneration()) {
      ws.send(0x80, 1, new byte[] {'{', '"', (byte) 0xC3, 0x28, '"', '}'});
      assertThat(closeCode(ws)).isEqualTo(1007);
    }
    cluster.awaitIdle(Duration.ofSeconds(2));
  }

  @Test
  void aLongIdIsRefusedAndTheSocketGoesOn() throws Exception {
    try (RawWebSocket ws = RawWebSocket.connect(cluster.gateway.port())) {
      ws.sendText(new JsonObject().put("type", "generate").put("id", "x".repeat(129)).put("prompt", "go")
          .put("max_tokens", 2).encode());
      JsonObject error = ws.nextJson();
      assertThat(error.getString("type")).isEqualTo("error");
      assertThat(error.getString("id")).as("the long id is not echoed").isNull();
      assertThat(error.getJsonObject("error").getString("param")).isEqualTo("id");
      assertThat(error.getJsonObject("error").getString("message")).contains("128");

      String id = "y".repeat(128);
      ws.sendText(new JsonObject().put("type", "generate").put("id", id).put("prompt", "go").put("max_tokens", 2)
          .encode());
      JsonObject frame;
      do {
        frame = ws.nextJson();
        assertThat(frame.getString("id")).isEqualTo(id);
      } while ("token".equals(frame.getString("type")));
      assertThat(frame.getString("type")).isEqualTo("done");
    }
  }
}
