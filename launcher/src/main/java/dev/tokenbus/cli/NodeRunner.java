package dev.tokenbus.cli;

import dev.tokenbus.cluster.ClusterNode;
import dev.tokenbus.cluster.ClusterOptions;
import dev.tokenbus.engine.LlamaEngine;
import io.vertx.core.Deployable;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs a node until the process is asked to stop: joins the cluster, deploys the role's
 * verticles, and on SIGTERM/SIGINT undeploys them, leaves the cluster and frees the engine.
 */
final class NodeRunner {

  private static final Logger LOG = LoggerFactory.getLogger(NodeRunner.class);

  private NodeRunner() {}

  /**
   * @param engine the engine this node serves, or null (a gateway); closed at shutdown
   * @param verticles the verticles to deploy, given the cluster node
   * @param onReady printed once everything is up
   */
  static int run(ClusterOptions cluster, LlamaEngine engine, Function<ClusterNode, List<Deployable>> verticles,
      Runnable onReady) {
    ClusterNode node;
    try {
      node = ClusterNode.start(cluster).await(60, TimeUnit.SECONDS);
    } catch (Exception e) {
      LOG.error("could not join the cluster: {}", e.toString(), e);
      if (engine != null) {
        engine.close();
      }
      return 2;
    }
    List<String> deployments = new ArrayList<>();
    try {
      for (Deployable v : verticles.apply(node)) {
        deployments.add(node.vertx().deployVerticle(v).await(60, TimeUnit.SECONDS));
      }
    } catch (Exception e) {
      LOG.error("could not start: {}", e.getMessage(), e);
      shutdown(node, engine);
      return 2;
    }
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(Thread.ofPlatform().name("tokenbus-shutdown").unstarted(() -> {
      LOG.info("shutting down");
      shutdown(node, engine);
      stopped.countDown();
    }));
    onReady.run();
    try {
      stopped.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return 0;
  }

  private static void shutdown(ClusterNode node, LlamaEngine engine) {
    try {
      node.close().await(30, TimeUnit.SECONDS); // undeploys verticles (streams cancelled), leaves the cluster
    } catch (Exception e) {
      LOG.warn("cluster shutdown: {}", e.getMessage());
    }
    if (engine != null) {
      engine.close();
    }
  }
}
