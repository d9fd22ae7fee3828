package dev.tokenbus.client;

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
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real cluster in this JVM for the client's tests: gateways and one worker, each a clustered
 * Vert.x node on Hazelcast (loopback, a cluster name of its own), the worker running llama.cpp on
 * the generated tiny model.
 */
final class Nodes implements AutoCloseable {

  private final String clusterName = "client-test-" + System.nanoTime();
  /** Throwaway cluster credentials (a CA of their own) in a temporary directory. */
  private final Path credentials;

  private Nodes() throws Exception {
    credentials = Files.createTempDirectory("tokenbus-client-test").resolve("cluster");
    ClusterCredentials.create(credentials);
  }
  private final List<ClusterNode> nodes = new ArrayList<>();
  final List<GatewayVerticle> gateways = new ArrayList<>();
  LlamaEngine engine;

  /** {@code gateways} gateways (each keeping streams {@code resumeGraceMs} for a reconnect) and a worker of {@code slots}. */
  static Nodes start(int gatewayCount, long resumeGraceMs, int slots, GatewayOptions gatewayOptions) throws Exception {
    return start(gatewayCount, resumeGraceMs, slots, 1024, gatewayOptions);
  }

  /** As above, with {@code context} tokens of context per sequence. */
  static Nodes start(int gatewayCount, long resumeGraceMs, int slots, int context, GatewayOptions gatewayOptions)
      throws Exception {
    Nodes n = new Nodes();
    try {
      for (int i = 0; i < gatewayCount; i++) {
        ClusterNode node = n.node();
        GatewayVerticle gw = GatewayVerticle.forNode(node, gatewayOptions.withPort(0),
            DispatchOptions.defaults().withResumeGraceMs(resumeGraceMs));
        node.vertx().deployVerticle(gw).await(30, TimeUnit.SECONDS);
        n.gateways.add(gw);
      }
      ClusterNode node = n.node();
      n.engine = LlamaEngine.start(EngineConfig.forModel(TestModels.tiny()).withThreads(1).withSlots(slots)
          .withContextPerSequence(context));
      node.vertx().deployVerticle(WorkerVerticle.forNode(node, n.engine, WorkerOptions.defaults("tiny")))
          .await(30, TimeUnit.SECONDS);
      await().atMost(Duration.ofSeconds(30))
          .until(() -> n.gateways.stream().allMatch(g -> g.client().registry().all().size() == 1));
      return n;
    } catch (Exception | Error e) {
      n.close();
      throw e;
    }
  }

  private ClusterNode node() throws Exception {
    ClusterNode node = ClusterNode.start(ClusterOptions.isolated(clusterName, credentials)).await(60, TimeUnit.SECONDS);
    nodes.add(node);
    return node;
  }

  /** Gateway {@code i}'s base URL. */
  String url(int i) {
    return "http://127.0.0.1:" + gateways.get(i).port();
  }

  @Override
  public void close() {
    for (ClusterNode n : nodes.reversed()) {
      n.close().toCompletionStage().toCompletableFuture().orTimeout(30, TimeUnit.SECONDS).join();
    }
    if (engine != null) {
      engine.close();
    }
    try (var files = Files.walk(credentials.getParent())) {
      files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (java.io.IOException e) {
      // a temporary directory left behind is harmless
    }
  }
}
