package dev.tokenbus.bench;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A running stream moved from one worker process to another with its KV cells (handoff), against
 * the same stream moved by replay (the next worker prefills the prompt and the tokens so far again)
 * and against the loss of its worker ({@code kill -9}, which the gateway answers with a replay), at
 * each context length: one gateway process for the whole run, and fresh worker processes per case.
 *
 * <p>Per context C, on a prompt of C token ids, temperature 0, the prompt cache off (every prefill is
 * cold, the replaying worker's included):
 * <ol>
 *   <li>an uninterrupted stream: its text is the reference, its time to first token the cold prefill
 *       of C tokens, its longest gap between two tokens the steady state;
 *   <li>the same stream moved after {@link #BEFORE_MOVE} tokens by an operator's drain of its worker
 *       ({@code POST /v1/admin/workers/{id}/drain}) on workers started with {@code --worker-drain handoff},
 *       then {@code replay}, and by {@code kill -9} of its worker process: the client's longest gap
 *       from the move on, whether the text equals the reference, and (handoff) the drain's account
 *       of the KV state moved: tokens, bytes, and the time from the offer to the adopter's load;
 *   <li>a worker with {@link #DRAIN_STREAMS} running streams stopped by SIGTERM, in each drain mode
 *       ({@code handoff}, {@code wait}, {@code replay}), beside a worker with free slots: the time
 *       from the signal to the process's exit, and what its drain did (from its log). These streams
 *       keep the prompt cache on: the gateway's cache-aware dispatch sends them all to the worker of
 *       the first.
 * </ol>
 */
public final class HandoffBenchmark {

  /** Tokens the client reads before the move. */
  static final int BEFORE_MOVE = 16;
  /** Running streams on the worker whose drain time is measured. */
  static final int DRAIN_STREAMS = 4;
  /** The shortest prompt whose ids fill a block of the gateway's prefix hashes (two characters an id). */
  static final int MIN_CONTEXT = dev.tokenbus.protocol.PrefixHashes.BLOCK_CHARS / 2;
  /** Slots per worker: the drained worker's streams all fit on the other. */
  static final int SLOTS = DRAIN_STREAMS;
  private static final Duration TIMEOUT = Duration.ofSeconds(300);
  private static final String PROMPT_TEXT = "once upon a time there was a story of the day ";
  private static final Pattern DRAINED = Pattern.compile("drain: (\\d+) streams handed off with their KV state,"
      + " (\\d+) moved by replay, (\\d+) staying to finish here, (\\d+) ended meanwhile");
  private static final Pattern DRAINING = Pattern.compile("draining: .*; (\\d+) streams \\(");
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  /**
   * What to measure.
   *
   * @param threads decode threads of each worker
   * @param contexts prompt lengths in tokens
   * @param tokens tokens each moved stream generates after the move
   * @param otherWorkerArgs more arguments of every worker (batch, flash attention), no {@code --ctx}:
   *     each context gets the context it needs
   * @param logDir where the nodes' logs go
   * @param streamDelayMs the streams' {@code stream_delay_ms}: 0, but a model that generates in
   *     microseconds (a test's) needs a pause between tokens for a stream to be still running at its move
   */
  public record Options(Path model, int threads, List<Integer> contexts, int tokens, NodeLauncher nodes,
      List<String> otherWorkerArgs, Path logDir, long streamDelayMs) {

    public Options {
      contexts = List.copyOf(contexts);
      for (int c : contexts) {
        if (c < MIN_CONTEXT) {
          throw new IllegalArgumentException("contexts must be at least " + MIN_CONTEXT + " tokens (the gateway's"
              + " cache-aware dispatch, which puts the drained worker's streams together, hashes prompts of token"
              + " ids in blocks of that many), got " + c);
        }
      }
      if (tokens < 1) {
        throw new IllegalArgumentException("tokens must be 1 or more, got " + tokens);
      }
    }
  }

  /**
   * One stream moved: how, the client's longest gap between two tokens from the move on, whether
   * its tokens are the uninterrupted run's, and the drain's account (null after {@code kill -9}).
   */
  public record Move(String how, double gapMs, boolean identical, JsonObject account) {

    /** The account's count of streams with {@code outcome} (0 without an account). */
    public int count(String outcome) {
      return account == null ? 0 : account.getInteger(outcome, 0);
    }

    /** The handed-off stream's entry in the account, or null. */
    JsonObject handedOff() {
      JsonArray streams = account == null ? null : account.getJsonArray("streams");
      for (int i = 0; streams != null && i < streams.size(); i++) {
        if ("handed_off".equals(streams.getJsonObject(i).getString("outcome"))) {
          return streams.getJsonObject(i);
        }
      }
      return null;
    }
  }

  /**
   * A worker with running streams stopped by SIGTERM.
   *
   * @param streams the streams its drain found running, or -1 when its log does not say
   * @param outcome its drain's account as logged: handed off, replayed, staying, ended (null when not logged)
   * @param fewestLeft, mostLeft the fewest and the most tokens a stream still had to generate at the signal
   *     (as far as its client had read)
   */
  public record Drain(String mode, double exitMs, int streams, int[] outcome, int fewestLeft, int mostLeft) {}

  /** One context's figures. */
  public record ContextResult(int context, double coldPrefillMs, double steadyGapMs, Move handoff, Move replay,
      Move kill, List<Drain> drains) {

    /** KV bytes the handoff moved, or -1 when it did not hand off. */
    public long bytes() {
      JsonObject s = handoff.handedOff();
      return s == null ? -1 : s.getLong("bytes", -1L);
    }

    /** The handoff's time from its offer to the adopter's load, or NaN when it did not hand off. */
    public double transferMs() {
      JsonObject s = handoff.handedOff();
      return s == null ? Double.NaN : s.getLong("ms", -1L);
    }
  }

  /** What a stream's client saw: each token's id and text, and when each arrived (from sending). */
  record Observed(List<Integer> ids, String text, long[] arrivalNanos) {

    double ttftMs() {
      return arrivalNanos.length == 0 ? Double.NaN : arrivalNanos[0] / 1e6;
    }

    /** The longest gap between two consecutive tokens from token {@code from} (from 0) on. */
    double longestGapMs(int from) {
      long gap = 0;
      for (int i = Math.max(1, from); i < arrivalNanos.length; i++) {
        gap = Math.max(gap, arrivalNanos[i] - arrivalNanos[i - 1]);
      }
      return gap / 1e6;
    }
  }

  private final Options options;
  private final PrintStream out;
  private final String adminKey = "bench-" + UUID.randomUUID();

  public HandoffBenchmark(Options options, PrintStream out) {
    this.options = options;
    this.out = out;
  }

  public List<ContextResult> run() throws Exception {
    out.printf(Locale.ROOT, "handoff benchmark: %s, workers of %d thread(s) and %d slots, contexts %s, %d tokens"
        + " before and %d after each move; nproc %d; logs in %s%n", options.model().getFileName(), options.threads(),
        SLOTS, options.contexts(), BEFORE_MOVE, options.tokens(), ClusterBenchmark.cores(), options.logDir());
    List<ContextResult> results = new ArrayList<>();
    try (LocalCluster cluster = LocalCluster.start(options.nodes(), 0, List.of(), List.of("--admin-keys", adminKey),
        options.logDir())) {
      for (int c : options.contexts()) {
        ContextResult r = measure(cluster, c);
        results.add(r);
        out.println();
        out.print(contextTables(r, options.model().getFileName().toString()));
      }
    }
    out.println();
    out.print(summaryTable(results));
    return results;
  }

  private ContextResult measure(LocalCluster cluster, int context) throws Exception {
    out.printf(Locale.ROOT, "context %,d: two workers (drain mode handoff) ...%n", context);
    List<Integer> first = start(cluster, context, "handoff", "handoff");
    List<Integer> prompt = prompt(cluster.port(), context);
    String body = body(prompt, BEFORE_MOVE + options.tokens(), false);
    Observed reference = stream(cluster.port(), body, n -> { });
    out.printf(Locale.ROOT, "  uninterrupted: %d tokens, first after %,.0f ms (cold prefill)%n",
        reference.ids().size(), reference.ttftMs());

    Move kill = move(cluster, "kill -9", body, reference, id -> {
      Process p = cluster.worker(indexOf(cluster, first, id));
      p.destroyForcibly();
      p.waitFor();
      return null;
    });
    // The survivor and a new worker: the handoff needs two.
    List<Integer> second = new ArrayList<>(first.stream().filter(i -> cluster.worker(i).isAlive()).toList());
    second.add(cluster.addWorker(workerArgs(context, "handoff")));
    Move handoff = move(cluster, "handoff", body, reference, id -> drain(cluster.port(), id));
    stop(cluster, second);

    out.printf(Locale.ROOT, "context %,d: two workers (drain mode replay) ...%n", context);
    List<Integer> pair = start(cluster, context, "replay", "replay");
    Move replay = move(cluster, "replay", body, reference, id -> drain(cluster.port(), id));
    stop(cluster, pair);

    List<Drain> drains = new ArrayList<>();
    for (String mode : List.of("handoff", "wait", "replay")) {
      drains.add(drainTime(cluster, context, mode, prompt));
    }
    return new ContextResult(context, reference.ttftMs(), reference.longestGapMs(BEFORE_MOVE), handoff, replay, kill,
        drains);
  }

  /** Starts a worker per mode and returns their indices. */
  private List<Integer> start(LocalCluster cluster, int context, String... modes) throws Exception {
    List<Integer> started = new ArrayList<>();
    for (String mode : modes) {
      started.add(cluster.addWorker(workerArgs(context, mode)));
    }
    return started;
  }

  /** A worker's arguments: room for the prompt and every token a stream of this benchmark generates. */
  private List<String> workerArgs(int context, String drainMode) {
    List<String> args = new ArrayList<>(LocalCluster.workerArgs(options.model(), options.threads(), SLOTS));
    args.addAll(options.otherWorkerArgs());
    args.addAll(List.of("--ctx", Integer.toString(context + drainStreamTokens() + 16),
        "--worker-drain", drainMode));
    return args;
  }

  /** Stops workers (SIGTERM; they carry no stream) and waits until the gateway no longer lists them. */
  private static void stop(LocalCluster cluster, List<Integer> workers) throws Exception {
    List<String> ids = new ArrayList<>();
    for (int i : workers) {
      ids.add(cluster.workerId(i));
      cluster.worker(i).destroy();
    }
    for (int i : workers) {
      if (!cluster.worker(i).waitFor(TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
        cluster.worker(i).destroyForcibly();
      }
    }
    GatewayStatus.await(cluster.port(), s -> s.getJsonArray("workers").stream()
        .noneMatch(o -> ids.contains(((JsonObject) o).getString("id"))), "the workers' departure", TIMEOUT, () -> null);
  }

  private static int indexOf(LocalCluster cluster, List<Integer> workers, String id) throws IOException {
    for (int i : workers) {
      if (cluster.workerId(i).equals(id)) {
        return i;
      }
    }
    throw new IllegalStateException("no worker " + id + " among " + workers);
  }

  /** What is done to the stream's worker, by its id; answers the drain's account, or null. */
  private interface Action {
    JsonObject on(String workerId) throws Exception;
  }

  /** The stream of {@code body}, its worker acted on once the client read {@link #BEFORE_MOVE} tokens. */
  private Move move(LocalCluster cluster, String how, String body, Observed reference, Action action)
      throws Exception {
    CompletableFuture<JsonObject> acted = new CompletableFuture<>();
    Observed moved = stream(cluster.port(), body, n -> {
      if (n == BEFORE_MOVE) { // on a thread of its own: the client keeps reading meanwhile
        Thread.ofVirtual().start(() -> {
          try {
            acted.complete(action.on(onlyStreamsWorker(cluster.port())));
          } catch (Throwable e) {
            acted.completeExceptionally(e);
          }
        });
      }
    });
    JsonObject account = acted.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
    Move m = new Move(how, moved.longestGapMs(BEFORE_MOVE), moved.ids().equals(reference.ids()), account);
    out.printf(Locale.ROOT, "  %s: longest gap %,.0f ms, identical: %s%s%n", how, m.gapMs(), yesNo(m.identical()),
        account == null ? "" : ", " + account.encode());
    if (m.count("ended") > 0) {
      out.println("  (the stream ended before its move was done: raise --tokens)");
    }
    return m;
  }

  private static String onlyStreamsWorker(int port) throws Exception {
    return onlyWorkerOfStreams(port, 1);
  }

  /** The worker of the gateway's {@code count} open streams, which must all be on one. */
  private static String onlyWorkerOfStreams(int port, int count) throws Exception {
    JsonArray streams = GatewayStatus.read(port).getJsonArray("streams");
    java.util.Set<String> workers = new java.util.HashSet<>();
    streams.forEach(o -> workers.add(((JsonObject) o).getString("worker")));
    if (streams.size() != count || workers.size() != 1) {
      throw new IllegalStateException("expected " + count + " open stream(s) on one worker (the streams after the"
          + " first follow it by cache-aware dispatch, which needs the prefix cache), found " + streams.encode());
    }
    return workers.iterator().next();
  }

  /** {@code POST /v1/admin/workers/{id}/drain}: the worker's account of its streams. */
  private JsonObject drain(int port, String workerId) throws Exception {
    HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
        + "/v1/admin/workers/" + workerId + "/drain")).header("Authorization", "Bearer " + adminKey)
        .timeout(TIMEOUT).POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() != 200) {
      throw new IllegalStateException("drain of " + workerId + ": HTTP " + r.statusCode() + ": " + r.body());
    }
    return new JsonObject(r.body());
  }

  /**
   * Two workers in drain mode {@code mode}; {@link #DRAIN_STREAMS} streams of one prompt, with the
   * prompt cache on, all on one of them (the first goes to either, the others follow it by the
   * gateway's cache-aware dispatch); once each has streamed {@link #BEFORE_MOVE} tokens, SIGTERM to
   * that worker, timed to its exit. The streams are cancelled after.
   */
  private Drain drainTime(LocalCluster cluster, int context, String mode, List<Integer> prompt) throws Exception {
    out.printf(Locale.ROOT, "context %,d: a worker (drain mode %s) with %d streams ...%n", context, mode,
        DRAIN_STREAMS);
    List<Integer> pair = start(cluster, context, mode, mode);
    String body = body(prompt, drainStreamTokens(), true);
    CountDownLatch firstToken = new CountDownLatch(1);
    CountDownLatch started = new CountDownLatch(DRAIN_STREAMS);
    java.util.concurrent.atomic.AtomicIntegerArray read = new java.util.concurrent.atomic.AtomicIntegerArray(
        DRAIN_STREAMS);
    List<Thread> clients = new ArrayList<>();
    for (int i = 0; i < DRAIN_STREAMS; i++) {
      int stream = i;
      clients.add(Thread.ofVirtual().start(() -> {
        try {
          stream(cluster.port(), body, n -> {
            read.set(stream, n);
            if (n == 1) {
              firstToken.countDown();
            }
            if (n == BEFORE_MOVE) {
              started.countDown();
            }
          });
        } catch (Exception e) {
          // cancelled below: what is measured is the worker's exit
        }
      }));
      if (i == 0 && !firstToken.await(TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
        throw new IllegalStateException("the first stream had no token within " + TIMEOUT);
      }
    }
    if (!started.await(TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
      throw new IllegalStateException("the " + DRAIN_STREAMS + " streams did not all start within " + TIMEOUT);
    }
    int victim = indexOf(cluster, pair, onlyWorkerOfStreams(cluster.port(), DRAIN_STREAMS));
    int fewest = Integer.MAX_VALUE;
    int most = 0;
    for (int i = 0; i < DRAIN_STREAMS; i++) {
      fewest = Math.min(fewest, drainStreamTokens() - read.get(i));
      most = Math.max(most, drainStreamTokens() - read.get(i));
    }
    Process p = cluster.worker(victim);
    long t0 = System.nanoTime();
    p.destroy();
    if (!p.waitFor(TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
      throw new IllegalStateException("the worker did not exit within " + TIMEOUT);
    }
    double exitMs = (System.nanoTime() - t0) / 1e6;
    clients.forEach(Thread::interrupt); // closes their connections: the gateway cancels what still runs
    for (Thread t : clients) {
      t.join();
    }
    String log = Files.readString(cluster.workerLog(victim));
    Matcher draining = DRAINING.matcher(log);
    Matcher drained = DRAINED.matcher(log);
    Drain d = new Drain(mode, exitMs, draining.find() ? Integer.parseInt(draining.group(1)) : -1,
        drained.find() ? new int[] {Integer.parseInt(drained.group(1)), Integer.parseInt(drained.group(2)),
            Integer.parseInt(drained.group(3)), Integer.parseInt(drained.group(4))} : null, fewest, most);
    out.printf(Locale.ROOT, "  SIGTERM to exit %,.0f ms; %s%n", exitMs, outcome(d));
    GatewayStatus.await(cluster.port(), s -> s.getJsonArray("streams").isEmpty(), "the streams' end", TIMEOUT,
        () -> null);
    stop(cluster, pair.stream().filter(i -> i != victim).toList());
    return d;
  }

  /**
   * Tokens of each stream on the drained worker: the first must still run once the last streamed a few
   * (it decodes slowly while the others prefill); what they have left is what {@code wait} waits for.
   */
  private int drainStreamTokens() {
    return DRAIN_STREAMS * (BEFORE_MOVE + options.tokens());
  }

  /** A stream's body: a prompt of token ids, greedy. */
  private String body(List<Integer> prompt, int maxTokens, boolean cachePrompt) {
    return new JsonObject().put("prompt", new JsonArray(prompt)).put("max_tokens", maxTokens).put("temperature", 0)
        .put("cache_prompt", cachePrompt).put("stream_delay_ms", options.streamDelayMs()).put("timeout_ms", 600_000)
        .encode();
  }

  /** {@code tokens} token ids of a plain English text, repeated: the model's own, whatever its vocabulary. */
  static List<Integer> prompt(int port, int tokens) throws Exception {
    HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/tokenize"))
        .header("Content-Type", "application/json").timeout(TIMEOUT)
        .POST(HttpRequest.BodyPublishers.ofString(new JsonObject().put("content", PROMPT_TEXT).encode())).build(),
        HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() != 200) {
      throw new IllegalStateException("tokenize: HTTP " + r.statusCode() + ": " + r.body());
    }
    JsonArray ids = new JsonObject(r.body()).getJsonArray("tokens");
    List<Integer> prompt = new ArrayList<>(tokens);
    for (int i = 0; i < tokens; i++) {
      prompt.add(ids.getInteger(i % ids.size()));
    }
    return prompt;
  }

  /**
   * Streams {@code body} to its end with the raw-socket client, telling {@code afterEach} how many
   * tokens it read after each, on the reading thread.
   */
  private static Observed stream(int port, String body, java.util.function.IntConsumer afterEach) throws Exception {
    List<Integer> ids = new ArrayList<>();
    StringBuilder text = new StringBuilder();
    RawSocketClient client = new RawSocketClient(port, SseLoad.Dialect.TOKENBUS, false);
    SseLoad.Stream s = client.stream(body, data -> {
      JsonObject token = new JsonObject(data);
      ids.add(token.getInteger("token_id"));
      text.append(token.getString("text"));
      afterEach.accept(ids.size());
    });
    return new Observed(ids, text.toString(), s.arrivalNanos());
  }

  private static String yesNo(boolean b) {
    return b ? "yes" : "no";
  }

  /** A drain's account as its log states it. */
  static String outcome(Drain d) {
    if (d.outcome() == null) {
      return "not logged";
    }
    List<String> parts = new ArrayList<>();
    String[] names = {"handed off", "replayed", "stayed", "ended before their move"};
    for (int i = 0; i < names.length; i++) {
      if (d.outcome()[i] > 0) {
        parts.add(d.outcome()[i] + " " + names[i]);
      }
    }
    return (d.streams() < 0 ? "?" : Integer.toString(d.streams())) + " running: "
        + (parts.isEmpty() ? "none moved" : String.join(", ", parts));
  }

  private static String ms(double v) {
    return Double.isNaN(v) ? "-" : String.format(Locale.ROOT, "%,.0f", v);
  }

  private static String ratio(double a, double b) {
    return Double.isNaN(a) || Double.isNaN(b) || b <= 0 ? "-" : String.format(Locale.ROOT, "%.1fx", a / b);
  }

  /** One context's figures, in Markdown. */
  public static String contextTables(ContextResult r, String model) {
    StringBuilder md = new StringBuilder();
    md.append(String.format(Locale.ROOT, "#### %s, context %,d tokens%n%n", model, r.context()));
    md.append("| the stream, moved after ").append(BEFORE_MOVE).append(" tokens by | client's longest gap ms"
        + " | vs handoff | identical text | drain's account |\n|---|---:|---:|---|---|\n");
    md.append(String.format(Locale.ROOT, "| nothing (uninterrupted; TTFT %s ms) | %s | %s | (the reference) | |%n",
        ms(r.coldPrefillMs()), ms(r.steadyGapMs()), ratio(r.steadyGapMs(), r.handoff().gapMs())));
    for (Move m : List.of(r.handoff(), r.replay(), r.kill())) {
      md.append(String.format(Locale.ROOT, "| %s | %s | %s | %s | %s |%n", label(m), ms(m.gapMs()),
          ratio(m.gapMs(), r.handoff().gapMs()), yesNo(m.identical()), account(m)));
    }
    md.append("\n| KV state moved | tokens | transfer ms (offer to load) | cold prefill ms (TTFT of ")
        .append(String.format(Locale.ROOT, "%,d", r.context())).append(" tokens) | prefill / transfer |\n"
            + "|---:|---:|---:|---:|---:|\n");
    JsonObject s = r.handoff().handedOff();
    md.append(String.format(Locale.ROOT, "| %s | %s | %s | %s | %s |%n",
        r.bytes() < 0 ? "-" : String.format(Locale.ROOT, "%.1f MiB", r.bytes() / 1048576.0),
        s == null ? "-" : String.format(Locale.ROOT, "%,d", s.getInteger("tokens")), ms(r.transferMs()),
        ms(r.coldPrefillMs()), ratio(r.coldPrefillMs(), r.transferMs())));
    md.append("\n| drain mode of a worker with ").append(DRAIN_STREAMS)
        .append(" streams | SIGTERM to exit ms | vs handoff | tokens each stream had left | its drain |\n"
            + "|---|---:|---:|---:|---|\n");
    double handoffExit = r.drains().stream().filter(d -> d.mode().equals("handoff")).mapToDouble(Drain::exitMs)
        .findFirst().orElse(Double.NaN);
    for (Drain d : r.drains()) {
      md.append(String.format(Locale.ROOT, "| %s | %s | %s | %d to %d | %s |%n", d.mode(), ms(d.exitMs()),
          ratio(d.exitMs(), handoffExit), d.fewestLeft(), d.mostLeft(), outcome(d)));
    }
    return md.toString();
  }

  private static String label(Move m) {
    return switch (m.how()) {
      case "kill -9" -> "kill -9 of its worker (the gateway replays)";
      default -> "admin drain, worker-drain " + m.how();
    };
  }

  private static String account(Move m) {
    if (m.account() == null) {
      return "";
    }
    return String.format(Locale.ROOT, "handed_off %d, replayed %d, staying %d, ended %d", m.count("handed_off"),
        m.count("replayed"), m.count("staying"), m.count("ended"));
  }

  /** Every context's ratios, in Markdown. */
  public static String summaryTable(List<ContextResult> results) {
    StringBuilder md = new StringBuilder("| context | KV moved | transfer ms | cold prefill ms | prefill / transfer"
        + " | longest gap ms: handoff | replay | kill -9 | replay / handoff | SIGTERM to exit ms, "
        + DRAIN_STREAMS + " streams: handoff | wait | replay |\n|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    for (ContextResult r : results) {
      md.append(String.format(Locale.ROOT, "| %,d | %s | %s | %s | %s | %s | %s | %s | %s |", r.context(),
          r.bytes() < 0 ? "-" : String.format(Locale.ROOT, "%.1f MiB", r.bytes() / 1048576.0), ms(r.transferMs()),
          ms(r.coldPrefillMs()), ratio(r.coldPrefillMs(), r.transferMs()), ms(r.handoff().gapMs()),
          ms(r.replay().gapMs()), ms(r.kill().gapMs()), ratio(r.replay().gapMs(), r.handoff().gapMs())));
      for (String mode : List.of("handoff", "wait", "replay")) {
        md.append(' ').append(r.drains().stream().filter(d -> d.mode().equals(mode)).findFirst()
            .map(d -> ms(d.exitMs())).orElse("-")).append(" |");
      }
      md.append('\n');
    }
    return md.toString();
  }
}
