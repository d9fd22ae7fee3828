package dev.tokenbus.cli;

import dev.tokenbus.cluster.ClusterNode;
import dev.tokenbus.cluster.ClusterOptions;
import dev.tokenbus.engine.Engine;
import java.util.ArrayList;
import dev.tokenbus.gateway.api.ops.OpsRoutes;
import io.vertx.core.Deployable;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs a node until the process is asked to stop. Order matters for readiness: join the cluster,
 * start what answers {@code /ready} (503 meanwhile), load the model (one engine per worker), deploy
 * the workers, and only then report ready. On SIGTERM/SIGINT: undeploy (Vert.x undeploys every
 * verticle at once, so a node's workers drain together, not one after the other), leave the
 * cluster, free the engines.
 */
final class NodeRunner {

  private static final Logger LOG = LoggerFactory.getLogger(NodeRunner.class);

  /** What a role runs. Each step may be empty. */
  interface Role {
    /** Verticles that start before the model loads (a gateway, an operations server). */
    List<Deployable> front(ClusterNode node, OpsRoutes ops);

    /**
     * Starts the engines, one per worker this node runs (none for a role without a model). Blocking.
     * Each engine started is added to {@code started} at once, so that a failure part-way closes
     * the ones already running.
     */
    void engines(List<Engine> started);

    /** Verticles that need the engines (the workers). */
    List<Deployable> back(ClusterNode node, List<Engine> engines);

    /** Printed once everything is up. */
    String readyMessage();
  }

  private NodeRunner() {}

  static int run(ClusterOptions cluster, Role role) {
    ClusterNode node;
    try {
      node = ClusterNode.start(cluster).await(60, TimeUnit.SECONDS);
    } catch (Exception e) {
      LOG.error("could not join the cluster: {}", e.toString(), e);
      return 2;
    }
    OpsRoutes ops = new OpsRoutes(node.vertx());
    boolean[] serving = new boolean[1];
    ops.readyWhen("node", () -> serving[0] ? null : "starting");
    List<Engine> engines = new ArrayList<>();
    try {
      deploy(node, role.front(node, ops));
      role.engines(engines);
      if (!engines.isEmpty()) {
        ops.readyWhen("model", () -> failure(engines));
      }
      deploy(node, role.back(node, List.copyOf(engines)));
    } catch (Exception e) {
      // The message says what is wrong (a model that cannot be had or loaded, a port in use); the trace is for debugging.
      LOG.error("could not start: {}", e.getMessage());
      LOG.debug("start failure", e);
      shutdown(node, engines);
      return 2;
    }
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(Thread.ofPlatform().name("tokenbus-shutdown").unstarted(() -> {
      LOG.info("shutting down");
      if (dev.tokenbus.trace.FirstTokenTrace.ENABLED) {
        // The stage table for bench compare, which reads it from the node's log (-Dtokenbus.trace.first-token=true).
        LOG.info("{}{}", dev.tokenbus.trace.FirstTokenTrace.LOG_HEADER, dev.tokenbus.trace.FirstTokenTrace.summary());
      }
      shutdown(node, engines);
      stopped.countDown();
    }));
    serving[0] = true;
    System.out.println(role.readyMessage());
    try {
      stopped.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return 0;
  }

  /**
   * Deploys {@code verticles} all at once (a node's many workers register their addresses in the
   * cluster together, not one after the other) and waits for every one; the first failure is thrown.
   */
  private static void deploy(ClusterNode node, List<Deployable> verticles) throws Exception {
    List<io.vertx.core.Future<String>> deployed = new ArrayList<>();
    for (Deployable v : verticles) {
      deployed.add(node.vertx().deployVerticle(v));
    }
    io.vertx.core.Future.all(deployed).await(60, TimeUnit.SECONDS);
  }

  /** Why an engine of this node can no longer generate, or null while all can. */
  private static String failure(List<Engine> engines) {
    for (Engine e : engines) {
      if (e.failure() != null) {
        return "the engine failed: " + e.failure();
      }
    }
    return null;
  }

  private static void shutdown(ClusterNode node, List<Engine> engines) {
    try {
      node.close().await(30, TimeUnit.SECONDS); // undeploys verticles (streams cancelled), leaves the cluster
    } catch (Exception e) {
      LOG.warn("cluster shutdown: {}", e.getMessage());
    }
    for (Engine e : engines) {
      e.close();
    }
  }

  /** A verticle that only serves the operations routes, for a node without a gateway. */
  static Deployable opsServer(ClusterNode node, OpsRoutes ops, String host, int port, Supplier<String> announce) {
    return new io.vertx.core.VerticleBase() {
      @Override
      public io.vertx.core.Future<?> start() {
        return ops.listen(host, port, node.metrics())
            .onSuccess(s -> LOG.info("operations endpoints (/health, /ready, /metrics) on http://{}:{}{}", host,
                s.actualPort(), announce.get()));
      }
    };
  }
}
