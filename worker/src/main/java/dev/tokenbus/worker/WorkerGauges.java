package dev.tokenbus.worker;

import dev.tokenbus.engine.Engine;
import dev.tokenbus.engine.EngineStats;
import dev.tokenbus.metrics.TokenbusMetrics;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.ToDoubleFunction;

/**
 * The engines' load as gauges, under vLLM's names where they mean the same: one series per node,
 * summed over the engines of every worker the node runs ({@code --instances}); the KV-cache
 * fraction is of all their cells together. A node's workers stop with it, so an engine once added
 * stays counted, and the counters never decrease.
 */
final class WorkerGauges {

  private final List<Engine> engines = new CopyOnWriteArrayList<>();

  private WorkerGauges(TokenbusMetrics metrics) {
    gauge(metrics, "vllm:num_requests_running", "Sequences generating in the last decode step", EngineStats::running);
    gauge(metrics, "vllm:num_requests_waiting", "Sequences holding a slot but not yet generating (prompt or queued)",
        st -> st.active() - st.running() - st.paused());
    gauge(metrics, "tokenbus_num_requests_paused", "Sequences paused because their client is not reading",
        EngineStats::paused);
    metrics.gauge("vllm:kv_cache_usage_perc",
        "Fraction of KV cache cells held by running sequences (cells idle slots keep for the prefix cache are free)",
        () -> this, g -> {
          double total = g.sum(EngineStats::kvCellsTotal);
          return total == 0 ? 0 : g.sum(EngineStats::kvCellsUsed) / total;
        });
    gauge(metrics, "tokenbus_prefix_cache_cells", "KV cells idle slots keep for the prefix cache",
        EngineStats::kvCellsCached);
    metrics.counter("vllm:prefix_cache_queries", "Prompt tokens looked up in the prefix cache", () -> this,
        g -> g.sum(EngineStats::prefixQueryTokens));
    metrics.counter("vllm:prefix_cache_hits", "Prompt tokens taken from the prefix cache instead of computed",
        () -> this, g -> g.sum(EngineStats::prefixHitTokens));
    gauge(metrics, "tokenbus_worker_slots", "Sequences this node's workers can run at once", EngineStats::slots);
  }

  /** Counts {@code engine} in {@code metrics}' gauges, registering them with the node's first worker; any thread. */
  static void add(TokenbusMetrics metrics, Engine engine) {
    metrics.shared(WorkerGauges.class, WorkerGauges::new).engines.add(engine);
  }

  private void gauge(TokenbusMetrics metrics, String name, String description, ToDoubleFunction<EngineStats> value) {
    metrics.gauge(name, description, () -> this, g -> g.sum(value));
  }

  private double sum(ToDoubleFunction<EngineStats> value) {
    double sum = 0;
    for (Engine e : engines) {
      sum += value.applyAsDouble(e.stats());
    }
    return sum;
  }
}
