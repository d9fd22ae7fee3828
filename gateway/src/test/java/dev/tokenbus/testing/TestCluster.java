package dev.tokenbus.testing;

import static org.awaitility.Awaitility.await;

import dev.tokenbus.cluster.ClusterCredentials;
import dev.tokenbus.cluster.ClusterNode;
import dev.tokenbus.cluster.ClusterOptions;
import dev.tokenbus.engine.EngineConfig;
import dev.tokenbus.engine.LlamaEngine;
import dev.tokenbus.engine.TestModels;
import dev.tokenbus.gateway.GatewayOptions;
import dev.tokenbus.gateway.GatewayVerticle;
import dev.tokenbus.gateway.dispatch.DispatchOptions;
import dev.tokenbus.worker.WorkerOptions;
import dev.tokenbus.worker.WorkerVerticle;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real cluster in this JVM for tests: one gateway node and N worker nodes, each a clustered
 * Vert.x instance on Hazelcast (loopback, a cluster name of its own, a TLS event bus with throwaway
 * credentials of its own in a temporary directory), each worker with its own llama.cpp engine on the
 * generated model.
 */
public final class TestCluster implements AutoCloseable {

  public final ClusterNode gatewayNode;
  public final GatewayVerticle gateway;
  public final List<ClusterNode> workerNodes = new ArrayList<>();
  public final List<WorkerVerticle> workers = new ArrayList<>();
  public final List<LlamaEngine> engines = new ArrayList<>();
  private final List<EngineConfig> engineConfigs = new ArrayList<>();
  private final List<ClusterNode> extraGatewayNodes = new ArrayList<>();
  private final List<GatewayVerticle> extraGateways = new ArrayList<>();
  private final List<WorkerOptions> workerOptions = new ArrayList<>();
  public final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  public final String clusterName;
  /** The cluster's credentials: a directory of its own, removed on close. */
  final Path credentials;
  /** A key the gateway takes, for the test's own /v1/status calls; null when it asks for none. */
  private final String apiKey;

  private TestCluster(String clusterName, Path credentials, ClusterNode gatewayNode, GatewayVerticle gateway,
      String apiKey) {
    this.clusterName = clusterName;
    this.credentials = credentials;
    this.apiKey = apiKey;
    this.gatewayNode = gatewayNode;
    this.gateway = gateway;
  }

  /** A gateway alone; add workers with {@link #addWorker}. */
  public static TestCluster gatewayOnly(GatewayOptions gatewayOptions) throws Exception {
    return gatewayOnly(gatewayOptions, DispatchOptions.defaults());
  }

  public static TestCluster gatewayOnly(GatewayOptions gatewayOptions, DispatchOptions dispatchOptions) throws Exception {
    String name = "test-" + System.nanoTime();
    Path credentials = newCredentials();
    ClusterNode gwNode = ClusterNode.start(ClusterOptions.isolated(name, credentials)).await(60, TimeUnit.SECONDS);
    GatewayVerticle gw = GatewayVerticle.forNode(gwNode, gatewayOptions.withPort(0), dispatchOptions);
    gwNode.vertx().deployVerticle(gw).await(30, TimeUnit.SECONDS);
    return new TestCluster(name, credentials, gwNode, gw,
        gatewayOptions.apiKeys().stream().findFirst().orElse(null));
  }

  /** Throwaway cluster credentials (a new CA) in a new temporary directory. */
  public static Path newCredentials() throws Exception {
    Path dir = Files.createTempDirectory("tokenbus-test-credentials").resolve("cluster");
    ClusterCredentials.create(dir);
    return dir;
  }

  /** A node in this cluster's Hazelcast cluster (same name) with the event-bus credentials in {@code credentials}. */
  public ClusterNode startNode(Path credentials) throws Exception {
    return ClusterNode.start(ClusterOptions.isolated(clusterName, credentials)).await(60, TimeUnit.SECONDS);
  }

  public static TestCluster start(int workerCount, EngineConfig engine, GatewayOptions gatewayOptions,
      WorkerOptions workerOptions) throws Exception {
    TestCluster c = gatewayOnly(gatewayOptions);
    for (int i = 0; i < workerCount; i++) {
      c.addWorker(engine, workerOptions);
    }
    await().atMost(Duration.ofSeconds(20)).until(() -> c.status().getJsonArray("workers").size() == workerCount);
    // Each worker announces once more when it knows its model's hash (its KV state format): wait for that
    // too, so that no test's first dispatch races an announcement that predates it.
    await().atMost(Duration.ofSeconds(20)).until(() -> c.workers.stream().allMatch(w -> w.status().stateFormat() != null));
    return c;
  }

  public static TestCluster start(EngineConfig engine) throws Exception {
    return start(1, engine, GatewayOptions.defaults(), WorkerOptions.defaults("tiny"));
  }

  /** Closes worker {@code i} (if it is not closed already) and starts a new one like it in its place. */
  public void replaceWorker(int i) throws Exception {
    ClusterNode node = workerNodes.remove(i);
    WorkerVerticle worker = workers.remove(i);
    LlamaEngine engine = engines.remove(i);
    node.close().await(30, TimeUnit.SECONDS);
    engine.close();
    addWorker(engineConfigs.remove(i), workerOptions.remove(i));
    int expected = workers.size();
    await().atMost(Duration.ofSeconds(20)).until(() -> status().getJsonArray("workers").stream()
        .map(w -> ((JsonObject) w).getString("id")).filter(id -> !id.equals(worker.endpoint())).count() == expected);
  }

  public void addWorker(EngineConfig engine, WorkerOptions options) throws Exception {
    ClusterNode node = startNode(credentials);
    LlamaEngine e = LlamaEngine.start(engine);
    WorkerVerticle w = WorkerVerticle.forNode(node, e, options);
    node.vertx().deployVerticle(w).await(30, TimeUnit.SECONDS);
    workerNodes.add(node);
    workers.add(w);
    engines.add(e);
    engineConfigs.add(engine);
    workerOptions.add(options);
  }

  /**
   * A bare node of this cluster (its credentials, no verticle), for a test that plays a gateway or a
   * worker by hand; the caller closes it.
   */
  public ClusterNode startNode() throws Exception {
    return startNode(credentials);
  }

  /** Another gateway in the same cluster, on a node of its own; closed with the cluster. */
  public GatewayVerticle addGateway(GatewayOptions gatewayOptions, DispatchOptions dispatchOptions) throws Exception {
    ClusterNode node = startNode(credentials);
    GatewayVerticle gw = GatewayVerticle.forNode(node, gatewayOptions.withPort(0), dispatchOptions);
    node.vertx().deployVerticle(gw).await(30, TimeUnit.SECONDS);
    extraGatewayNodes.add(node);
    extraGateways.add(gw);
    return gw;
  }

  /**
   * {@code gatewayCount} gateways (each keeping streams {@code resumeGraceMs} for a reconnect) and
   * one worker on the generated tiny model with {@code slots} slots of {@code context} tokens, once
   * every gateway knows the worker.
   */
  public static TestCluster gateways(int gatewayCount, long resumeGraceMs, int slots, int context,
      GatewayOptions gatewayOptions) throws Exception {
    DispatchOptions dispatch = DispatchOptions.defaults().withResumeGraceMs(resumeGraceMs);
    TestCluster c = gatewayOnly(gatewayOptions, dispatch);
    try {
      for (int i = 1; i < gatewayCount; i++) {
        c.addGateway(gatewayOptions, dispatch);
      }
      c.addWorker(EngineConfig.forModel(TestModels.tiny()).withThreads(1).withSlots(slots)
          .withContextPerSequence(context), WorkerOptions.defaults("tiny"));
      await().atMost(Duration.ofSeconds(30))
          .until(() -> c.gateways().stream().allMatch(g -> g.dispatcher().registry().all().size() == 1));
      return c;
    } catch (Exception | Error e) {
      c.close();
      throw e;
    }
  }

  /** Every gateway: the first, then those {@link #addGateway added}. */
  public List<GatewayVerticle> gateways() {
    List<GatewayVerticle> all = new ArrayList<>();
    all.add(gateway);
    all.addAll(extraGateways);
    return all;
  }

  /** Gateway {@code i}'s base URL (0: the first). */
  public String url(int i) {
    return "http://127.0.0.1:" + gateways().get(i).port();
  }

  /** The first worker's engine. */
  public LlamaEngine engine() {
    return engines.get(0);
  }

  public URI uri(String path) {
    return URI.create("http://127.0.0.1:" + gateway.port() + path);
  }

  public JsonObject status() throws Exception {
    return getJson("/v1/status");
  }

  /** GET {@code path} on the first gateway (with the cluster's API key, if any), as JSON. */
  public JsonObject getJson(String path) throws Exception {
    HttpRequest.Builder request = HttpRequest.newBuilder(uri(path));
    if (apiKey != null) {
      request.header("Authorization", "Bearer " + apiKey);
    }
    return new JsonObject(http.send(request.build(), HttpResponse.BodyHandlers.ofString()).body());
  }

  /**
   * Waits until the gateway holds nothing (no stream, no queued request) and no worker has an
   * active or paused sequence, as /v1/status and the engines show it.
   *
   * @return how long that took, in milliseconds
   */
  public long awaitIdle(Duration within) {
    long t0 = System.nanoTime();
    await().pollInterval(Duration.ofMillis(5)).atMost(within).untilAsserted(() -> {
      JsonObject s = status();
      org.assertj.core.api.Assertions.assertThat(s.getJsonArray("streams")).as("streams in %s", s).isEmpty();
      org.assertj.core.api.Assertions.assertThat(s.getInteger("other_streams", 0)).as("other keys' streams in %s", s)
          .isZero();
      org.assertj.core.api.Assertions.assertThat(s.getInteger("queued")).as("queued in %s", s).isZero();
      for (Object o : s.getJsonArray("workers")) {
        JsonObject w = (JsonObject) o;
        org.assertj.core.api.Assertions.assertThat(w.getInteger("active")).as("active in %s", s).isZero();
        org.assertj.core.api.Assertions.assertThat(w.getInteger("paused")).as("paused in %s", s).isZero();
      }
      for (LlamaEngine e : engines) {
        org.assertj.core.api.Assertions.assertThat(e.stats().active()).as("engine active").isZero();
      }
    });
    return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
  }

  /** The gateway's view of the only worker's active slots. */
  int activeSlots() throws Exception {
    return status().getJsonArray("workers").getJsonObject(0).getInteger("active");
  }

  public HttpResponse<String> post(String path, String body) throws Exception {
    return http.send(HttpRequest.newBuilder(uri(path)).timeout(Duration.ofSeconds(30))
        .POST(HttpRequest.BodyPublishers.ofString(body)).header("Content-Type", "application/json").build(),
        HttpResponse.BodyHandlers.ofString());
  }

  @Override
  public void close() {
    for (ClusterNode n : workerNodes) {
      n.close().toCompletionStage().toCompletableFuture().orTimeout(30, TimeUnit.SECONDS).join();
    }
    for (ClusterNode n : extraGatewayNodes) {
      n.close().toCompletionStage().toCompletableFuture().orTimeout(30, TimeUnit.SECONDS).join();
    }
    gatewayNode.close().toCompletionStage().toCompletableFuture().orTimeout(30, TimeUnit.SECONDS).join();
    engines.forEach(LlamaEngine::close);
    deleteTree(credentials.getParent());
  }

  static void deleteTree(Path dir) {
    try (java.util.stream.Stream<Path> s = Files.walk(dir)) {
      s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (java.io.IOException e) {
      // a temporary directory left behind is harmless
    }
  }
}
