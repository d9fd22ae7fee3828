package dev.tokenbus.cli;

import dev.tokenbus.bench.AotTraining;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code tokenbus aot-train}: the training run of the JVM's ahead-of-time cache. The build runs it
 * with {@code -XX:AOTCacheOutput} right after packaging the jar (and the Docker image against its own
 * jar); the JVM writes the cache when it exits. Hidden: it is of no use to run by hand.
 */
@Command(name = "aot-train", hidden = true, mixinStandardHelpOptions = true,
    description = "The training workload of the AOT cache: a standalone node and a clustered gateway + worker on"
        + " the generated demo model, every route a client uses, then exit.")
final class AotTrainCommand implements Callable<Integer> {

  @Option(names = "--rounds", defaultValue = "100",
      description = "Times the standalone node gets every route (default: ${DEFAULT-VALUE}).")
  int rounds;

  @Option(names = "--cluster-rounds", defaultValue = "20",
      description = "Times the clustered gateway + worker get every route; 0 skips them (default: ${DEFAULT-VALUE}).")
  int clusterRounds;

  @Override
  public Integer call() throws Exception {
    new AotTraining(rounds, clusterRounds, System.out).run();
    return 0;
  }
}
