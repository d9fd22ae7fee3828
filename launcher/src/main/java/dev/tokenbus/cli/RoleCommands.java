package dev.tokenbus.cli;

import dev.tokenbus.dispatch.ClientOptions;
import dev.tokenbus.engine.EngineConfig;
import dev.tokenbus.engine.LlamaEngine;
import dev.tokenbus.engine.ModelLoadException;
import dev.tokenbus.http.GatewayOptions;
import dev.tokenbus.http.GatewayVerticle;
import dev.tokenbus.worker.WorkerOptions;
import dev.tokenbus.worker.WorkerVerticle;
import io.vertx.core.Deployable;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** The three roles a node can play. */
final class RoleCommands {

  private RoleCommands() {}

  @Command(name = "standalone", mixinStandardHelpOptions = true,
      description = "One node holding a gateway and a worker: the default on one machine.")
  static final class Standalone implements Callable<Integer> {
    @Mixin EngineOptions engine;
    @Mixin HttpArgs http;
    @Mixin ClusterArgs cluster;
    @Mixin WorkerArgs worker;

    @Override
    public Integer call() {
      LlamaEngine e = startEngine(engine.toConfig());
      if (e == null) {
        return 2;
      }
      GatewayOptions gw = http.toOptions();
      GatewayVerticle[] gateway = new GatewayVerticle[1];
      return NodeRunner.run(cluster.toOptions(), e, node -> {
        gateway[0] = new GatewayVerticle(gw, ClientOptions.defaults(), node.membership());
        List<Deployable> list = new ArrayList<>();
        list.add(new WorkerVerticle(e, worker.toOptions(e), node.membership()));
        list.add(gateway[0]);
        return list;
      }, () -> ready(gw.host(), gateway[0].port()));
    }
  }

  @Command(name = "gateway", mixinStandardHelpOptions = true,
      description = "A gateway: HTTP, SSE and WebSocket in front of the cluster's workers.")
  static final class Gateway implements Callable<Integer> {
    @Mixin HttpArgs http;
    @Mixin ClusterArgs cluster;

    @Override
    public Integer call() {
      GatewayOptions gw = http.toOptions();
      GatewayVerticle[] gateway = new GatewayVerticle[1];
      return NodeRunner.run(cluster.toOptions(), null, node -> {
        gateway[0] = new GatewayVerticle(gw, ClientOptions.defaults(), node.membership());
        return List.of(gateway[0]);
      }, () -> ready(gw.host(), gateway[0].port()));
    }
  }

  @Command(name = "worker", mixinStandardHelpOptions = true, description = "A worker: holds a model and generates.")
  static final class Worker implements Callable<Integer> {
    @Mixin EngineOptions engine;
    @Mixin ClusterArgs cluster;
    @Mixin WorkerArgs worker;

    @Override
    public Integer call() {
      LlamaEngine e = startEngine(engine.toConfig());
      if (e == null) {
        return 2;
      }
      return NodeRunner.run(cluster.toOptions(), e,
          node -> List.of(new WorkerVerticle(e, worker.toOptions(e), node.membership())),
          () -> System.out.println("tokenbus worker ready: model '" + worker.toOptions(e).modelName() + "'"));
    }
  }

  /** Worker options shared by standalone and worker. */
  static final class WorkerArgs {
    @Option(names = "--model-name", defaultValue = "${env:TOKENBUS_MODEL_NAME}",
        description = "Name the model is served under (env TOKENBUS_MODEL_NAME). Default: the file name.")
    String modelName;

    @Option(names = "--coalesce-ms", defaultValue = "${env:TOKENBUS_COALESCE_MS:-1}",
        description = "Tokens closer together than this share one event-bus message (env TOKENBUS_COALESCE_MS, "
            + "default ${DEFAULT-VALUE}; 0 sends each at once).")
    long coalesceMs;

    WorkerOptions toOptions(LlamaEngine engine) {
      String name = modelName != null && !modelName.isBlank() ? modelName
          : engine.model().file().getFileName().toString().replaceFirst("\\.gguf$", "");
      return WorkerOptions.defaults(name).withCoalesceMs(coalesceMs);
    }
  }

  private static LlamaEngine startEngine(EngineConfig config) {
    try {
      return LlamaEngine.start(config);
    } catch (ModelLoadException e) {
      System.err.println("tokenbus: " + e.getMessage());
      return null;
    }
  }

  private static void ready(String host, int port) {
    System.out.println("tokenbus is ready: http://" + host + ":" + port + "/  (POST /v1/generate, GET /v1/ws, GET /v1/status)");
  }
}
