package dev.tokenbus.bench;

import io.vertx.core.json.JsonObject;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Scale-out: aggregate streamed tokens/s of one gateway and 1, 2, 3... worker processes under a
 * saturating SSE load (as many clients as the workers have slots, each sending its next request
 * when its last stream ended), and at the largest cluster the same under overload (a multiple of
 * the slots): the gateway's admission queue, as deep as the slots, holds some requests and refuses
 * the rest with 429 (those clients wait their {@code Retry-After}). What it holds starts as soon as
 * a slot frees, so tokens/s should not drop below saturation.
 */
public final class ClusterBenchmark {

  /**
   * What to measure.
   *
   * @param threads decode threads of each worker
   * @param slots slots of each worker
   * @param roundSeconds how long the clients of one measured round keep sending
   * @param overloadFactor clients per slot in the overload figure; 1 or less skips it
   * @param otherWorkerArgs more arguments of every worker (context, batch, GPU layers)
   */
  public record Options(Path model, int threads, int slots, List<Integer> workers, int tokens, int runs,
      int roundSeconds, int overloadFactor, NodeLauncher nodes, List<String> otherWorkerArgs) {}

  /**
   * One figure: the median tok/s over the runs, TTFT pooled over the admitted streams of every run,
   * and the requests sent and refused with 429 summed over the runs.
   */
  public record Row(String load, int workers, int clients, double tokensPerSecond, double ttftP50Ms,
      double ttftP99Ms, int requests, long rejected) {}

  /** The saturated figure for each cluster size, and the overload figure of the largest (null if skipped). */
  public record Result(List<Row> scaling, Row overload) {}

  private final Options options;
  private final PrintStream out;

  public ClusterBenchmark(Options options, PrintStream out) {
    this.options = options;
    this.out = out;
  }

  /** Cores this JVM may use: what {@code nproc} prints. */
  public static int cores() {
    return Runtime.getRuntime().availableProcessors();
  }

  public Result run() throws Exception {
    String body = new JsonObject().put("prompt", "Once upon a time").put("max_tokens", options.tokens())
        .put("temperature", 0).put("timeout_ms", 600_000).encode();
    out.printf(Locale.ROOT, "cluster benchmark: %s, %d tokens per stream, workers of %d thread(s) and %d slots,"
        + " median of %d runs of %d s%n", options.model().getFileName(), options.tokens(), options.threads(),
        options.slots(), options.runs(), options.roundSeconds());
    out.println(coreCaveat());
    List<Row> scaling = new ArrayList<>();
    Row overload = null;
    for (int n : options.workers()) {
      int slots = n * options.slots();
      out.printf(Locale.ROOT, "starting a gateway and %d worker process(es) ...%n", n);
      // The queue is as deep as the slots: under overload, one slots' worth waits and the rest is refused.
      List<String> workerArgs = new ArrayList<>(LocalCluster.workerArgs(options.model(), options.threads(),
          options.slots()));
      workerArgs.addAll(options.otherWorkerArgs());
      try (LocalCluster cluster = LocalCluster.start(options.nodes(), n, workerArgs,
          List.of("--queue-size", Integer.toString(slots)), null)) {
        SseLoad load = new SseLoad(cluster.port());
        scaling.add(measure("saturation", n, slots, load, body));
        if (n == largest() && options.overloadFactor() > 1) {
          overload = measure("overload", n, slots * options.overloadFactor(), load, body);
        }
      }
    }
    Result result = new Result(scaling, overload);
    out.println();
    out.print(scalingTable(result));
    out.println();
    out.print(overloadTable(result));
    return result;
  }

  private Row measure(String label, int workers, int clients, SseLoad load, String body) throws Exception {
    Duration round = Duration.ofSeconds(options.roundSeconds());
    Rounds.Summary s = Rounds.measure(options.runs(), 1, () -> load.runFor(clients, round, body));
    Row row = new Row(label, workers, clients, s.tokensPerSecond(), s.ttftMs(50), s.ttftMs(99), s.requests(),
        s.rejected());
    out.printf(Locale.ROOT, "  %d worker(s), %d clients (%s): %,.0f tok/s, %d of %d requests refused with 429%n",
        workers, clients, label, row.tokensPerSecond(), row.rejected(), row.requests());
    return row;
  }

  /** Why the figures cannot grow linearly with the workers on this machine. */
  public String coreCaveat() {
    return String.format(Locale.ROOT, "nproc: %d. The workers (%d decode thread(s) each), the gateway and the"
        + " benchmark's SSE clients all share these cores: tok/s can grow with the workers only while they have"
        + " cores to themselves, so %d worker(s) on %d cores cannot scale linearly.", cores(), options.threads(),
        largest(), cores());
  }

  private int largest() {
    return options.workers().stream().mapToInt(Integer::intValue).max().orElse(1);
  }

  /** Tok/s at each cluster size, in Markdown. */
  public static String scalingTable(Result r) {
    StringBuilder md = new StringBuilder()
        .append("| workers | clients | tok/s | vs ").append(r.scaling().getFirst().workers())
        .append(r.scaling().getFirst().workers() == 1 ? " worker" : " workers").append(" | TTFT p50 ms | TTFT p99 ms |\n")
        .append("|---:|---:|---:|---:|---:|---:|\n");
    double base = r.scaling().getFirst().tokensPerSecond();
    for (Row row : r.scaling()) {
      md.append(String.format(Locale.ROOT, "| %d | %d | %,.0f | %.2fx | %s | %s |%n", row.workers(), row.clients(),
          row.tokensPerSecond(), row.tokensPerSecond() / base, StreamBenchmark.ms(row.ttftP50Ms()),
          StreamBenchmark.ms(row.ttftP99Ms())));
    }
    return md.toString();
  }

  /** Saturation next to overload at the largest cluster, in Markdown; empty when overload was skipped. */
  public static String overloadTable(Result r) {
    if (r.overload() == null) {
      return "";
    }
    Row sat = r.scaling().stream().filter(x -> x.workers() == r.overload().workers()).findFirst().orElseThrow();
    StringBuilder md = new StringBuilder()
        .append("| load at ").append(sat.workers()).append(sat.workers() == 1 ? " worker" : " workers")
        .append(" | clients | requests refused with 429 |"
            + " tok/s | vs saturation | TTFT p50 ms | TTFT p99 ms |\n")
        .append("|---|---:|---:|---:|---:|---:|---:|\n");
    for (Row row : List.of(sat, r.overload())) {
      md.append(String.format(Locale.ROOT, "| %s | %d | %d of %d | %,.0f | %.2fx | %s | %s |%n", row.load(),
          row.clients(), row.rejected(), row.requests(), row.tokensPerSecond(),
          row.tokensPerSecond() / sat.tokensPerSecond(), StreamBenchmark.ms(row.ttftP50Ms()),
          StreamBenchmark.ms(row.ttftP99Ms())));
    }
    return md.toString();
  }
}
