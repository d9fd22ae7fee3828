package dev.tokenbus.bench;

import dev.tokenbus.cluster.ClusterNode;
import dev.tokenbus.cluster.ClusterOptions;
import dev.tokenbus.engine.LlamaEngine;
import dev.tokenbus.gateway.GatewayOptions;
import dev.tokenbus.gateway.GatewayVerticle;
import dev.tokenbus.gateway.dispatch.DispatchOptions;
import dev.tokenbus.worker.WorkerOptions;
import dev.tokenbus.worker.WorkerVerticle;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/** A gateway and a worker around an already started engine, in this JVM, on a node of their own (no cluster), as {@code tokenbus standalone} runs. */
final class StandaloneNode implements AutoCloseable {

  private final ClusterNode node;
  private final int port;

  private StandaloneNode(ClusterNode node, int port) {
    this.node = node;
    this.port = port;
  }

  static StandaloneNode start(LlamaEngine engine) throws Exception {
    ClusterNode node = ClusterNode.start(ClusterOptions.standalone())
        .await(60, TimeUnit.SECONDS);
    try {
      node.vertx().deployVerticle(WorkerVerticle.forNode(node, engine, WorkerOptions.defaults("bench")))
          .await(30, TimeUnit.SECONDS);
      GatewayVerticle gateway = GatewayVerticle.forNode(node, GatewayOptions.defaults().withPort(0),
          DispatchOptions.defaults());
      node.vertx().deployVerticle(gateway).await(30, TimeUnit.SECONDS);
      GatewayStatus.awaitWorkers(gateway.port(), 1, Duration.ofSeconds(60), () -> null);
      return new StandaloneNode(node, gateway.port());
    } catch (Exception e) {
      node.close().await(30, TimeUnit.SECONDS);
      throw e;
    }
  }

  int port() {
    return port;
  }

  @Override
  public void close() throws Exception {
    node.close().await(30, TimeUnit.SECONDS);
  }
}
