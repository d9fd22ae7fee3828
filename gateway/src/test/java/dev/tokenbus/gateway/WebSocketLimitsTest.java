package dev.tokenbus.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenbus.testing.TestCluster;
import io.vertx.core.Vertx;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonObject;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * A WebSocket message over the gateway's size limit ends the socket with 1009, also when it
 * arrives compressed (as browsers send it) in a frame far below the limit.
 */
@Tag("cluster")
class WebSocketLimitsTest {

  private static final int LIMIT = 64 * 1024;
  private static TestCluster cluster;
  private static Vertx vertx;

  @BeforeAll
  static void start() throws Exception {
    cluster = TestCluster.gatewayOnly(GatewayOptions.defaults().withBodyLimitBytes(LIMIT));
    vertx = Vertx.vertx();
  }

  @AfterAll
  static void stop() {
    if (vertx != null) {
      vertx.close().await();
    }
    if (cluster != null) {
      cluster.close();
    }
  }

  private static short closeCodeAfterSending(boolean compressed, String prompt) throws Exception {
    WebSocketClient client = vertx.createWebSocketClient(new WebSocketClientOptions()
        .setTryUsePerMessageCompression(compressed).setMaxFrameSize(4 * LIMIT).setMaxMessageSize(4 * LIMIT));
    WebSocket ws = client.connect(new WebSocketConnectOptions().setHost("127.0.0.1").setPort(cluster.gateway.port())
        .setURI("/v1/ws")).await(10, TimeUnit.SECONDS);
    assertThat(ws.isClosed()).isFalse();
    CompletableFuture<Short> closed = new CompletableFuture<>();
    ws.closeHandler(v -> closed.complete(ws.closeStatusCode()));
    ws.writeTextMessage(new JsonObject().put("type", "generate").put("id", "big").put("prompt", prompt).encode());
    try {
      return closed.get(10, TimeUnit.SECONDS);
    } finally {
      client.close();
    }
  }

  @Test
  void aCompressedMessageOverTheLimitClosesTheSocketWith1009() throws Exception {
    assertThat(closeCodeAfterSending(true, "x".repeat(2 * LIMIT))).isEqualTo((short) 1009);
  }

  @Test
  void anUncompressedMessageOverTheLimitClosesTheSocketWith1009() throws Exception {
    assertThat(closeCodeAfterSending(false, "x".repeat(2 * LIMIT))).isEqualTo((short) 1009);
  }
}
