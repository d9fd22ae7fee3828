package dev.tokenbus.cli;

import dev.tokenbus.cluster.ClusterNode;
import dev.tokenbus.cluster.ClusterOptions;
import dev.tokenbus.engine.Engine;
import dev.tokenbus.gateway.GatewayOptions;
import dev.tokenbus.gateway.GatewayVerticle;
import dev.tokenbus.gateway.api.ops.OpsRoutes;
import dev.tokenbus.gateway.dispatch.DispatchOptions;
import dev.tokenbus.worker.DrainMode;
import dev.tokenbus.worker.WorkerOptions;
import dev.tokenbus.worker.WorkerVerticle;
import io.vertx.core.Deployable;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** The three roles a node can play. */
final class RoleCommands {

  private RoleCommands() {}

  /** A role whose front is a gateway; standalone adds a worker behind it. */
  private static class GatewayRole implements NodeRunner.Role {
    private final GatewayOptions options;
    private final DispatchOptions dispatchOptions;
    private GatewayVerticle gateway;

    GatewayRole(HttpArgs http) {
      this.options = http.toOptions();
      this.dispatchOptions = http.dispatchOptions();
    }

    @Override
    public List<Deployable> front(ClusterNode node, OpsRoutes ops) {
      gateway = new GatewayVerticle(options, dispatchOptions, node.membership(), node.metrics(), ops);
      return List.of(gateway);
    }

    @Override
    public void engines(List<Engine> started) {}

    @Override
    public List<Deployable> back(ClusterNode node, List<Engine> engines) {
      return List.of();
    }

    @Override
    public String readyMessage() {
      return "tokenbus is ready: http://" + options.host() + ":" + gateway.port()
          + "/  (POST /v1/generate, GET /v1/ws, POST /v1/chat/completions, POST /v1/completions, POST /v1/responses,"
          + " POST /v1/messages, POST /v1/embeddings, GET /v1/status)"
          + (options.apiKeys().isEmpty() ? "" : "; /v1 needs an API key");
    }
  }

  @Command(name = "standalone", mixinStandardHelpOptions = true,
      description = "One node holding a gateway and a worker: the default on one machine. It joins no cluster and"
          + " listens on no cluster port unless --clustered or --cluster-members asks it to.")
  static final class Standalone implements Callable<Integer> {
    @Mixin EngineOptions engine;
    @Mixin HttpArgs http;
    @Mixin ClusterArgs cluster;
    @Mixin WorkerArgs worker;

    @Option(names = "--clustered", defaultValue = "false", arity = "1", paramLabel = "true|false",
        description = "Join (or form) a cluster, so that other workers and gateways with this cluster's credentials"
            + " can share this node (default ${DEFAULT-VALUE}: a node of its own). Implied by --cluster-members.")
    boolean clustered;

    @Override
    public Integer call() {
      engine.validate(); // every setting is checked before the node joins, listens or fetches a model
      worker.validate();
      ClusterOptions options = clustered || cluster.membersGiven()
          ? cluster.toOptions("standalone", worker.servedName(engine.expectedServedName()))
          : ClusterOptions.standalone();
      return NodeRunner.run(options, new GatewayRole(http) {
        @Override
        public void engines(List<Engine> started) {
          started.add(engine.start());
        }

        @Override
        public List<Deployable> back(ClusterNode node, List<Engine> engines) {
          return List.of(WorkerVerticle.forNode(node, engines.get(0), worker.toOptions(engine.defaultServedName())));
        }
      });
    }
  }

  @Command(name = "gateway", mixinStandardHelpOptions = true,
      description = "A gateway: HTTP, SSE and WebSocket in front of the cluster's workers.")
  static final class Gateway implements Callable<Integer> {
    @Mixin HttpArgs http;
    @Mixin ClusterArgs cluster;

    @Override
    public Integer call() {
      return NodeRunner.run(cluster.toOptions("gateway", null), new GatewayRole(http));
    }
  }

  @Command(name = "worker", mixinStandardHelpOptions = true,
      description = "A worker: holds a model and generates. With --instances N, N workers in one process.")
  static final class Worker implements Callable<Integer> {
    /** The most workers one process may run: enough for a cluster's worth of simulated workers. */
    static final int MAX_INSTANCES = 1024;

    @Mixin EngineOptions engine;
    @Mixin ClusterArgs cluster;
    @Mixin WorkerArgs worker;

    @Option(names = "--ops-host", defaultValue = "127.0.0.1",
        description = "Address of /health, /ready and /metrics (default ${DEFAULT-VALUE}).")
    String opsHost;

    @Option(names = "--ops-port", defaultValue = "0",
        description = "Port of /health, /ready and /metrics; 0 picks a free one (logged).")
    int opsPort;

    @Option(names = "--instances", defaultValue = "1", paramLabel = "N",
        description = "Workers this process runs (1 to " + MAX_INSTANCES + ", default ${DEFAULT-VALUE}), each a"
            + " worker of its own in the cluster: its id, event-bus address, slots and status. Each loads its own"
            + " engine, so N instances of a real model hold N copies of its weights: meant for many simulated"
            + " workers on one machine (--model simulated).")
    int instances;

    @Override
    public Integer call() {
      engine.validate(); // every setting is checked before the node joins, listens or fetches a model
      worker.validate();
      if (opsPort < 0 || opsPort > 65535) {
        throw new IllegalArgumentException("ops-port must be between 0 and 65535, got " + opsPort);
      }
      if (instances < 1 || instances > MAX_INSTANCES) {
        throw new IllegalArgumentException("instances must be between 1 and " + MAX_INSTANCES + ", got " + instances);
      }
      String[] model = {""};
      return NodeRunner.run(cluster.toOptions("worker", worker.servedName(engine.expectedServedName())),
          new NodeRunner.Role() {
        @Override
        public List<Deployable> front(ClusterNode node, OpsRoutes ops) {
          return List.of(NodeRunner.opsServer(node, ops, opsHost, opsPort, () -> ""));
        }

        @Override
        public void engines(List<Engine> started) {
          for (int i = 0; i < instances; i++) {
            started.add(engine.start());
          }
        }

        @Override
        public List<Deployable> back(ClusterNode node, List<Engine> engines) {
          WorkerOptions options = worker.toOptions(engine.defaultServedName());
          model[0] = options.modelName();
          return engines.stream().<Deployable>map(e -> WorkerVerticle.forNode(node, e, options)).toList();
        }

        @Override
        public String readyMessage() {
          return "tokenbus worker ready: model '" + model[0] + "'" + (instances == 1 ? "" : ", " + instances
              + " instances");
        }
      });
    }
  }

  /** Worker options shared by standalone and worker. */
  static final class WorkerArgs {
    @Option(names = "--model-name", description = "Name the model is served under. Default: the file name.")
    String modelName;

    @Option(names = "--coalesce-ms", defaultValue = "1",
        description = "Tokens closer together than this share one event-bus message ("
            + "default ${DEFAULT-VALUE}; 0 sends each at once).")
    long coalesceMs;

    @Option(names = "--worker-drain-timeout-ms", defaultValue = "30000",
        description = "At shutdown, how long running generations may finish before they are ended (default ${DEFAULT-VALUE}).")
    long drainTimeoutMs;

    @Option(names = "--worker-drain", defaultValue = "handoff", paramLabel = "MODE",
        description = "What a draining worker (SIGTERM, or POST /v1/admin/workers/{id}/drain) does with running"
            + " generations: handoff (move each with its KV cells to a compatible worker, which continues without"
            + " recomputing; replay where impossible), replay (another worker recomputes them) or wait (let them"
            + " finish here until the drain timeout). Default ${DEFAULT-VALUE}.")
    String drain;

    void validate() {
      DrainMode.parse(drain);
      if (coalesceMs < 0) {
        throw new IllegalArgumentException("coalesce-ms must be 0 or more, got " + coalesceMs);
      }
      if (drainTimeoutMs < 0) {
        throw new IllegalArgumentException("worker-drain-timeout-ms must be 0 or more, got " + drainTimeoutMs);
      }
    }

    /** The name the model is served under. */
    String servedName(String defaultName) {
      return modelName != null && !modelName.isBlank() ? modelName : defaultName;
    }

    WorkerOptions toOptions(String defaultName) {
      String name = servedName(defaultName);
      return WorkerOptions.defaults(name).withCoalesceMs(coalesceMs).withDrainTimeoutMs(drainTimeoutMs)
          .withDrain(DrainMode.parse(drain));
    }
  }
}
