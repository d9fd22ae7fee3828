package dev.tokenbus.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenbus.engine.EngineConfig;
import dev.tokenbus.engine.TestModels;
import dev.tokenbus.testing.RawHttp;
import dev.tokenbus.testing.RawWebSocket;
import dev.tokenbus.testing.Sse;
import dev.tokenbus.testing.TestCluster;
import dev.tokenbus.worker.WorkerOptions;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Hundreds of clients on every channel (SSE, non-streaming, OpenAI streaming and not, WebSocket
 * with one or two generations) vanish at random points (while queued, before the first token,
 * after a few tokens) in random ways (a reset, a FIN, a WebSocket close frame, a garbage frame):
 * afterwards the gateway and the worker hold nothing, within 2 s. Seeded, loopback only, bounded.
 */
@Tag("engine")
@Tag("cluster")
class VanishingClientsChaosTest {

  private static final long SEED = Long.getLong("tokenbus.chaos.seed", 9_2026L);
  private static final int CLIENTS = 300;
  private static final int AT_ONCE = 16;

  private enum Channel { SSE, WHOLE, OPENAI_CHAT, OPENAI_TEXT, RESPONSES, WS, WS_TWO }

  private enum Way { RESET, FIN, CLOSE_FRAME, GARBAGE_FRAME }

  @Test
  void clientsThatVanishAnyWayLeaveNothingBehind() throws Exception {
    try (TestCluster c = TestCluster.start(1, EngineConfig.forModel(TestModels.tiny()).withThreads(1).withSlots(4)
        .withContextPerSequence(1024), GatewayOptions.defaults(), WorkerOptions.defaults("tiny"))) {
      Map<String, AtomicInteger> seen = new ConcurrentHashMap<>();
      ExecutorService pool = Executors.newFixedThreadPool(AT_ONCE);
      long t0 = System.nanoTime();
      List<Future<?>> runs = new ArrayList<>();
      for (int i = 0; i < CLIENTS; i++) {
        Random rng = new Random(SEED + i);
        runs.add(pool.submit(() -> {
          String what = vanish(c.gateway.port(), rng);
          seen.computeIfAbsent(what, k -> new AtomicInteger()).incrementAndGet();
          return null;
        }));
      }
      for (Future<?> f : runs) {
        f.get(60, TimeUnit.SECONDS);
      }
      pool.shutdown();
      long clientsMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
      long cleanMs = c.awaitIdle(Duration.ofSeconds(2));
      System.out.printf("chaos (seed %d): %d clients vanished in %d ms; clean %d ms after the last; %s%n", SEED,
          CLIENTS, clientsMs, cleanMs, new TreeMap<>(seen));
      assertThat(seen.keySet().stream().map(k -> k.split(" ")[0]).distinct()).hasSize(Channel.values().length);

      // Still serving: a request after the storm runs to its end.
      JsonObject done = new JsonObject(c.post("/v1/generate",
          "{\"prompt\":\"after\",\"max_tokens\":8,\"temperature\":0,\"stream\":false}").body());
      assertThat(done.getString("finish_reason")).as(done.encode()).isEqualTo("length");
    }
  }

  /**
   * Clients that vanish while their long prompt is being processed, each next to bystanders
   * generating in the same decode steps: every bystander runs to its end, with all its tokens. The
   * vanishing client's cancel aborts the step they share, and the step must be undone for all of
   * them, not only for the micro-batch llama.cpp was in.
   */
  @Test
  void clientsVanishingMidPrefillLeaveTheirBystandersIntact() throws Exception {
    var wide = dev.tokenbus.engine.gguf.TinyLlamaModel.Spec.defaults().withLayers(4).withEmbd(256).withHeads(8, 4)
        .withFf(1024).withContextLength(4096).withF16Matrices(true);
    try (TestCluster c = TestCluster.start(1, EngineConfig.forModel(TestModels.tiny(wide)).withThreads(1).withSlots(3)
        .withContextPerSequence(2048).withBatch(2048, 512).withPrefillChunk(2048), GatewayOptions.defaults(),
        WorkerOptions.defaults("tiny"))) {
      int port = c.gateway.port();
      String longPrompt = "the quick brown fox jumps over the lazy dog ".repeat(60); // about 2000 tokens
      int rounds = 6;
      for (int round = 0; round < rounds; round++) {
        List<RawHttp> bystanders = new ArrayList<>();
        List<Sse> streams = new ArrayList<>();
        for (int b = 0; b < 2; b++) {
          RawHttp r = RawHttp.post(port, "/v1/generate", "{\"prompt\":\"bystander " + b + "\",\"max_tokens\":600,"
              + "\"temperature\":0,\"cache_prompt\":false}", 1 << 16);
          Sse sse = r.sse();
          assertThat(sse.next().event()).isEqualTo("token"); // generating before the long prompt comes
          bystanders.add(r);
          streams.add(sse);
        }
        var engine = c.engines.getFirst();
        try (var vanishing = new java.net.Socket("127.0.0.1", port)) {
          byte[] body = new JsonObject().put("prompt", longPrompt).put("max_tokens", 10).put("cache_prompt", false)
              .encode().getBytes(StandardCharsets.UTF_8);
          vanishing.getOutputStream().write(("POST /v1/generate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json"
              + "\r\nContent-Length: " + body.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
          vanishing.getOutputStream().write(body);
          // Gone while the step holding its prompt and the bystanders' tokens runs.
          org.awaitility.Awaitility.await().pollDelay(Duration.ZERO).pollInterval(Duration.ofNanos(100_000))
              .atMost(Duration.ofSeconds(10)).until(() -> engine.stats().stepTokens() > 1000);
          vanishing.setSoLinger(true, 0); // a reset: the client is gone at once
        }
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> engine.stats().active() <= 2);
        for (int b = 0; b < 2; b++) {
          List<Sse.Event> rest = streams.get(b).all();
          Sse.Event done = rest.getLast();
          assertThat(done.event()).as("round %d, bystander %d: %s", round, b, done).isEqualTo("done");
          assertThat(done.data().getString("finish_reason")).as("round %d, bystander %d: %s", round, b, done.data())
              .isEqualTo("length");
          assertThat(rest.stream().filter(e -> "token".equals(e.event())).count() + 1).isEqualTo(600);
          bystanders.get(b).close();
        }
      }
      c.awaitIdle(Duration.ofSeconds(2));
    }
  }

  /** One client: opens a generation on a random channel, reads a random number of events, vanishes. */
  private static String vanish(int port, Random rng) throws IOException {
    Channel channel = Channel.values()[rng.nextInt(Channel.values().length)];
    int events = rng.nextInt(4) == 0 ? 0 : rng.nextInt(30); // 0: leave at once, perhaps still queued
    return switch (channel) {
      case WS, WS_TWO -> webSocket(port, rng, channel, events);
      default -> http(port, rng, channel, events);
    };
  }

  private static String http(int port, Random rng, Channel channel, int events) throws IOException {
    String[] request = switch (channel) {
      case SSE -> new String[] {"/v1/generate", "{\"prompt\":\"chaos\",\"max_tokens\":500,\"timeout_ms\":600000}"};
      case WHOLE -> new String[] {"/v1/generate", "{\"prompt\":\"chaos\",\"max_tokens\":500,\"stream\":false}"};
      case OPENAI_CHAT -> new String[] {"/v1/chat/completions",
          "{\"messages\":[{\"role\":\"user\",\"content\":\"chaos\"}],\"max_tokens\":500,\"stream\":"
              + rng.nextBoolean() + "}"};
      case RESPONSES -> new String[] {"/v1/responses", "{\"input\":\"chaos\",\"max_output_tokens\":500,\"stream\":"
          + rng.nextBoolean() + "}"};
      default -> new String[] {"/v1/completions", "{\"prompt\":\"chaos\",\"max_tokens\":500,\"stream\":"
          + rng.nextBoolean() + "}"};
    };
    Way way = rng.nextBoolean() ? Way.RESET : Way.FIN;
    try (var socket = new java.net.Socket()) {
      socket.connect(new java.net.InetSocketAddress("127.0.0.1", port), 5000);
      socket.setSoTimeout(200);
      byte[] body = request[1].getBytes(StandardCharsets.UTF_8);
      socket.getOutputStream().write(("POST " + request[0] + " HTTP/1.1\r\nHost: x\r\nContent-Type: application/json"
          + "\r\nContent-Length: " + body.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
      socket.getOutputStream().write(body);
      var in = new java.io.BufferedReader(new java.io.InputStreamReader(socket.getInputStream(),
          StandardCharsets.UTF_8));
      int got = 0;
      try {
        String line;
        while (got < events && (line = in.readLine()) != null) {
          if (line.startsWith("data:")) {
            got++;
          }
        }
      } catch (SocketTimeoutException e) {
        // queued, or a non-streaming answer not there yet: leave now
      }
      if (way == Way.RESET) {
        socket.setSoLinger(true, 0);
      }
      return channel + " " + way;
    }
  }

  private static String webSocket(int port, Random rng, Channel channel, int events) throws IOException {
    Way way = Way.values()[rng.nextInt(Way.values().length)];
    RawWebSocket ws = RawWebSocket.connect(port);
    ws.socket.setSoTimeout(200);
    int generations = channel == Channel.WS_TWO ? 2 : 1;
    for (int g = 0; g < generations; g++) {
      ws.sendText(new JsonObject().put("type", "generate").put("id", "g" + g).put("prompt", "chaos")
          .put("max_tokens", 500).put("timeout_ms", 600_000).encode());
    }
    try {
      for (int got = 0; got < events && ws.nextJson() != null; got++) {
        // read on
      }
    } catch (SocketTimeoutException e) {
      // queued: leave now
    }
    switch (way) {
      case RESET -> ws.reset();
      case FIN -> ws.close();
      case CLOSE_FRAME -> {
        ws.send(0x80, 8, new byte[] {0x03, (byte) 0xE8});
        ws.close();
      }
      case GARBAGE_FRAME -> {
        byte[] junk = new byte[1 + rng.nextInt(64)];
        rng.nextBytes(junk);
        ws.sendRaw(junk);
        ws.close();
      }
    }
    return channel + " " + way;
  }
}
