package dev.tokenbus.bench;

import dev.tokenbus.engine.EngineConfig;
import dev.tokenbus.engine.bench.EngineBenchmark;
import dev.tokenbus.engine.llama.Llama;
import dev.tokenbus.engine.llama.LlamaRelease;
import dev.tokenbus.engine.llama.LlamaReleases;
import dev.tokenbus.engine.llama.NativeModel;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Runs the engine, stream and memory benchmarks and writes their figures as one Markdown report,
 * with the machine, the model and the commands that reproduce it.
 */
public final class BenchmarkReport {

  /**
   * What to measure and where to write it.
   *
   * @param command the command line that produced the report, shown in it
   * @param modelArg the {@code --model} value the sub-benchmarks are reproduced with
   * @param nodes starts the gateway and worker processes
   * @param cluster the scale-out figures to measure
   */
  public record Options(EngineConfig engine, String modelArg, int tokens, List<Integer> concurrency, int runs,
      int idleStreams, NodeLauncher nodes, ClusterBenchmark.Options cluster, CompareBenchmark.Options compare,
      String command, Path out) {}

  private static final String PROMPT = "Once upon a time";
  private static final double ENGINE_TEMPERATURE = 0.8;

  private final Options options;
  private final PrintStream log;

  public BenchmarkReport(Options options, PrintStream log) {
    this.options = options;
    this.log = log;
  }

  public void run() throws Exception {
    long t0 = System.nanoTime();
    String machine = MachineInfo.describe();
    String model = describeModel(options.engine());
    // Memory first, while the JVM holds nothing left over from the throughput runs.
    log.printf("memory benchmark: %d idle streams on a standalone node%n", options.idleStreams());
    StreamMemory.Result memory = StreamMemory.measure(options.engine(), options.idleStreams());
    // The engine alone on each llama.cpp release, one after the other; the configured one also feeds the tables below.
    LlamaRelease configured = Llama.open(options.engine().llamaProfile(), options.engine().nativeLibrary()).release();
    Map<LlamaRelease, List<EngineBenchmark.Row>> byProfile = new LinkedHashMap<>();
    for (LlamaRelease profile : options.engine().nativeLibrary() == null ? LlamaReleases.ALL
        : List.of(configured)) {
      log.printf("engine benchmark on llama.cpp %s%n", profile);
      byProfile.put(profile, new EngineBenchmark(new EngineBenchmark.Options(options.engine().withLlamaProfile(profile),
          PROMPT, options.tokens(), options.concurrency(), options.runs(), ENGINE_TEMPERATURE), log).run());
    }
    List<EngineBenchmark.Row> engineRows = byProfile.get(configured);
    List<StreamBenchmark.Row> streamRows = new StreamBenchmark(new StreamBenchmark.Options(options.engine(),
        options.tokens(), options.concurrency(), options.runs(), options.nodes()), log).run();
    ClusterBenchmark cluster = new ClusterBenchmark(options.cluster(), log);
    ClusterBenchmark.Result clusterResult = cluster.run();
    List<CompareBenchmark.Row> compareRows = options.compare() == null ? null
        : new CompareBenchmark(options.compare(), log).run();
    double seconds = (System.nanoTime() - t0) / 1e9;

    StringBuilder md = new StringBuilder();
    header(md, machine, model, seconds);
    engineTable(md, engineRows, configured);
    profileTable(md, byProfile);
    streamTable(md, streamRows);
    clusterTables(md, cluster, clusterResult);
    if (compareRows != null) {
      compareTables(md, compareRows);
    }
    memoryTable(md, memory);
    Path out = options.out().toAbsolutePath();
    Files.createDirectories(out.getParent());
    Files.writeString(out, md + keptSections(out));
    log.printf(Locale.ROOT, "wrote %s in %.0f s%n", options.out(), seconds);
  }

  /**
   * The line after which a report file holds sections measured by hand (other benchmarks, runs with
   * other settings, analysis): a new report replaces what is above it and keeps the rest.
   */
  static final String KEEP_MARKER = "<!-- Sections measured by hand: bench report keeps everything below this line. -->";

  /** What {@code out} holds from {@link #KEEP_MARKER} on (with a blank line before it), or nothing. */
  static String keptSections(Path out) throws IOException {
    if (!Files.isRegularFile(out)) {
      return "";
    }
    String old = Files.readString(out);
    int at = old.indexOf(KEEP_MARKER);
    return at < 0 ? "" : "\n" + old.substring(at);
  }

  private void compareTables(StringBuilder md, List<CompareBenchmark.Row> rows) {
    CompareBenchmark.Options c = options.compare();
    md.append("## Against llama-server, this report's run\n\n")
        .append("llama.cpp's `llama-server` (").append(c.llamaServer().getFileName())
        .append(") and tokenbus on the same model, threads and slots, measured one after the other"
            + " (`bin/tokenbus bench compare`). TTFT, by each client style in turn (").append(c.clients().stream()
            .map(ClientStyle::label).collect(Collectors.joining(", "))).append("): ").append(c.ttftRequests())
        .append(" requests per run, one at a time, each on a new connection, timed from just before the connection"
            + " opens to the first token event, prompt \"").append(c.prompt())
        .append("\", ").append(c.ttftTokens()).append(" tokens. tok/s, by the ").append(CompareBenchmark.THROUGHPUT_CLIENT
            .label()).append(" client: up to ").append(c.tokens())
        .append(" tokens per stream, after ").append(c.warmupSeconds())
        .append(" s of warm-up per server. Greedy; llama-server's `cache_prompt` and `-fa` follow tokenbus's prefix"
            + " cache and flash-attention settings. nproc: ").append(Runtime.getRuntime().availableProcessors())
        .append(".\n\n").append(CompareBenchmark.table(rows)).append('\n');
  }

  private void header(StringBuilder md, String machine, String model, double seconds) {
    String conc = options.concurrency().stream().map(String::valueOf).collect(Collectors.joining(","));
    String common = " --model " + options.modelArg() + " --threads " + options.engine().effectiveThreads()
        + " --tokens " + options.tokens() + " --concurrency " + conc + " --runs " + options.runs();
    md.append("# Benchmarks\n\n")
        .append("Generated by `bin/tokenbus bench report` on ").append(LocalDate.now()).append(" in ")
        .append(String.format(Locale.ROOT, "%.0f", seconds)).append(" s. The sections down to the marker comment near the end are generated: run the command again rather"
            + " than editing them. The sections after it are measured by hand, and a new report keeps them.\n\n")
        .append("Every tok/s figure is the median of ").append(options.runs())
        .append(" measured runs after a warm-up, on a shared machine (")
        .append(Runtime.getRuntime().availableProcessors())
        .append(" cores) whose other load comes and goes: compare the ratios to the engine alone, measured in the same"
            + " run, rather than absolute figures across reports. Latency percentiles pool every stream of every"
            + " measured run.\n\n")
        .append("## Machine\n\n").append(machine).append('\n')
        .append("## Model\n\n").append(model).append('\n')
        .append("## Commands\n\n```sh\n").append(options.command()).append("\n```\n\n")
        .append("The sections below can be reproduced one at a time with:\n\n```sh\n")
        .append("bin/tokenbus bench engine").append(common).append(" --temperature ").append(ENGINE_TEMPERATURE)
        .append("\nbin/tokenbus bench stream").append(common)
        .append("\nbin/tokenbus bench cluster --model ").append(options.modelArg()).append(" --threads ")
        .append(options.cluster().threads()).append(" --slots ").append(options.cluster().slots())
        .append(" --workers ").append(options.cluster().workers().stream().map(String::valueOf)
            .collect(Collectors.joining(",")))
        .append(" --tokens ").append(options.cluster().tokens()).append(" --runs ").append(options.cluster().runs())
        .append(" --seconds ").append(options.cluster().roundSeconds()).append(" --overload ").append(options.cluster().overloadFactor()).append("\n```\n\n");
  }

  private void engineTable(StringBuilder md, List<EngineBenchmark.Row> rows, LlamaRelease profile) {
    md.append("## Engine alone\n\n")
        .append("On llama.cpp ").append(profile).append(". ")
        .append("The engine's full loop (scheduling, sampling, text, sinks) in one process, prompt \"").append(PROMPT)
        .append("\", ").append(options.tokens()).append(" tokens per sequence, temperature ").append(ENGINE_TEMPERATURE)
        .append(", next to a loop that only calls `llama_decode` on the same tokens in the same batches. The ratio is"
            + " what the engine costs on top of llama.cpp.\n\n")
        .append("| concurrent sequences | full loop tok/s | decode-only tok/s | full / decode-only |\n")
        .append("|---:|---:|---:|---:|\n");
    for (EngineBenchmark.Row r : rows) {
      md.append(String.format(Locale.ROOT, "| %d | %,.0f | %,.0f | %.0f%% |%n", r.concurrency(),
          r.fullTokensPerSecond(), r.decodeOnlyTokensPerSecond(), 100 * r.ratio()));
    }
    md.append('\n');
  }

  /** The engine alone on each llama.cpp release (same settings, one after the other in one process). */
  private void profileTable(StringBuilder md, Map<LlamaRelease, List<EngineBenchmark.Row>> byProfile) {
    if (byProfile.size() < 2) {
      return;
    }
    md.append("## llama.cpp releases\n\n")
        .append("The engine alone as above, on each supported llama.cpp release (`--llama-profile`), measured one after"
            + " the other in the same process: v0.5.0 with a KV cache per sequence and flash attention where the"
            + " backend has it, b4916 with one KV pool shared by all sequences.\n\n")
        .append("| concurrent sequences |");
    byProfile.keySet().forEach(p -> md.append(' ').append(p).append(" full loop tok/s | ").append(p)
        .append(" decode-only tok/s |"));
    md.append("\n|---:|");
    byProfile.keySet().forEach(p -> md.append("---:|---:|"));
    md.append('\n');
    for (int i = 0; i < options.concurrency().size(); i++) {
      md.append("| ").append(options.concurrency().get(i)).append(" |");
      for (List<EngineBenchmark.Row> rows : byProfile.values()) {
        EngineBenchmark.Row r = rows.get(i);
        md.append(String.format(Locale.ROOT, " %,.0f | %,.0f |", r.fullTokensPerSecond(), r.decodeOnlyTokensPerSecond()));
      }
      md.append('\n');
    }
    md.append('\n');
  }

  private void streamTable(StringBuilder md, List<StreamBenchmark.Row> rows) {
    md.append("## Streamed over SSE\n\n")
        .append("Greedy generations of up to ").append(options.tokens())
        .append(" tokens per stream, read by SSE clients in the benchmark's JVM: the engine alone (no HTTP, the"
            + " baseline), a standalone node (gateway and worker in one JVM) and a gateway and a worker as separate"
            + " processes, on the cluster's event bus (TLS with mutual authentication, the default) and on a plain-text"
            + " one (`--cluster-tls false`): the difference between those two rows is what TLS costs. TTFT is from sending the request to the first token event; ITL is the gap between"
            + " consecutive token events of one stream (the engine alone records no gaps); an ITL near 0 means tokens"
            + " arrive in bursts, several events in one network read.\n\n")
        .append("| path | streams | tok/s | vs engine alone | TTFT p50 ms | TTFT p99 ms | ITL p50 ms | ITL p99 ms |\n")
        .append("|---|---:|---:|---:|---:|---:|---:|---:|\n");
    for (StreamBenchmark.Row r : rows) {
      md.append(String.format(Locale.ROOT, "| %s | %d | %,.0f | %.0f%% | %s | %s | %s | %s |%n", r.path(),
          r.concurrency(), r.tokensPerSecond(), 100 * StreamBenchmark.vsEngineAlone(rows, r),
          StreamBenchmark.ms(r.ttftP50Ms()), StreamBenchmark.ms(r.ttftP99Ms()), StreamBenchmark.ms(r.itlP50Ms()),
          StreamBenchmark.ms(r.itlP99Ms())));
    }
    md.append('\n');
  }

  private void clusterTables(StringBuilder md, ClusterBenchmark cluster, ClusterBenchmark.Result r) {
    ClusterBenchmark.Options c = options.cluster();
    md.append("## Scale-out: one gateway, several worker processes\n\n")
        .append("A gateway and ").append(c.workers().stream().map(String::valueOf).collect(Collectors.joining(", ")))
        .append(" worker processes (").append(c.threads()).append(" decode thread(s) and ").append(c.slots())
        .append(" slots each), every one its own JVM on loopback, under as many SSE clients as the workers have"
            + " slots (saturation); each client sends its next greedy generation of up to ").append(c.tokens())
        .append(" tokens as soon as its last one ended. A run lasts ").append(c.roundSeconds())
        .append(" s and counts the tokens that arrived within it. ").append(cluster.coreCaveat()).append("\n\n")
        .append(ClusterBenchmark.scalingTable(r)).append('\n');
    if (r.overload() != null) {
      md.append("Overload: ").append(c.overloadFactor()).append(" clients per slot, with the gateway's admission"
          + " queue as deep as the slots (`--queue-size`): a slots' worth runs, up to as many wait, the rest are"
          + " refused with 429 and `Retry-After`, and those clients wait that long before they send again (429s"
          + " counted over all measured runs). What waits starts as soon as a slot frees, so the tok/s should not"
          + " fall below saturation's.\n\n")
          .append(ClusterBenchmark.overloadTable(r)).append('\n');
    }
  }

  private static void memoryTable(StringBuilder md, StreamMemory.Result m) {
    md.append("## Memory per open stream\n\n")
        .append("A standalone node with ").append(m.streams()).append(" streams open and idle (each has read its"
            + " first token; `stream_delay_ms` holds back the next), against the same node with none. Heap is the"
            + " JVM heap in use after `System.gc()`; RSS is the process's VmRSS, so it includes the native KV cache"
            + " only as its pages are touched. The clients are plain sockets in the same JVM, with no buffers of"
            + " their own. One measurement, not a median: small differences are noise.\n\n")
        .append("| | no streams | ").append(m.streams()).append(" streams | per stream |\n")
        .append("|---|---:|---:|---:|\n")
        .append(String.format(Locale.ROOT, "| heap after GC | %s | %s | %s |%n", mib(m.before().heapBytes()),
            mib(m.with().heapBytes()), kib(m.heapPerStream())))
        .append(String.format(Locale.ROOT, "| RSS | %s | %s | %s |%n", mib(m.before().rssBytes()),
            mib(m.with().rssBytes()), kib(m.rssPerStream())))
        .append(String.format(Locale.ROOT, "| KV cells (`kv_used`) | %d | %d | %.1f |%n", m.before().kvUsed(),
            m.with().kvUsed(), m.kvPerStream()))
        .append('\n');
  }

  private static String mib(long bytes) {
    return bytes < 0 ? "–" : String.format(Locale.ROOT, "%.1f MiB", bytes / 1048576.0);
  }

  private static String kib(double bytes) {
    return String.format(Locale.ROOT, "%.1f KiB", bytes / 1024);
  }

  private static String describeModel(EngineConfig cfg) throws IOException {
    Path file = cfg.model();
    StringBuilder sb = new StringBuilder()
        .append("- file: `").append(file.getFileName()).append("`\n")
        .append(String.format(Locale.ROOT, "- size: %.2f MB%n", Files.size(file) / 1e6));
    try (NativeModel model = Llama.open(cfg.llamaProfile(), cfg.nativeLibrary()).loadModel(file, 0)) {
      sb.append(String.format(Locale.ROOT, "- parameters: %,d%n", model.parameterCount()))
          .append("- llama.cpp description: ").append(model.description()).append('\n')
          .append("- trained context: ").append(model.contextTrain()).append(" tokens\n");
    }
    sb.append("- engine: ").append(cfg.effectiveThreads()).append(" decode thread(s), ").append(cfg.slots())
        .append(" slots\n");
    return sb.toString();
  }

  /** The machine's cores, memory, OS, JDK and CPU model. */
  private static final class MachineInfo {

    static String describe() {
      var os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
      return "- CPU: " + cpuModel() + "\n"
          + "- cores available to the JVM: " + Runtime.getRuntime().availableProcessors() + "\n"
          + String.format(Locale.ROOT, "- memory: %.1f GiB%n", os.getTotalMemorySize() / 1073741824.0)
          + "- OS: " + System.getProperty("os.name") + " " + System.getProperty("os.version") + " ("
          + System.getProperty("os.arch") + ")\n"
          + "- JDK: " + System.getProperty("java.vm.vendor") + " " + System.getProperty("java.vm.name") + " "
          + Runtime.version() + "\n";
    }

    private static String cpuModel() {
      try {
        return Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("model name"))
            .map(l -> l.substring(l.indexOf(':') + 1).trim()).findFirst().orElse("unknown");
      } catch (IOException e) {
        return "unknown";
      }
    }
  }
}
