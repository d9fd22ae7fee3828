package dev.tokenbus.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tokenbus.cluster.ClusterMembership;
import dev.tokenbus.cluster.ClusterNode;
import dev.tokenbus.cluster.ClusterOptions;
import dev.tokenbus.engine.EngineConfig;
import dev.tokenbus.engine.LlamaEngine;
import dev.tokenbus.engine.TestModels;
import dev.tokenbus.gateway.dispatch.DispatchOptions;
import dev.tokenbus.protocol.Addresses;
import dev.tokenbus.testing.Sse;
import dev.tokenbus.testing.TestCluster;
import dev.tokenbus.worker.WorkerOptions;
import dev.tokenbus.worker.WorkerVerticle;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The cluster's trust boundary, with real nodes: a node without this cluster's credentials, even in
 * the same Hazelcast cluster, gets no worker, sends nothing through and serves nothing; both sides
 * see it refused with the reason; and what crosses the event bus cannot be read on the wire.
 */
@Tag("engine")
@Tag("cluster")
class ClusterTrustTest {

  private static final EngineConfig ENGINE = EngineConfig.forModel(TestModels.tiny()).withThreads(1).withSlots(2);
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  @Test
  void aGatewayWithOtherCredentialsGetsNoWorkerAndSendsNothingThrough() throws Exception {
    try (TestCluster cluster = TestCluster.start(ENGINE)) {
      ClusterNode rogueNode = cluster.startNode(TestCluster.newCredentials()); // same cluster name, another CA
      try {
        GatewayVerticle rogue = GatewayVerticle.forNode(rogueNode, GatewayOptions.defaults().withPort(0),
            DispatchOptions.defaults());
        rogueNode.vertx().deployVerticle(rogue).await(30, TimeUnit.SECONDS);
        ClusterNode workerNode = cluster.workerNodes.get(0);

        // Both sides see the other refused, with the reason.
        awaitRefused(workerNode, rogueNode, "not signed by this cluster's CA");
        awaitRefused(rogueNode, workerNode, "not signed by this cluster's CA");
        awaitRefused(cluster.gatewayNode, rogueNode, "not signed by this cluster's CA");
        assertThat(trustOf(cluster.gatewayNode, workerNode)).isEqualTo(ClusterMembership.Trust.TRUSTED);

        // The rogue gateway learns of no worker, so a request through it finds none.
        HttpResponse<String> r = post(rogue.port(), "{\"prompt\":\"bypass\",\"max_tokens\":4,\"stream\":false}");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(503);
        assertThat(status(rogue.port()).getJsonArray("workers")).isEmpty();
        assertThat(status(rogue.port()).getJsonArray("members").stream().map(JsonObject.class::cast)
            .map(m -> m.getString("trust"))).containsOnly("refused");

        // Sending straight to the worker's address (which the rogue can read in Hazelcast) gets nowhere.
        String tokenizer = Addresses.tokenizer(cluster.workers.get(0).endpoint());
        JsonObject tokenize = new JsonObject().put("op", "tokenize").put("content", "hello");
        Throwable refused = rogueNode.vertx().eventBus().request(tokenizer, tokenize,
            new DeliveryOptions().setSendTimeout(3_000)).toCompletionStage().toCompletableFuture()
            .handle((ok, err) -> err).get(30, TimeUnit.SECONDS);
        assertThat(refused).as("a request from the rogue node fails").isNotNull();
        // The same request from the cluster's own gateway node is answered.
        JsonObject answer = (JsonObject) cluster.gatewayNode.vertx().eventBus().request(tokenizer, tokenize)
            .await(30, TimeUnit.SECONDS).body();
        assertThat(answer.getJsonArray("tokens")).isNotEmpty();

        // The cluster's own gateway still serves through its worker, which never saw the rogue's request.
        assertThat(cluster.post("/v1/generate", "{\"prompt\":\"own\",\"max_tokens\":4,\"stream\":false}")
            .statusCode()).isEqualTo(200);
      } finally {
        rogueNode.close().await(30, TimeUnit.SECONDS);
      }
    }
  }

  @Test
  void aNodeWithoutCredentialsIsRefusedAndGetsNoWorker() throws Exception {
    try (TestCluster cluster = TestCluster.start(ENGINE)) {
      ClusterNode plain = cluster.startNode(null); // a plain-text event bus, no certificate at all
      try {
        GatewayVerticle rogue = GatewayVerticle.forNode(plain, GatewayOptions.defaults().withPort(0),
            DispatchOptions.defaults());
        plain.vertx().deployVerticle(rogue).await(30, TimeUnit.SECONDS);
        awaitRefused(cluster.workerNodes.get(0), plain, "TLS");
        awaitRefused(cluster.gatewayNode, plain, "TLS");
        assertThat(post(rogue.port(), "{\"prompt\":\"bypass\",\"max_tokens\":4,\"stream\":false}").statusCode())
            .isEqualTo(503);
        assertThat(status(rogue.port()).getJsonArray("workers")).isEmpty();
      } finally {
        plain.close().await(30, TimeUnit.SECONDS);
      }
    }
  }

  @Test
  void aWorkerWithOtherCredentialsIsNotUsed() throws Exception {
    try (TestCluster cluster = TestCluster.gatewayOnly(GatewayOptions.defaults())) {
      ClusterNode rogueNode = cluster.startNode(TestCluster.newCredentials());
      LlamaEngine engine = LlamaEngine.start(ENGINE);
      try {
        rogueNode.vertx().deployVerticle(WorkerVerticle.forNode(rogueNode, engine, WorkerOptions.defaults("tiny")))
            .await(30, TimeUnit.SECONDS);
        awaitRefused(cluster.gatewayNode, rogueNode, "not signed by this cluster's CA");
        awaitRefused(rogueNode, cluster.gatewayNode, "not signed by this cluster's CA");
        assertThat(cluster.status().getJsonArray("workers")).isEmpty();
        assertThat(cluster.post("/v1/generate", "{\"prompt\":\"x\",\"max_tokens\":4,\"stream\":false}").statusCode())
            .isEqualTo(503);

        // A worker of the cluster's own is found and used beside it.
        cluster.addWorker(ENGINE, WorkerOptions.defaults("tiny"));
        await().atMost(Duration.ofSeconds(20)).until(() -> cluster.status().getJsonArray("workers").size() == 1);
        assertThat(cluster.status().getJsonArray("workers").getJsonObject(0).getString("id"))
            .isEqualTo(cluster.workers.get(0).endpoint());
        assertThat(cluster.post("/v1/generate", "{\"prompt\":\"x\",\"max_tokens\":4,\"stream\":false}").statusCode())
            .isEqualTo(200);
      } finally {
        rogueNode.close().await(30, TimeUnit.SECONDS);
        engine.close();
      }
    }
  }

  @Test
  void promptsAndTokensAreNotReadableOnTheWire() throws Exception {
    String prompt = "the secret prompt 7f3a9c";
    // Control: on a plain-text bus, the capture shows the prompt and the tokens, so the capture works.
    Capture plain = generateThroughProxies(null, prompt);
    List<String> pieces = plain.tokens().stream().filter(t -> latin1(t).length() >= 3).distinct().toList();
    assertThat(pieces).as("tokens of 3 bytes or more in %s", plain.tokens()).isNotEmpty();
    assertThat(plain.wire()).contains(prompt).contains(Addresses.WORKER_STATUS);
    pieces.forEach(t -> assertThat(plain.wire()).contains(latin1(t)));
    // With the cluster's credentials the same traffic (the same tokens: temperature 0) is TLS: none of it appears.
    Capture tls = generateThroughProxies(TestCluster.newCredentials(), prompt);
    assertThat(tls.tokens()).isEqualTo(plain.tokens());
    assertThat(tls.bytes()).as("traffic went through the proxies").isGreaterThan(1000);
    assertThat(tls.wire()).doesNotContain(prompt).doesNotContain(Addresses.WORKER_STATUS);
    pieces.forEach(t -> assertThat(tls.wire()).doesNotContain(latin1(t)));
  }

  /** A string's UTF-8 bytes as ISO-8859-1 characters, as they appear in a capture decoded so. */
  private static String latin1(String s) {
    return new String(s.getBytes(StandardCharsets.UTF_8), StandardCharsets.ISO_8859_1);
  }

  /** What went through the bus's proxies while a gateway streamed a generation from a worker, and its tokens. */
  private record Capture(String wire, int bytes, List<String> tokens) {}

  /**
   * A gateway node and a worker node that reach each other's event bus only through a recording TCP
   * proxy (each advertises the proxy's port), and one generation through them.
   */
  private Capture generateThroughProxies(Path credentials, String prompt) throws Exception {
    String name = "wire-" + System.nanoTime();
    ByteArrayOutputStream wire = new ByteArrayOutputStream();
    List<AutoCloseable> open = new ArrayList<>();
    LlamaEngine engine = LlamaEngine.start(ENGINE);
    try {
      ClusterNode gwNode = proxiedNode(name, credentials, wire, open);
      ClusterNode workerNode = proxiedNode(name, credentials, wire, open);
      GatewayVerticle gw = GatewayVerticle.forNode(gwNode, GatewayOptions.defaults().withPort(0),
          DispatchOptions.defaults());
      gwNode.vertx().deployVerticle(gw).await(30, TimeUnit.SECONDS);
      workerNode.vertx().deployVerticle(WorkerVerticle.forNode(workerNode, engine, WorkerOptions.defaults("tiny")))
          .await(30, TimeUnit.SECONDS);
      await().atMost(Duration.ofSeconds(30)).until(() -> status(gw.port()).getJsonArray("workers").size() == 1);
      HttpResponse<String> r = post(gw.port(), new JsonObject().put("prompt", prompt).put("max_tokens", 24)
          .put("temperature", 0).encode());
      assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
      List<String> tokens = new Sse(new java.io.BufferedReader(new java.io.StringReader(r.body()))).all().stream()
          .filter(e -> "token".equals(e.event())).map(e -> e.data().getString("text")).toList();
      synchronized (wire) {
        return new Capture(wire.toString(StandardCharsets.ISO_8859_1), wire.size(), tokens);
      }
    } finally {
      for (int i = open.size() - 1; i >= 0; i--) {
        open.get(i).close();
      }
      engine.close();
    }
  }

  private static ClusterNode proxiedNode(String name, Path credentials, ByteArrayOutputStream wire,
      List<AutoCloseable> open) throws Exception {
    int busPort = freePort();
    RecordingProxy proxy = new RecordingProxy(busPort, wire);
    open.add(proxy);
    ClusterNode node = ClusterNode.start(ClusterOptions.isolated(name, credentials)
        .withBusPorts(busPort, proxy.port())).await(60, TimeUnit.SECONDS);
    open.add(() -> node.close().await(30, TimeUnit.SECONDS));
    return node;
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  /** Forwards connections on a port of its own to 127.0.0.1:target, recording every byte both ways. */
  private static final class RecordingProxy implements AutoCloseable {
    private final ServerSocket server = new ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress());
    private final List<Socket> sockets = new java.util.concurrent.CopyOnWriteArrayList<>();

    RecordingProxy(int target, ByteArrayOutputStream wire) throws IOException {
      Thread.ofVirtual().start(() -> {
        while (!server.isClosed()) {
          try {
            Socket in = server.accept();
            Socket out = new Socket(java.net.InetAddress.getLoopbackAddress(), target);
            sockets.add(in);
            sockets.add(out);
            Thread.ofVirtual().start(() -> pump(in, out, wire));
            Thread.ofVirtual().start(() -> pump(out, in, wire));
          } catch (IOException e) {
            return; // closed
          }
        }
      });
    }

    int port() {
      return server.getLocalPort();
    }

    private static void pump(Socket from, Socket to, ByteArrayOutputStream wire) {
      byte[] buf = new byte[8192];
      try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
        for (int n; (n = in.read(buf)) > 0; ) {
          synchronized (wire) {
            wire.write(buf, 0, n);
          }
          out.write(buf, 0, n);
          out.flush();
        }
      } catch (IOException e) {
        // one side closed
      } finally {
        try {
          to.close();
          from.close();
        } catch (IOException e) {
          // already closed
        }
      }
    }

    @Override
    public void close() throws IOException {
      server.close();
      for (Socket s : sockets) {
        s.close();
      }
    }
  }

  private static void awaitRefused(ClusterNode observer, ClusterNode refused, String reason) {
    await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100))
        .until(() -> trustOf(observer, refused) == ClusterMembership.Trust.REFUSED);
    assertThat(member(observer, refused).reason()).contains(reason);
  }

  private static ClusterMembership.Trust trustOf(ClusterNode observer, ClusterNode other) {
    ClusterMembership.Member m = member(observer, other);
    return m == null ? null : m.trust();
  }

  private static ClusterMembership.Member member(ClusterNode observer, ClusterNode other) {
    String id = other.membership().nodeId();
    return observer.membership().members().stream().filter(m -> m.nodeId().equals(id)).findFirst().orElse(null);
  }

  private HttpResponse<String> post(int port, String body) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/generate"))
        .timeout(Duration.ofSeconds(30)).POST(HttpRequest.BodyPublishers.ofString(body))
        .header("Content-Type", "application/json").build(), HttpResponse.BodyHandlers.ofString());
  }

  private JsonObject status(int port) throws Exception {
    return new JsonObject(http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/status"))
        .build(), HttpResponse.BodyHandlers.ofString()).body());
  }
}
