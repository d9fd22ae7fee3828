package dev.tokenbus.bench;

import dev.tokenbus.engine.EngineConfig;
import dev.tokenbus.engine.bench.EngineBenchmark;
import dev.tokenbus.trace.FirstTokenTrace;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * tokenbus next to llama.cpp's llama-server on the same model, threads and slots, in one run, one
 * server at a time: time to first token (one request at a time, a short generation, every request on
 * a new connection), measured by each {@link ClientStyle} in turn so that no one client's habits
 * decide the figures, and streamed tok/s at the given concurrencies, measured by the raw-socket client.
 * tokenbus is measured as a standalone node process ({@code /v1/generate} and the OpenAI chat route) and as
 * gateway + worker processes. Every generation is greedy, and llama-server's {@code cache_prompt}
 * follows the engine's prefix cache, so both servers produce the same tokens (and stop at the same end
 * of text); the tokens per stream are printed to show it.
 */
public final class CompareBenchmark {

  /**
   * What to measure.
   *
   * @param engine the model, threads and slots of both servers (slots raised to the largest concurrency)
   * @param llamaServer the llama-server binary
   * @param tokens tokens per stream in the tok/s figures
   * @param ttftTokens tokens per request in the TTFT figures
   * @param ttftRequests requests per TTFT run
   * @param nodes starts tokenbus's processes: the standalone node, and gateway + worker
   * @param processes whether gateway + worker processes are measured too
   * @param otherWorkerArgs the tokenbus processes' arguments beside model, threads and slots
   * @param warmupSeconds how long each server is driven through all its routes, short requests and
   *     the largest concurrency alike, before any of them is measured: a JVM compiles its hot paths
   *     only after thousands of requests, and a server in service is warm
   * @param clients the client styles that measure TTFT, each in turn, in this order
   */
  public record Options(EngineConfig engine, Path llamaServer, String prompt, int tokens, List<Integer> concurrency,
      int runs, int ttftTokens, int ttftRequests, NodeLauncher nodes, boolean processes, List<String> otherWorkerArgs,
      int warmupSeconds, List<ClientStyle> clients) {}

  /**
   * One server and route at one concurrency (0: a TTFT row), measured by one client style (its label;
   * "–" for the rows without HTTP); latency pooled over all runs.
   *
   * @param firstByteP50Ms the median time to the response's first byte, NaN where the client does not know it
   */
  public record Row(String server, String client, int concurrency, double tokensPerSecond, double ttftP50Ms,
      double ttftP99Ms, double firstByteP50Ms, double tokensPerStream) {}

  /** The style every tok/s row is measured with. */
  static final ClientStyle THROUGHPUT_CLIENT = ClientStyle.RAW;
  /** Short requests one at a time per client style and route in each turn of the warm-up. */
  private static final int WARMUP_SEQUENTIAL = 20;
  /** The client label of the rows measured without HTTP. */
  static final String NO_CLIENT = "–";

  public static final String LLAMA_SERVER = "llama-server /completion";
  /** llama-server's OpenAI chat route, the reference of tokenbus's: both apply the chat template first. */
  public static final String LLAMA_SERVER_CHAT = "llama-server /v1/chat/completions";
  public static final String STANDALONE = "tokenbus standalone /v1/generate";
  public static final String STANDALONE_CHAT = "tokenbus standalone /v1/chat/completions";
  public static final String PROCESSES = "tokenbus gateway + worker /v1/generate";
  public static final String PROCESSES_CHAT = "tokenbus gateway + worker /v1/chat/completions";
  /** The engine's own loop in this process, no HTTP: what a server could reach with no cost of its own. */
  public static final String ENGINE = "tokenbus engine alone (no HTTP)";
  /** llama_decode alone on the same tokens and batch shapes: the ceiling for any server on this library. */
  public static final String DECODE_ONLY = "llama_decode alone (the ceiling)";

  /** The context per sequence both servers get when the configuration leaves it to the model. */
  static final int DEFAULT_CONTEXT = 1024;

  private final Options options;
  private final PrintStream out;
  /** The styles measured: {@link Options#clients} less those that cannot run here. */
  private List<ClientStyle> clients;
  private Vertx vertx;

  public CompareBenchmark(Options options, PrintStream out) {
    this.options = options;
    this.out = out;
  }

  /** Measures every server, prints the tables and returns the rows. */
  public List<Row> run() throws Exception {
    int maxConcurrency = options.concurrency().stream().mapToInt(Integer::intValue).max().orElse(1);
    EngineConfig cfg = options.engine().withSlots(Math.max(options.engine().slots(), maxConcurrency));
    if (cfg.contextPerSequence() == 0) {
      cfg = cfg.withContextPerSequence(DEFAULT_CONTEXT);
    }
    int threads = cfg.effectiveThreads();
    out.printf(Locale.ROOT, "compare: %s, %d thread(s), %d slots, %d context per sequence, nproc %d;"
            + " TTFT: %d requests of %d tokens per run, one at a time, new connection each; tok/s: %d tokens per"
            + " stream, %s client; median of %d runs%n", cfg.model().getFileName(), threads, cfg.slots(),
        cfg.contextPerSequence(), Runtime.getRuntime().availableProcessors(), options.ttftRequests(),
        options.ttftTokens(), options.tokens(), THROUGHPUT_CLIENT.label(), options.runs());
    clients = new ArrayList<>();
    for (ClientStyle c : options.clients()) {
      String unavailable = c == ClientStyle.CURL ? CurlClient.unavailable() : null;
      if (unavailable != null) {
        out.printf("client %s skipped: %s%n", c.label(), unavailable);
      } else {
        out.printf("client %s: %s%n", c.label(), c.description());
        clients.add(c);
      }
    }
    List<Row> rows = new ArrayList<>();
    engineAlone(rows, cfg);
    vertx = clients.contains(ClientStyle.VERTX) ? Vertx.vertx() : null;
    try {
      measureServers(rows, cfg, threads);
    } finally {
      if (vertx != null) {
        vertx.close().await(30, TimeUnit.SECONDS);
      }
    }
    print(rows);
    return rows;
  }

  /** llama-server, then the standalone node, then gateway + worker processes, each started, warmed up, measured and stopped. */
  private void measureServers(List<Row> rows, EngineConfig cfg, int threads) throws Exception {
    try (LlamaServer server = LlamaServer.start(options.llamaServer(), cfg.model(), threads, cfg.slots(),
        cfg.contextPerSequence(), cfg.flashAttention(), cfg.gpuLayers())) {
      warmUp(server.port(), SseLoad.Dialect.LLAMA_SERVER, SseLoad.Dialect.OPENAI_CHAT);
      measureAll(rows, LLAMA_SERVER, server.port(), SseLoad.Dialect.LLAMA_SERVER);
      measureAll(rows, LLAMA_SERVER_CHAT, server.port(), SseLoad.Dialect.OPENAI_CHAT);
    }
    List<String> workerArgs = new ArrayList<>(LocalCluster.workerArgs(cfg.model(), threads, cfg.slots()));
    workerArgs.addAll(withContext(options.otherWorkerArgs(), cfg.contextPerSequence()));
    // A process of its own, as users run it: this JVM's benchmark code and garbage stay out of its way.
    try (StandaloneProcess node = StandaloneProcess.start(options.nodes(), workerArgs)) {
      warmUp(node.port(), SseLoad.Dialect.TOKENBUS, SseLoad.Dialect.OPENAI_CHAT);
      measureAll(rows, STANDALONE, node.port(), SseLoad.Dialect.TOKENBUS);
      measureAll(rows, STANDALONE_CHAT, node.port(), SseLoad.Dialect.OPENAI_CHAT);
      if (FirstTokenTrace.ENABLED) {
        String log = node.stopAndReadLog(); // the node inherits the property and logs its stages when it stops
        int at = log.indexOf(FirstTokenTrace.LOG_HEADER);
        out.printf("%nfirst-token trace, %s (every TTFT request of both routes): %s%n", "tokenbus standalone",
            at < 0 ? "not in the node's log" : log.substring(at + FirstTokenTrace.LOG_HEADER.length()));
      }
    }
    if (options.processes()) {
      try (LocalCluster p = LocalCluster.start(options.nodes(), 1, workerArgs, List.of(), null)) {
        warmUp(p.port(), SseLoad.Dialect.TOKENBUS, SseLoad.Dialect.OPENAI_CHAT);
        measureAll(rows, PROCESSES, p.port(), SseLoad.Dialect.TOKENBUS);
        measureAll(rows, PROCESSES_CHAT, p.port(), SseLoad.Dialect.OPENAI_CHAT);
      }
    }
  }

  /** {@code args} with {@code --ctx} set to {@code context} (replaced where present, added where not). */
  static List<String> withContext(List<String> args, int context) {
    List<String> result = new ArrayList<>();
    for (int i = 0; i < args.size(); i++) {
      if (args.get(i).equals("--ctx") && i + 1 < args.size()) {
        i++;
      } else {
        result.add(args.get(i));
      }
    }
    result.addAll(List.of("--ctx", Integer.toString(context)));
    return result;
  }

  /**
   * The engine's full loop and a loop of llama_decode alone on the same tokens ({@link EngineBenchmark}),
   * greedy, at each concurrency: no server can stream faster than the second.
   */
  private void engineAlone(List<Row> rows, EngineConfig cfg) {
    List<EngineBenchmark.Row> measured = new EngineBenchmark(new EngineBenchmark.Options(cfg, options.prompt(),
        options.tokens(), options.concurrency(), options.runs(), 0), new PrintStream(OutputStream.nullOutputStream()))
        .run();
    for (EngineBenchmark.Row r : measured) {
      rows.add(new Row(ENGINE, NO_CLIENT, r.concurrency(), r.fullTokensPerSecond(), Double.NaN, Double.NaN,
          Double.NaN, Double.NaN));
    }
    for (EngineBenchmark.Row r : measured) {
      rows.add(new Row(DECODE_ONLY, NO_CLIENT, r.concurrency(), r.decodeOnlyTokensPerSecond(), Double.NaN,
          Double.NaN, Double.NaN, Double.NaN));
    }
  }

  /**
   * Drives every route of a server for {@link Options#warmupSeconds}, in turns: a TTFT run's short
   * requests one at a time by each client style, then one round at the largest concurrency. Every
   * style warms up its own code here too: the server measured first would otherwise meet clients
   * whose JIT had not settled yet, and look slower than it is by their cost.
   */
  private void warmUp(int port, SseLoad.Dialect... dialects) throws Exception {
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(options.warmupSeconds());
    int most = options.concurrency().stream().mapToInt(Integer::intValue).max().orElse(1);
    do {
      for (SseLoad.Dialect d : dialects) {
        for (ClientStyle style : clients) {
          try (FirstTokenClient client = style.open(port, d, vertx)) {
            new SseLoad(client).sequential(WARMUP_SEQUENTIAL, body(d, options.ttftTokens()));
          }
        }
        try (FirstTokenClient client = THROUGHPUT_CLIENT.open(port, d, vertx)) {
          new SseLoad(client).run(most, body(d, options.tokens()));
        }
      }
    } while (System.nanoTime() < until);
  }

  /**
   * TTFT by each client style in turn (after at least one round and 3 s of that style's requests, so
   * that its own code is compiled too), then tok/s at each concurrency by {@link #THROUGHPUT_CLIENT}.
   */
  private void measureAll(List<Row> rows, String server, int port, SseLoad.Dialect dialect) throws Exception {
    String shortBody = body(dialect, options.ttftTokens());
    for (ClientStyle style : clients) {
      try (FirstTokenClient client = style.open(port, dialect, vertx)) {
        SseLoad ttft = new SseLoad(client);
        rows.add(row(server, style, 0, Rounds.measure(options.runs(), 1,
            () -> ttft.sequential(options.ttftRequests(), shortBody))));
      }
    }
    // New connections here too: llama-server closes a connection after a stream, which a pooled client would reuse.
    try (FirstTokenClient client = THROUGHPUT_CLIENT.open(port, dialect, vertx)) {
      SseLoad load = new SseLoad(client);
      String body = body(dialect, options.tokens());
      for (int n : options.concurrency()) {
        rows.add(row(server, THROUGHPUT_CLIENT, n, Rounds.measure(options.runs(), () -> load.run(n, body))));
      }
    }
  }

  private static Row row(String server, ClientStyle client, int n, Rounds.Summary s) {
    return new Row(server, client.label(), n, s.tokensPerSecond(), s.ttftMs(50), s.ttftMs(99), s.firstByteMs(50),
        s.tokensPerStream());
  }

  /** A greedy generation of up to {@code tokens} tokens of {@link Options#prompt} in the route's own request shape. */
  String body(SseLoad.Dialect dialect, int tokens) {
    return switch (dialect) {
      case TOKENBUS -> new JsonObject().put("prompt", options.prompt()).put("max_tokens", tokens)
          .put("temperature", 0).put("timeout_ms", 600_000).encode();
      case OPENAI_CHAT -> new JsonObject()
          .put("messages", new JsonArray().add(new JsonObject().put("role", "user").put("content", options.prompt())))
          .put("max_tokens", tokens).put("temperature", 0).put("stream", true)
          .put("stream_options", new JsonObject().put("include_usage", true)).encode();
      // llama-server reuses a cached prompt exactly when tokenbus's engine does (its prefix cache).
      case LLAMA_SERVER -> new JsonObject().put("prompt", options.prompt()).put("n_predict", tokens)
          .put("temperature", 0).put("stream", true).put("cache_prompt", options.engine().prefixCache()).encode();
    };
  }

  private void print(List<Row> rows) {
    out.println();
    out.print(table(rows));
  }

  /**
   * The tables in Markdown: one TTFT table per client style (in the order the rows came), each row
   * compared with llama-server's same route ({@link #reference}) by the same style, then the tok/s
   * table, compared likewise and with llama_decode alone.
   */
  public static String table(List<Row> rows) {
    StringBuilder b = new StringBuilder();
    List<String> styles = rows.stream().filter(r -> r.concurrency() == 0).map(Row::client).distinct().toList();
    for (String style : styles) {
      b.append("TTFT, client `").append(style).append("`:\n\n");
      b.append("| server, route | TTFT p50 ms | TTFT p99 ms | p50 − llama-server's | p99 / llama-server's |"
          + " first byte p50 ms |\n");
      b.append("|---|---:|---:|---:|---:|---:|\n");
      for (Row r : rows) {
        if (r.concurrency() == 0 && r.client().equals(style)) {
          Row base = find(rows, reference(rows, r.server()), style, 0);
          b.append(String.format(Locale.ROOT, "| %s | %s | %s | %+.2f ms | %.2fx | %s |%n", r.server(),
              StreamBenchmark.ms(r.ttftP50Ms()), StreamBenchmark.ms(r.ttftP99Ms()),
              base == null ? Double.NaN : r.ttftP50Ms() - base.ttftP50Ms(),
              base == null ? Double.NaN : r.ttftP99Ms() / base.ttftP99Ms(), StreamBenchmark.ms(r.firstByteP50Ms())));
        }
      }
      b.append('\n');
    }
    b.append("| server, route | client | streams | tok/s | vs llama-server | of llama_decode alone | tokens per stream |"
        + " TTFT p50 ms | TTFT p99 ms |\n");
    b.append("|---|---|---:|---:|---:|---:|---:|---:|---:|\n");
    for (Row r : rows) {
      if (r.concurrency() > 0) {
        Row same = find(rows, reference(rows, r.server()), r.concurrency());
        Row ceiling = find(rows, DECODE_ONLY, r.concurrency());
        b.append(String.format(Locale.ROOT, "| %s | %s | %d | %,.0f | %.2fx | %s | %s | %s | %s |%n", r.server(),
            r.client(), r.concurrency(), r.tokensPerSecond(),
            same == null ? Double.NaN : r.tokensPerSecond() / same.tokensPerSecond(),
            ceiling == null ? "-" : String.format(Locale.ROOT, "%.0f%%", 100 * r.tokensPerSecond()
                / ceiling.tokensPerSecond()), Double.isNaN(r.tokensPerStream()) ? "–"
                : String.format(Locale.ROOT, "%.0f", r.tokensPerStream()), StreamBenchmark.ms(r.ttftP50Ms()),
            StreamBenchmark.ms(r.ttftP99Ms())));
      }
    }
    return b.toString();
  }

  /**
   * The llama-server row a server's route is compared with: its chat route for a chat route (both
   * template the messages, so both prefill the same tokens), else {@code /completion}.
   */
  static String reference(List<Row> rows, String server) {
    boolean chat = server.endsWith("/v1/chat/completions");
    return chat && rows.stream().anyMatch(r -> r.server().equals(LLAMA_SERVER_CHAT)) ? LLAMA_SERVER_CHAT : LLAMA_SERVER;
  }

  private static Row find(List<Row> rows, String server, String client, int n) {
    return rows.stream().filter(r -> r.server().equals(server) && r.client().equals(client) && r.concurrency() == n)
        .findFirst().orElse(null);
  }

  private static Row find(List<Row> rows, String server, int n) {
    return rows.stream().filter(r -> r.server().equals(server) && r.concurrency() == n).findFirst().orElse(null);
  }
}
