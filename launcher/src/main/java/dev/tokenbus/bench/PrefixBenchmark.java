package dev.tokenbus.bench;

import io.vertx.core.json.JsonObject;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Multi-turn conversations over a shared system prompt, as chat clients send them (every turn
 * resends the whole conversation), on a gateway and worker processes: with the prefix cache off,
 * on with least-loaded dispatch, and on with cache-aware dispatch. Each conversation is a client
 * that sends its turns one after the other on {@code /v1/completions} (streamed, with usage); all
 * conversations run at once. Reports TTFT p50/p99 at the client, prompt tokens computed (prompt
 * minus cached) and the hit rate (cached / prompt tokens).
 */
public final class PrefixBenchmark {

  /**
   * @param model the GGUF file
   * @param threads decode threads per worker
   * @param slots slots per worker
   * @param contextPerSequence context per sequence (must hold the system prompt and every turn)
   * @param workers cluster sizes to measure
   * @param conversations conversations running at once
   * @param turns turns per conversation
   * @param systemWords words in the shared system prompt
   * @param maxTokens tokens per reply
   */
  public record Options(Path model, int threads, int slots, int contextPerSequence, List<Integer> workers,
      int conversations, int turns, int systemWords, int maxTokens, NodeLauncher nodes, List<String> otherWorkerArgs) {}

  /** One configuration's figures. */
  public record Row(int workers, String mode, int requests, double ttftP50Ms, double ttftP99Ms, long promptTokens,
      long cachedTokens, double seconds) {
    long computed() {
      return promptTokens - cachedTokens;
    }

    double hitRate() {
      return promptTokens == 0 ? 0 : (double) cachedTokens / promptTokens;
    }
  }

  private record Mode(String name, boolean cache, int slack) {}

  private static final List<Mode> MODES = List.of(new Mode("cache off", false, -1),
      new Mode("cache on, least-loaded", true, -1), new Mode("cache on, cache-aware", true, 4));

  private static final String[] WORDS = ("the little girl saw a big red ball in the park and she wanted to play with"
      + " her friend tom who had a dog named max they ran to the tree and laughed because the sun was warm and"
      + " happy birds sang songs while mom baked a cake for everyone at home").split(" ");

  private final Options options;
  private final PrintStream out;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

  public PrefixBenchmark(Options options, PrintStream out) {
    this.options = options;
    this.out = out;
  }

  public List<Row> run() throws Exception {
    out.printf(Locale.ROOT, "prefix benchmark: %s, %d conversations x %d turns over a shared %d-word system prompt,"
        + " %d tokens per reply, workers of %d thread(s) and %d slots; nproc: %d (shared with everything else on"
        + " this machine)%n", options.model().getFileName(), options.conversations(), options.turns(),
        options.systemWords(), options.maxTokens(), options.threads(), options.slots(),
        Runtime.getRuntime().availableProcessors());
    String system = systemPrompt(options.systemWords());
    List<Row> rows = new ArrayList<>();
    for (int n : options.workers()) {
      for (Mode mode : MODES) {
        if (n == 1 && mode.slack() >= 0) {
          continue; // one worker: dispatch has no choice to make
        }
        List<String> workerArgs = new ArrayList<>(LocalCluster.workerArgs(options.model(), options.threads(),
            options.slots()));
        workerArgs.addAll(without(options.otherWorkerArgs(), "--ctx", "--prefix-cache"));
        workerArgs.addAll(List.of("--ctx", Integer.toString(options.contextPerSequence()), "--prefix-cache",
            Boolean.toString(mode.cache())));
        Path logs = java.nio.file.Files.createTempDirectory("tokenbus-bench-prefix-");
        out.printf(Locale.ROOT, "starting a gateway and %d worker process(es): %s (logs in %s) ...%n", n, mode.name(),
            logs);
        try (LocalCluster cluster = LocalCluster.start(options.nodes(), n, workerArgs, List.of("--queue-size",
            Integer.toString(options.conversations() * 2), "--prefix-routing-slack", Integer.toString(mode.slack())),
            logs)) {
          // One worker: dispatch has no choice, so the mode is only the cache's.
          Row row = measure(cluster.port(), n, n == 1 && mode.cache() ? "cache on" : mode.name(), system);
          out.printf(Locale.ROOT, "  %d worker(s), %s: TTFT p50 %.0f ms, p99 %.0f ms, %,d prompt tokens computed of"
              + " %,d, hit rate %.1f%%, %.1f s%n", n, row.mode(), row.ttftP50Ms(), row.ttftP99Ms(), row.computed(),
              row.promptTokens(), row.hitRate() * 100, row.seconds());
          rows.add(row);
        }
      }
    }
    out.println();
    out.print(table(rows));
    return rows;
  }

  private Row measure(int port, int workers, String mode, String system) throws Exception {
    long t0 = System.nanoTime();
    List<double[]> samples = Collections.synchronizedList(new ArrayList<>());
    try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
      List<Future<?>> conversations = new ArrayList<>();
      for (int c = 0; c < options.conversations(); c++) {
        int id = c;
        conversations.add(pool.submit(() -> {
          conversation(port, id, system, samples);
          return null;
        }));
      }
      try {
        for (Future<?> f : conversations) {
          f.get();
        }
      } catch (java.util.concurrent.ExecutionException e) {
        pool.shutdownNow(); // one failed conversation fails the run at once
        throw e;
      }
    }
    double seconds = (System.nanoTime() - t0) / 1e9;
    List<Double> ttft = new ArrayList<>();
    long prompt = 0;
    long cached = 0;
    for (double[] s : samples) {
      ttft.add(s[0]);
      prompt += (long) s[1];
      cached += (long) s[2];
    }
    Collections.sort(ttft);
    return new Row(workers, mode, samples.size(), percentile(ttft, 50), percentile(ttft, 99), prompt, cached, seconds);
  }

  /** Runs one conversation's turns in order; adds {ttft ms, prompt tokens, cached tokens} per turn. */
  private void conversation(int port, int id, String system, List<double[]> samples) throws Exception {
    StringBuilder prompt = new StringBuilder(system);
    for (int turn = 1; turn <= options.turns(); turn++) {
      prompt.append("\nUser ").append(id).append(": tell me what happened next in story ").append(id)
          .append(", part ").append(turn).append(".\nAssistant:");
      JsonObject body = new JsonObject().put("prompt", prompt.toString()).put("max_tokens", options.maxTokens())
          .put("temperature", 0).put("stream", true).put("timeout_ms", 600_000)
          .put("stream_options", new JsonObject().put("include_usage", true));
      long start = System.nanoTime();
      HttpResponse<java.util.stream.Stream<String>> r = http.send(HttpRequest.newBuilder(
          URI.create("http://127.0.0.1:" + port + "/v1/completions")).header("Content-Type", "application/json")
          .POST(HttpRequest.BodyPublishers.ofString(body.encode())).build(), HttpResponse.BodyHandlers.ofLines());
      if (r.statusCode() != 200) {
        throw new IllegalStateException("turn " + turn + " of conversation " + id + " got " + r.statusCode() + ": "
            + String.join("\n", r.body().toList()));
      }
      double ttftMs = -1;
      StringBuilder reply = new StringBuilder();
      JsonObject usage = null;
      for (Iterator<String> it = r.body().iterator(); it.hasNext(); ) {
        String line = it.next();
        if (!line.startsWith("data: ") || line.equals("data: [DONE]")) {
          continue;
        }
        JsonObject chunk = new JsonObject(line.substring(6));
        if (chunk.getValue("error") != null) {
          throw new IllegalStateException("turn " + turn + " of conversation " + id + " failed: " + chunk.encode());
        }
        var choices = chunk.getJsonArray("choices");
        if (choices != null && !choices.isEmpty()) {
          if (ttftMs < 0) {
            ttftMs = (System.nanoTime() - start) / 1e6;
          }
          reply.append(choices.getJsonObject(0).getString("text", ""));
        }
        if (chunk.getJsonObject("usage") != null) {
          usage = chunk.getJsonObject("usage");
        }
      }
      if (usage == null) {
        throw new IllegalStateException("turn " + turn + " of conversation " + id + " reported no usage");
      }
      samples.add(new double[] {ttftMs, usage.getInteger("prompt_tokens"),
          usage.getJsonObject("prompt_tokens_details", new JsonObject()).getInteger("cached_tokens", 0)});
      prompt.append(reply);
    }
  }

  /** {@code args} less the named options and their values. */
  private static List<String> without(List<String> args, String... names) {
    List<String> out = new ArrayList<>();
    for (int i = 0; i < args.size(); i++) {
      if (List.of(names).contains(args.get(i))) {
        i++;
      } else {
        out.add(args.get(i));
      }
    }
    return out;
  }

  /** A deterministic text of {@code words} words from a small story vocabulary. */
  static String systemPrompt(int words) {
    StringBuilder sb = new StringBuilder("You are a storyteller. Remember this story:");
    long x = 12345;
    for (int i = 0; i < words; i++) {
      x = x * 6364136223846793005L + 1442695040888963407L;
      sb.append(' ').append(WORDS[(int) ((x >>> 33) % WORDS.length)]);
      if (i % 12 == 11) {
        sb.append('.');
      }
    }
    return sb.toString();
  }

  private static double percentile(List<Double> sorted, int p) {
    if (sorted.isEmpty()) {
      return 0;
    }
    int i = (int) Math.ceil(p / 100.0 * sorted.size()) - 1;
    return sorted.get(Math.max(0, Math.min(sorted.size() - 1, i)));
  }

  /** The figures in Markdown. */
  public static String table(List<Row> rows) {
    StringBuilder md = new StringBuilder("| workers | mode | requests | TTFT p50 ms | TTFT p99 ms |"
        + " prompt tokens computed | of prompt tokens | hit rate | wall s |\n|---:|---|---:|---:|---:|---:|---:|---:|---:|\n");
    for (Row r : rows) {
      md.append(String.format(Locale.ROOT, "| %d | %s | %d | %.0f | %.0f | %,d | %,d | %.1f%% | %.1f |%n", r.workers(),
          r.mode(), r.requests(), r.ttftP50Ms(), r.ttftP99Ms(), r.computed(), r.promptTokens(), r.hitRate() * 100,
          r.seconds()));
    }
    return md.toString();
  }
}
