package dev.tokenbus.bench;

import dev.tokenbus.cluster.ClusterCredentials;
import dev.tokenbus.cluster.ClusterNode;
import dev.tokenbus.cluster.ClusterOptions;
import dev.tokenbus.engine.EngineConfig;
import dev.tokenbus.engine.LlamaEngine;
import dev.tokenbus.engine.gguf.TinyLlamaModel;
import dev.tokenbus.gateway.GatewayOptions;
import dev.tokenbus.gateway.GatewayVerticle;
import dev.tokenbus.gateway.dispatch.DispatchOptions;
import dev.tokenbus.worker.WorkerOptions;
import dev.tokenbus.worker.WorkerVerticle;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The training workload of the JVM's ahead-of-time cache ({@code tokenbus aot-train}, run by the
 * build with {@code -XX:AOTCacheOutput}): what a node does when it starts and serves, done briefly, so
 * that the cache holds the classes it loads and links and the profiles of the methods it runs. It
 * writes the generated demo model to a temporary directory, starts a standalone node on it and sends
 * every route a client uses ({@link #ROUTES}) {@code rounds} times, one request at a time, then does
 * the same, fewer times, through a gateway and a worker clustered in this JVM (Hazelcast and the TLS
 * event bus), and stops everything. Any request that does not answer as it should fails the run:
 * a cache trained on errors would prepare the wrong paths.
 */
public final class AotTraining {

  /** The routes, as their requests are sent, with the status each must answer. */
  static final List<String> ROUTES = List.of("GET /health", "GET /ready", "GET /v1/models", "GET /v1/status",
      "GET /metrics", "POST /v1/tokenize", "POST /v1/detokenize", "POST /v1/generate (SSE)",
      "POST /v1/generate (JSON)", "POST /v1/chat/completions (SSE)", "POST /v1/chat/completions (JSON)",
      "POST /v1/completions (SSE)", "POST /v1/completions (JSON)", "POST /v1/messages (SSE)", "POST /v1/messages (JSON)",
      "POST /v1/responses (SSE)", "POST /v1/responses (JSON)", "GET /v1/ws");

  private static final String PROMPT = "Once upon a time";
  private static final int TOKENS = 4;

  private final int rounds;
  private final int clusterRounds;
  private final PrintStream out;

  /**
   * @param rounds how many times the standalone node gets every route
   * @param clusterRounds how many times the gateway + worker pair gets every route; 0 skips the pair
   */
  public AotTraining(int rounds, int clusterRounds, PrintStream out) {
    this.rounds = rounds;
    this.clusterRounds = clusterRounds;
    this.out = out;
  }

  /** Runs the workload; throws on the first request that was not answered as it should. */
  public void run() throws Exception {
    Path dir = Files.createTempDirectory("tokenbus-aot-train");
    try {
      Path model = TinyLlamaModel.write(TinyLlamaModel.Spec.defaults(), dir.resolve("tiny.gguf"));
      EngineConfig cfg = EngineConfig.forModel(model).withThreads(1).withSlots(2);
      try (LlamaEngine engine = LlamaEngine.start(cfg)) {
        long t0 = System.nanoTime();
        try (StandaloneNode node = StandaloneNode.start(engine)) {
          drive(node.port(), rounds);
        }
        out.printf("aot-train: standalone node, %d rounds of %d routes in %d ms%n", rounds, ROUTES.size(),
            TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
        if (clusterRounds > 0) {
          t0 = System.nanoTime();
          clustered(engine, dir.resolve("cluster"));
          out.printf("aot-train: gateway + worker (Hazelcast, TLS event bus), %d rounds in %d ms%n", clusterRounds,
              TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
        }
      }
    } finally {
      try (Stream<Path> files = Files.walk(dir)) {
        for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
          Files.deleteIfExists(p);
        }
      }
    }
  }

  /** A gateway node and a worker node in a cluster of their own, in this JVM, on loopback. */
  private void clustered(LlamaEngine engine, Path credentials) throws Exception {
    ClusterCredentials.create(credentials);
    String name = "aot-train-" + ProcessHandle.current().pid() + "-" + System.nanoTime();
    ClusterOptions base = new ClusterOptions(null, name, "127.0.0.1", List.of(), freePort(), credentials, false,
        Map.of(), 0, 0);
    ClusterNode gatewayNode = ClusterNode.start(base.withAttributes(Map.of(ClusterOptions.ROLE, "gateway")))
        .await(60, TimeUnit.SECONDS);
    try {
      WorkerOptions worker = WorkerOptions.defaults("tiny");
      ClusterNode workerNode = ClusterNode.start(base.withAttributes(Map.of(ClusterOptions.ROLE, "worker",
          ClusterOptions.MODEL, worker.modelName()))).await(60, TimeUnit.SECONDS);
      try {
        GatewayVerticle gateway = GatewayVerticle.forNode(gatewayNode, GatewayOptions.defaults().withPort(0),
            DispatchOptions.defaults());
        gatewayNode.vertx().deployVerticle(gateway).await(30, TimeUnit.SECONDS);
        workerNode.vertx().deployVerticle(WorkerVerticle.forNode(workerNode, engine, worker))
            .await(30, TimeUnit.SECONDS);
        GatewayStatus.awaitWorkers(gateway.port(), 1, Duration.ofSeconds(60), () -> null);
        drive(gateway.port(), clusterRounds);
      } finally {
        workerNode.close().await(30, TimeUnit.SECONDS);
      }
    } finally {
      gatewayNode.close().await(30, TimeUnit.SECONDS);
    }
  }

  /** Every route, {@code times} times, one request at a time. */
  static void drive(int port, int times) throws Exception {
    String generate = new JsonObject().put("prompt", PROMPT).put("max_tokens", TOKENS).put("temperature", 0).encode();
    JsonObject chat = new JsonObject().put("messages", new JsonArray().add(new JsonObject().put("role", "user")
        .put("content", PROMPT))).put("max_tokens", TOKENS).put("temperature", 0);
    JsonObject completion = new JsonObject().put("prompt", PROMPT).put("max_tokens", TOKENS).put("temperature", 0);
    try (HttpClient http = HttpClient.newHttpClient()) {
      for (int i = 0; i < times; i++) {
        expect(port, "GET", "/health", null, "\"status\"");
        expect(port, "GET", "/ready", null, "\"status\"");
        expect(port, "GET", "/v1/models", null, "\"data\"");
        expect(port, "GET", "/v1/status", null, "\"workers\"");
        expect(port, "GET", "/metrics", null, "# TYPE");
        expect(port, "POST", "/v1/tokenize", new JsonObject().put("content", PROMPT).put("with_pieces", i % 2 == 0)
            .encode(), "\"tokens\"");
        expect(port, "POST", "/v1/detokenize", new JsonObject().put("tokens", new JsonArray().add(10).add(20))
            .encode(), "\"content\"");
        expect(port, "POST", "/v1/generate", generate, "event: done");
        expect(port, "POST", "/v1/generate", new JsonObject(generate).put("stream", false).encode(), "\"usage\"");
        expect(port, "POST", "/v1/chat/completions", chat.copy().put("stream", true)
            .put("stream_options", new JsonObject().put("include_usage", true)).encode(), "[DONE]");
        expect(port, "POST", "/v1/chat/completions", chat.encode(), "\"choices\"");
        expect(port, "POST", "/v1/completions", completion.copy().put("stream", true).encode(), "[DONE]");
        expect(port, "POST", "/v1/completions", completion.encode(), "\"choices\"");
        expect(port, "POST", "/v1/messages", chat.copy().put("stream", true).encode(), "event: message_stop");
        expect(port, "POST", "/v1/messages", chat.encode(), "\"stop_reason\"");
        // Not stored: a training run leaves nothing behind in the cluster.
        JsonObject response = new JsonObject().put("input", PROMPT).put("max_output_tokens", TOKENS)
            .put("temperature", 0).put("store", false);
        expect(port, "POST", "/v1/responses", response.copy().put("stream", true).encode(), "event: response.created");
        expect(port, "POST", "/v1/responses", response.encode(), "\"output\"");
        webSocket(http, port, generate);
      }
    }
  }

  private static void expect(int port, String method, String path, String body, String contains) throws IOException {
    OneWriteRequest.Result r = OneWriteRequest.send(port, method, path, body);
    if (r.status() != 200 || !r.response().contains(contains)) {
      throw new IllegalStateException(method + " " + path + " answered " + r.status() + " without " + contains + ":\n"
          + r.response());
    }
  }

  /** One generation over {@code /v1/ws}, read to its {@code done}. */
  private static void webSocket(HttpClient http, int port, String generate) throws Exception {
    CompletableFuture<String> done = new CompletableFuture<>();
    WebSocket ws = http.newWebSocketBuilder().buildAsync(URI.create("ws://127.0.0.1:" + port + "/v1/ws"),
        new WebSocket.Listener() {
          private final StringBuilder frame = new StringBuilder();

          @Override
          public CompletionStage<?> onText(WebSocket socket, CharSequence data, boolean last) {
            frame.append(data);
            if (last) {
              JsonObject json = new JsonObject(frame.toString());
              frame.setLength(0);
              if (!json.getString("type").equals("token")) {
                done.complete(json.encode());
              }
            }
            socket.request(1);
            return null;
          }

          @Override
          public void onError(WebSocket socket, Throwable error) {
            done.completeExceptionally(error);
          }
        }).get(10, TimeUnit.SECONDS);
    ws.sendText(new JsonObject(generate).put("type", "generate").put("id", "g").encode(), true);
    String end = done.get(30, TimeUnit.SECONDS);
    ws.sendClose(WebSocket.NORMAL_CLOSURE, "").get(10, TimeUnit.SECONDS);
    if (!end.contains("\"type\":\"done\"")) {
      throw new IllegalStateException("GET /v1/ws ended with " + end);
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }
}
