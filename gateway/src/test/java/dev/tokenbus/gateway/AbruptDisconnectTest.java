package dev.tokenbus.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.tokenbus.engine.EngineConfig;
import dev.tokenbus.engine.TestModels;
import dev.tokenbus.testing.RawHttp;
import dev.tokenbus.testing.RawWebSocket;
import dev.tokenbus.testing.TestCluster;
import dev.tokenbus.worker.WorkerOptions;
import io.vertx.core.json.JsonObject;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * A client that vanishes mid-stream with a TCP reset, on any transport, leaves nothing behind: its
 * generation is cancelled on the worker and its entry leaves {@code /v1/status}. Before the fix a
 * WebSocket reset often left the sequence paused with its slot until {@code timeout_ms}. A client
 * that vanishes mid-request (its body half sent) is no error of the gateway's: nothing is logged
 * above DEBUG.
 */
@Tag("engine")
@Tag("cluster")
class AbruptDisconnectTest {

  private static final int SLOTS = 4;
  private static TestCluster cluster;

  @BeforeAll
  static void start() throws Exception {
    cluster = TestCluster.start(1, EngineConfig.forModel(TestModels.tiny()).withThreads(1).withSlots(SLOTS)
        .withContextPerSequence(2048), GatewayOptions.defaults(), WorkerOptions.defaults("tiny"));
  }

  @AfterAll
  static void stop() {
    if (cluster != null) {
      cluster.close();
    }
  }

  @AfterEach
  void nothingLeftBehind() {
    awaitClean(Duration.ofSeconds(2));
  }

  static long awaitClean(Duration within) {
    return cluster.awaitIdle(within);
  }

  @Test
  void webSocketClientsThatResetMidStreamFreeTheirSlots() throws Exception {
    long worst = 0;
    // More resets than slots: a single leak would leave the next generation waiting.
    for (int i = 0; i < 3 * SLOTS; i++) {
      RawWebSocket ws = RawWebSocket.connect(cluster.gateway.port());
      ws.sendText(new JsonObject().put("type", "generate").put("id", "g" + i).put("prompt", "once upon a time")
          .put("max_tokens", 2000).put("timeout_ms", 600_000).encode());
      int wanted = 1 + i * 3 % 40;
      for (int got = 0; got < wanted; ) {
        JsonObject frame = ws.nextJson();
        assertThat(frame).isNotNull();
        assertThat(frame.getString("type")).as(frame.encode()).isEqualTo("token");
        got++;
      }
      ws.reset();
      worst = Math.max(worst, awaitClean(Duration.ofSeconds(2)));
    }
    System.out.printf("WebSocket reset mid-stream: %d of %d clean; slowest slot free after %d ms%n", 3 * SLOTS,
        3 * SLOTS, worst);
  }

  @Test
  void clientsThatVanishMidRequestLogNothing() throws Exception {
    Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    ListAppender<ILoggingEvent> log = new ListAppender<>();
    log.start();
    root.addAppender(log);
    String[] paths = {"/v1/generate", "/v1/completions", "/v1/chat/completions", "/v1/tokenize", "/v1/responses",
        "/v1/embeddings"};
    byte[] body = ("{\"prompt\":\"once upon a time\",\"input\":\"once upon a time\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],"
        + "\"max_tokens\":4}").getBytes(StandardCharsets.UTF_8);
    Random rng = new Random(19);
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try {
      List<java.util.concurrent.Future<?>> runs = new ArrayList<>();
      for (int i = 0; i < 400; i++) {
        String path = paths[rng.nextInt(paths.length)];
        int sent = rng.nextInt(body.length); // never the whole body
        boolean chunked = rng.nextBoolean();
        boolean reset = rng.nextBoolean();
        runs.add(pool.submit(() -> {
          try (Socket s = new Socket("127.0.0.1", cluster.gateway.port())) {
            OutputStream out = s.getOutputStream();
            out.write(("POST " + path + " HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                + (chunked ? "Transfer-Encoding: chunked\r\n\r\n" + Integer.toHexString(body.length) + "\r\n"
                    : "Content-Length: " + body.length + "\r\n\r\n")).getBytes(StandardCharsets.US_ASCII));
            out.write(body, 0, sent);
            out.flush();
            if (reset) {
              s.setSoLinger(true, 0);
            }
          }
          return null;
        }));
      }
      for (var r : runs) {
        r.get(30, TimeUnit.SECONDS);
      }
      // Every connection is over on the gateway's side once a request after them all is answered.
      assertThat(cluster.post("/v1/generate", "{\"prompt\":\"after\",\"max_tokens\":2,\"stream\":false}")
          .statusCode()).isEqualTo(200);
      await().atMost(Duration.ofSeconds(5)).until(() -> cluster.status().getJsonArray("streams").isEmpty());
    } finally {
      pool.shutdown();
      root.detachAppender(log);
    }
    List<String> logged = log.list.stream()
        .filter(e -> e.getLevel().isGreaterOrEqual(Level.WARN) || e.getThrowableProxy() != null)
        .filter(e -> !e.getLoggerName().startsWith("com.hazelcast"))
        .map(e -> e.getLevel() + " " + e.getLoggerName() + ": " + e.getFormattedMessage()).toList();
    assertThat(logged).as("logged for clients that went away").isEmpty();
  }

  @Test
  void sseAndOpenAiClientsThatResetMidStreamFreeTheirSlots() throws Exception {
    String[][] requests = {
        {"/v1/generate", "{\"prompt\":\"once\",\"max_tokens\":2000,\"timeout_ms\":600000}"},
        {"/v1/completions", "{\"prompt\":\"once\",\"max_tokens\":2000,\"stream\":true}"},
        {"/v1/chat/completions", "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"max_tokens\":2000,"
            + "\"stream\":true}"},
        {"/v1/responses", "{\"input\":\"hi\",\"max_output_tokens\":2000,\"stream\":true}"}};
    for (int i = 0; i < 2 * SLOTS; i++) {
      String[] r = requests[i % requests.length];
      RawHttp http = RawHttp.post(cluster.gateway.port(), r[0], r[1], 0);
      assertThat(http.status).isEqualTo(200);
      http.in.readLine(); // some of the stream
      var socket = http.socket();
      socket.setSoLinger(true, 0);
      http.close();
      awaitClean(Duration.ofSeconds(2));
    }
  }
}
