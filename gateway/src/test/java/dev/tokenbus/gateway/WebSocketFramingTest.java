package dev.tokenbus.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenbus.engine.EngineConfig;
import dev.tokenbus.engine.TestModels;
import dev.tokenbus.testing.RawWebSocket;
import dev.tokenbus.testing.TestCluster;
import dev.tokenbus.worker.WorkerOptions;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * RFC 6455 framing on {@code /v1/ws}: a reserved bit without a negotiated extension closes with
 * 1002, a text message that is not UTF-8 with 1007, and either frees the socket's generations;
 * a close code no peer may send is answered with 1002, a compressed message that does not inflate
 * with 1007; a message whose first fragment is empty is answered like the same message whole; a
 * generation id is at most 128 characters; a client that sends without reading is stopped (the
 * gateway reads from it no more than it can answer) while other sockets go on.
 */
@Tag("engine")
@Tag("cluster")
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
  void closeCodesNoPeerMaySendAreAnsweredWith1002() throws Exception {
    for (int code : new int[] {0, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000, 65535}) {
      try (RawWebSocket ws = RawWebSocket.connect(cluster.gateway.port())) {
        ws.send(0x80, 8, new byte[] {(byte) (code >> 8), (byte) code});
        assertThat(closeCode(ws)).as("close %d", code).isEqualTo(1002);
      }
    }
    for (int code : new int[] {1000, 1001, 1003, 1007, 1011, 1014, 3000, 4999}) {
      try (RawWebSocket ws = RawWebSocket.connect(cluster.gateway.port())) {
        ws.send(0x80, 8, new byte[] {(byte) (code >> 8), (byte) code});
        assertThat(closeCode(ws)).as("close %d is echoed", code).isEqualTo(code);
      }
    }
  }

  @Test
  void aCompressedMessageThatDoesNotInflateClosesWith1007() throws Exception {
    try (RawWebSocket ws = RawWebSocket.connect(cluster.gateway.port(),
        "Sec-WebSocket-Extensions: permessage-deflate\r\n", 0)) {
      assertThat(ws.headers.get("sec-websocket-extensions")).startsWith("permessage-deflate");
      ws.send(0x80 | 0x40, 1, new byte[] {(byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, 0x00});
      assertThat(closeCode(ws)).isEqualTo(1007);
    }
  }

  @Test
  void aMessageWhoseFirstFragmentsAreEmptyIsAnsweredLikeTheWholeMessage() throws Exception {
    try (RawWebSocket ws = RawWebSocket.connect(cluster.gateway.port())) {
      byte[] bad = "{\"type\":\"nope\",\"id\":\"a\"}".getBytes(StandardCharsets.UTF_8);
      ws.send(0x80, 1, bad);
      JsonObject whole = ws.nextJson();
      assertThat(whole.getString("type")).isEqualTo("error");

      ws.send(0x00, 1, new byte[0]);
      ws.send(0x80, 0, bad);
      assertThat(ws.nextJson()).as("an empty first fragment, then the text").isEqualTo(whole);

      ws.send(0x00, 1, new byte[0]);
      ws.send(0x00, 0, new byte[0]);
      ws.send(0x00, 0, java.util.Arrays.copyOf(bad, 10));
      ws.send(0x80, 0, java.util.Arrays.copyOfRange(bad, 10, bad.length));
      assertThat(ws.nextJson()).as("two empty fragments, then the text in two").isEqualTo(whole);

      ws.send(0x00, 1, new byte[0]);
      ws.send(0x80, 0, new byte[0]);
      assertThat(ws.nextJson().getJsonObject("error").getString("code")).as("an empty message")
          .isEqualTo("invalid_json");

      ws.send(0x00, 2, new byte[0]);
      ws.send(0x80, 0, bad);
      assertThat(ws.nextJson().getJsonObject("error").getString("code")).as("binary, fragmented")
          .isEqualTo("invalid_frame");

      // The socket still generates.
      ws.sendText("{\"type\":\"generate\",\"id\":\"g\",\"prompt\":\"go\",\"max_tokens\":2}");
      JsonObject frame;
      do {
        frame = ws.nextJson();
      } while ("token".equals(frame.getString("type")));
      assertThat(frame.getString("type")).isEqualTo("done");
    }
  }

  @Test
  void aClientThatSendsWithoutReadingIsStoppedWhileOthersGoOn() throws Exception {
    long limit = 4L << 20; // 4 MiB of 8-byte frames, each answered with an error frame of ~150 bytes
    byte[] batch = new byte[8 * 1024];
    for (int i = 0; i < batch.length; i += 8) {
      batch[i] = (byte) 0x81; // FIN, text
      batch[i + 1] = (byte) 0x82; // masked, 2 bytes; a zero mask
      batch[i + 6] = '{';
      batch[i + 7] = '}';
    }
    try (RawWebSocket flood = RawWebSocket.connect(cluster.gateway.port(), "", 64 * 1024)) {
      AtomicLong sent = new AtomicLong();
      Thread writer = Thread.ofPlatform().daemon().start(() -> {
        try {
          while (sent.get() < limit) {
            flood.sendRaw(batch);
            sent.addAndGet(batch.length);
          }
        } catch (java.io.IOException closed) {
          // the test ends the connection
        }
      });
      long read = awaitPlateau(sent, limit);
      System.out.printf("a client that never reads got %d bytes of frames in before the gateway stopped reading%n",
          read);
      assertThat(read).as("bytes the gateway read from a client that reads nothing").isLessThan(limit);

      try (RawWebSocket other = RawWebSocket.connect(cluster.gateway.port())) {
        other.sendText("{\"type\":\"generate\",\"id\":\"b\",\"prompt\":\"go\",\"max_tokens\":8}");
        JsonObject frame;
        do {
          frame = other.nextJson();
        } while ("token".equals(frame.getString("type")));
        assertThat(frame.getString("type")).as("a bystander's generation").isEqualTo("done");
      }
      assertThat(sent.get()).as("still stopped").isEqualTo(read);

      // Once the client reads its answers, the gateway reads from it again.
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (sent.get() == read && System.nanoTime() < deadline) {
        JsonObject answer = flood.nextJson();
        assertThat(answer.getString("type")).isEqualTo("error");
      }
      assertThat(sent.get()).as("the gateway reads again once its answers are read").isGreaterThan(read);
      flood.reset();
      writer.join(10_000);
    }
    cluster.awaitIdle(Duration.ofSeconds(2));
  }

  /**
   * The count once it has stopped growing for 5 s (the writer blocks when the gateway stops reading);
   * fails as soon as it reaches {@code limit}, or after 60 s.
   */
  private static long awaitPlateau(AtomicLong count, long limit) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    long last = -1;
    long since = System.nanoTime();
    while (System.nanoTime() < deadline) {
      long now = count.get();
      if (now >= limit) {
        return now;
      }
      if (now != last) {
        last = now;
        since = System.nanoTime();
      } else if (System.nanoTime() - since > Duration.ofSeconds(5).toNanos()) {
        return now;
      }
      Thread.sleep(50); // polling the writer's count
    }
    return count.get();
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
