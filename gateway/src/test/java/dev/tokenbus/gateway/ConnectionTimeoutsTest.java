package dev.tokenbus.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenbus.engine.EngineConfig;
import dev.tokenbus.engine.TestModels;
import dev.tokenbus.gateway.transport.ConnectionTimeouts;
import dev.tokenbus.testing.RawHttp;
import dev.tokenbus.testing.RawWebSocket;
import dev.tokenbus.testing.TestCluster;
import dev.tokenbus.worker.WorkerOptions;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Connections that hold the gateway without using it are closed: no headers in time, a body that
 * stops arriving (408 with the error object), a keep-alive connection or a WebSocket left idle,
 * a refused body's connection; a quiet open stream is never cut. Short timeouts here; the defaults
 * are 60 s idle and 30 s for headers and body.
 */
@Tag("engine")
@Tag("cluster")
class ConnectionTimeoutsTest {

  private static final long IDLE_MS = 1500;
  private static final long HEADERS_MS = 800;
  private static final long BODY_MS = 800;
  private static TestCluster cluster;

  @BeforeAll
  static void start() throws Exception {
    cluster = TestCluster.start(1, EngineConfig.forModel(TestModels.tiny()).withThreads(1).withSlots(2)
        .withContextPerSequence(1024), GatewayOptions.defaults().withBodyLimitBytes(4096)
        .withTimeouts(new ConnectionTimeouts.Limits(IDLE_MS, HEADERS_MS, BODY_MS)), WorkerOptions.defaults("tiny"));
  }

  @AfterAll
  static void stop() {
    if (cluster != null) {
      cluster.close();
    }
  }

  private static Socket connect() throws Exception {
    Socket s = new Socket();
    s.connect(new InetSocketAddress("127.0.0.1", cluster.gateway.port()), 5000);
    s.setSoTimeout(15_000);
    return s;
  }

  /** Reads until the server closes; returns what came and how long the close took from {@code t0}. */
  private static String readToClose(Socket s) throws Exception {
    InputStream in = s.getInputStream();
    return new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
  }

  @Test
  void headersDrippedSlowerThanTheTimeoutAreCutOff() throws Exception {
    try (Socket s = connect()) {
      long t0 = System.nanoTime();
      s.getOutputStream().write("GET /hea".getBytes(StandardCharsets.US_ASCII));
      assertThat(readToClose(s)).isEmpty();
      long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
      System.out.printf("dripped headers: closed after %d ms (header timeout %d ms)%n", ms, HEADERS_MS);
      assertThat(ms).isGreaterThanOrEqualTo(HEADERS_MS);
    }
  }

  /**
   * The checks go round the connections a share at a time, and a connection closed for its timeout
   * hands its place in the round to another: every one of many silent connections is closed, none
   * before its time.
   */
  @Test
  void everyOneOfManySilentConnectionsIsClosedInItsTurn() throws Exception {
    List<Socket> sockets = new ArrayList<>();
    try {
      long t0 = System.nanoTime();
      for (int i = 0; i < 60; i++) {
        sockets.add(connect());
      }
      for (Socket s : sockets) {
        assertThat(readToClose(s)).isEmpty();
      }
      long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
      System.out.printf("60 silent connections: all closed after %d ms (header timeout %d ms)%n", ms, HEADERS_MS);
      assertThat(ms).isGreaterThanOrEqualTo(HEADERS_MS);
    } finally {
      for (Socket s : sockets) {
        s.close();
      }
    }
  }

  @Test
  void aBodyThatNeverArrivesGets408AndTheConnectionCloses() throws Exception {
    try (Socket s = connect()) {
      s.getOutputStream().write(("POST /v1/generate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
          + "Content-Length: 100\r\n\r\n{\"prompt\":").getBytes(StandardCharsets.US_ASCII));
      String answer = readToClose(s);
      assertThat(answer).startsWith("HTTP/1.1 408");
      assertThat(answer).contains("\"code\":\"request_timeout\"");
    }
  }

  @Test
  void anIdleKeepAliveConnectionIsClosed() throws Exception {
    try (Socket s = connect()) {
      s.getOutputStream().write("GET /health HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
      long t0 = System.nanoTime();
      assertThat(readToClose(s)).startsWith("HTTP/1.1 200");
      long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
      System.out.printf("idle keep-alive connection: closed after %d ms (idle timeout %d ms)%n", ms, IDLE_MS);
      assertThat(ms).isGreaterThanOrEqualTo(IDLE_MS);
    }
  }

  @Test
  void aRefusedBodysConnectionClosesAtOnce() throws Exception {
    try (Socket s = connect()) {
      s.getOutputStream().write(("POST /v1/generate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
          + "Content-Length: 1000000\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
      s.getOutputStream().write(new byte[8192]);
      String answer = readToClose(s);
      assertThat(answer).startsWith("HTTP/1.1 413");
      assertThat(answer).contains("\"code\":\"request_too_large\"");
    }
  }

  @Test
  void anUpgradeHeaderWithoutAWebSocketExemptsNothing() throws Exception {
    // Refused handshakes, Upgrade on routes that are not WebSockets, and a body that stops arriving:
    // each must still be closed by the sweep (idle, or 408).
    List<String> requests = List.of(
        "GET /v1/ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n",
        "GET /v1/ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Key: AAAAAAAAAAAAAAAAAAAAAA==\r\nSec-WebSocket-Version: 8\r\n\r\n",
        "GET /health HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n",
        "GET /v1/status HTTP/1.1\r\nHost: x\r\nUpgrade: h2c\r\nConnection: Upgrade, HTTP2-Settings\r\n"
            + "HTTP2-Settings: AAMAAABkAAQAAP__\r\n\r\n",
        "GET /nowhere HTTP/1.1\r\nHost: x\r\nUpgrade: anything\r\n\r\n",
        "POST /v1/generate HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nContent-Type: application/json\r\n"
            + "Content-Length: 100\r\n\r\n{\"prompt\":");
    List<Socket> sockets = new java.util.ArrayList<>();
    try {
      for (String request : requests) {
        Socket s = connect();
        s.getOutputStream().write(request.getBytes(StandardCharsets.US_ASCII));
        sockets.add(s);
      }
      for (int i = 0; i < sockets.size(); i++) {
        String answer = readToClose(sockets.get(i)); // a SocketTimeoutException if the server never closes
        assertThat(answer).as(requests.get(i)).startsWith("HTTP/1.1 ");
      }
    } finally {
      for (Socket s : sockets) {
        s.close();
      }
    }
  }

  @Test
  void aQuietStreamOutlivesEveryTimeout() throws Exception {
    // One token every 1.2 s: longer gaps than the header and body timeouts, and 5 s in all.
    try (RawHttp http = RawHttp.post(cluster.gateway.port(), "/v1/generate",
        "{\"prompt\":\"slow\",\"max_tokens\":4,\"stream_delay_ms\":1200}", 0)) {
      var events = http.sse().all();
      assertThat(events.getLast().event()).isEqualTo("done");
      assertThat(events.stream().filter(e -> "token".equals(e.event()))).hasSize(4);
    }
  }

  @Test
  void anIdleWebSocketIsClosedNormallyButNotWhileItGenerates() throws Exception {
    try (RawWebSocket ws = RawWebSocket.connect(cluster.gateway.port())) {
      ws.sendText("{\"type\":\"generate\",\"id\":\"q\",\"prompt\":\"slow\",\"max_tokens\":3,\"stream_delay_ms\":1000}");
      int tokens = 0;
      var frame = ws.nextJson();
      while (frame != null && "token".equals(frame.getString("type"))) {
        tokens++;
        frame = ws.nextJson();
      }
      assertThat(frame).isNotNull();
      assertThat(frame.getString("type")).isEqualTo("done");
      assertThat(tokens).isEqualTo(3);
      long t0 = System.nanoTime();
      RawWebSocket.Frame close;
      do {
        close = ws.next();
      } while (close != null && close.opcode() != 8);
      assertThat(close).isNotNull();
      assertThat(close.closeCode()).isEqualTo(1000);
      assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(10).toMillis());
    }
  }
}
