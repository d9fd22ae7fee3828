package dev.tokenbus.protocol;

import dev.tokenbus.grammar.GbnfCheck;
import dev.tokenbus.grammar.GbnfException;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * How one generation streams: its sampling settings, its limits and its flow-control window.
 * Field names follow the wire names ({@code max_tokens}, {@code top_k}, ...). Build one from
 * {@link #defaults()} with the {@code with...} methods; {@link #validate()} checks every range.
 *
 * @param maxTokens most tokens to generate
 * @param temperature 0 means greedy
 * @param topK 0 disables top-k
 * @param topP 1 disables top-p
 * @param minP 0 disables min-p
 * @param repeatPenalty 1 disables it
 * @param repeatLastN how many recent tokens the penalties look at (-1: the whole context)
 * @param frequencyPenalty 0 disables it
 * @param presencePenalty 0 disables it
 * @param seed random seed, 0 to {@value #MAX_SEED}; null picks one (reported back so a run can be repeated).
 *     A request's 64-bit {@code seed} becomes this by {@link #seedOf}
 * @param stop stop sequences; the matched text is not emitted
 * @param streamDelayMs pause between tokens, for pacing
 * @param bufferSize tokens in flight between producer and consumer (the credit window)
 * @param timeoutMs the whole generation's deadline, from submission; {@value #NO_TIMEOUT} means none
 * @param topLogprobs how many alternatives to report per token, 0 to 20
 * @param grammar a GBNF grammar (start rule {@code root}) that every generated token must follow, or
 *     null; JSON Schemas and tool calls arrive here already converted by the gateway
 * @param cachePrompt whether the worker may reuse cached KV cells for a shared prompt prefix and keep
 *     this generation's cells for later ones ({@code cache_prompt}, as llama-server)
 * @param logitBias OpenAI's {@code logit_bias}: token id to a bias in [-100, 100] added to that token's
 *     logit before sampling (-100 all but bans it, 100 all but forces it); at most {@value #MAX_LOGIT_BIAS}
 *     tokens, ordered by id. Whether each id is in the vocabulary only the worker can tell
 * @param reasoningBudget the most tokens the model may think for, in a model with thinking syntax:
 *     once spent, the worker closes the think block itself and the answer follows;
 *     {@value #UNLIMITED_REASONING} is no limit, 0 no thinking (a block is closed as soon as it opens)
 * @param separateReasoning whether the worker marks the thinking as {@link TokenData#reasoning} and
 *     hides the block's markers; false leaves the raw text (markers included) as answer text
 */
public record StreamConfig(int maxTokens, double temperature, int topK, double topP, double minP,
    double repeatPenalty, int repeatLastN, double frequencyPenalty, double presencePenalty, Long seed,
    List<String> stop, long streamDelayMs, int bufferSize, long timeoutMs, int topLogprobs, String grammar,
    boolean cachePrompt, Map<Integer, Double> logitBias, int reasoningBudget, boolean separateReasoning) {

  public static final int MAX_TOP_LOGPROBS = 20;
  public static final int MAX_STOP_SEQUENCES = 16;
  public static final int MAX_STOP_LENGTH = 256;
  /** The largest seed llama.cpp takes: a uint32 whose largest value, 0xFFFFFFFF, means "random". */
  public static final long MAX_SEED = 0xFFFF_FFFEL;
  /** The request {@code seed} that asks for a random one, as llama.cpp's and llama-server's -1. */
  public static final long RANDOM_SEED = -1;
  /** The most tokens one {@code logit_bias} may name. */
  public static final int MAX_LOGIT_BIAS = 1024;
  /** The largest bias, either way, as OpenAI's. */
  public static final double MAX_BIAS = 100;
  /** The longest grammar accepted, in characters. */
  public static final int MAX_GRAMMAR_LENGTH = 1 << 20;
  /** {@code timeout_ms} that means the generation has no deadline. */
  public static final long NO_TIMEOUT = 0;
  /** {@code reasoning_budget} that puts no limit on thinking. */
  public static final int UNLIMITED_REASONING = -1;
  /** The largest {@code reasoning_budget}. */
  public static final int MAX_REASONING_BUDGET = 1_000_000;
  /**
   * How far ahead "no deadline" lies, in nanoseconds (about 73 years): far enough never to come,
   * near enough that {@code now - deadline} comparisons of {@link System#nanoTime()} values cannot overflow.
   */
  private static final long NO_DEADLINE_NANOS = Long.MAX_VALUE / 4;

  private static final StreamConfig DEFAULTS =
      new StreamConfig(256, 0.8, 40, 0.95, 0.0, 1.0, 64, 0.0, 0.0, null, List.of(), 0, 32, 30_000, 0, null, true, Map.of(),
          UNLIMITED_REASONING, true);

  public StreamConfig {
    stop = stop == null ? List.of() : List.copyOf(stop);
    logitBias = logitBias == null || logitBias.isEmpty() ? Map.of()
        : Collections.unmodifiableSortedMap(new TreeMap<>(logitBias));
  }

  public static StreamConfig defaults() {
    return DEFAULTS;
  }

  /**
   * The sampler's seed for a request's {@code seed}, which may be any 64-bit integer (as OpenAI's):
   * {@value #RANDOM_SEED} asks for a random one (null: the gateway picks one and reports it); 0 to
   * {@value #MAX_SEED} is used as it is; any other value {@code v} becomes {@code v} modulo 4294967295
   * ({@code Math.floorMod}, so negative values too), which is in that range.
   */
  public static Long seedOf(long requested) {
    return requested == RANDOM_SEED ? null : Math.floorMod(requested, MAX_SEED + 1);
  }

  /**
   * Throws {@link RequestValidationException} naming the first parameter out of range; a grammar
   * must also pass {@link GbnfCheck} (parse, and stay within the bounds that keep llama.cpp safe).
   */
  public StreamConfig validate() {
    check(maxTokens >= 1 && maxTokens <= 1_000_000, "max_tokens", "must be between 1 and 1000000, got " + maxTokens);
    check(Double.isFinite(temperature) && temperature >= 0 && temperature <= 5, "temperature",
        "must be between 0 and 5, got " + temperature);
    check(topK >= 0, "top_k", "must be 0 (disabled) or positive, got " + topK);
    check(Double.isFinite(topP) && topP > 0 && topP <= 1, "top_p", "must be in (0, 1], got " + topP);
    check(Double.isFinite(minP) && minP >= 0 && minP <= 1, "min_p", "must be in [0, 1], got " + minP);
    check(Double.isFinite(repeatPenalty) && repeatPenalty > 0 && repeatPenalty <= 10, "repeat_penalty",
        "must be in (0, 10], got " + repeatPenalty);
    check(repeatLastN >= -1, "repeat_last_n", "must be -1 (whole context) or more, got " + repeatLastN);
    check(Double.isFinite(frequencyPenalty) && Math.abs(frequencyPenalty) <= 2, "frequency_penalty",
        "must be between -2 and 2, got " + frequencyPenalty);
    check(Double.isFinite(presencePenalty) && Math.abs(presencePenalty) <= 2, "presence_penalty",
        "must be between -2 and 2, got " + presencePenalty);
    check(seed == null || (seed >= 0 && seed <= MAX_SEED), "seed", "must be between 0 and " + MAX_SEED + ", got " + seed);
    check(stop.size() <= MAX_STOP_SEQUENCES, "stop", "must hold at most " + MAX_STOP_SEQUENCES + " sequences, got " + stop.size());
    for (String s : stop) {
      check(s != null && !s.isEmpty() && s.length() <= MAX_STOP_LENGTH, "stop",
          "sequences must be non-empty and at most " + MAX_STOP_LENGTH + " characters each");
    }
    check(streamDelayMs >= 0 && streamDelayMs <= 60_000, "stream_delay_ms",
        "must be between 0 and 60000, got " + streamDelayMs);
    check(bufferSize >= 1 && bufferSize <= 4096, "buffer_size", "must be between 1 and 4096, got " + bufferSize);
    check(timeoutMs >= 0 && timeoutMs <= 86_400_000L, "timeout_ms",
        "must be between 0 (no timeout) and 86400000, got " + timeoutMs);
    check(topLogprobs >= 0 && topLogprobs <= MAX_TOP_LOGPROBS, "top_logprobs",
        "must be between 0 and " + MAX_TOP_LOGPROBS + ", got " + topLogprobs);
    check(grammar == null || (!grammar.isBlank() && grammar.length() <= MAX_GRAMMAR_LENGTH), "grammar",
        "must be a non-empty GBNF grammar of at most " + MAX_GRAMMAR_LENGTH + " characters");
    check(logitBias.size() <= MAX_LOGIT_BIAS, "logit_bias",
        "may name at most " + MAX_LOGIT_BIAS + " tokens, got " + logitBias.size());
    for (Map.Entry<Integer, Double> e : logitBias.entrySet()) {
      check(e.getKey() >= 0, "logit_bias", "keys must be token ids (0 or more), got " + e.getKey());
      Double bias = e.getValue();
      check(bias != null && Double.isFinite(bias) && Math.abs(bias) <= MAX_BIAS, "logit_bias",
          "values must be numbers between -100 and 100, got " + bias + " for token " + e.getKey());
    }
    check(reasoningBudget >= UNLIMITED_REASONING && reasoningBudget <= MAX_REASONING_BUDGET, "reasoning_budget",
        "must be -1 (unlimited), 0 (no thinking) or a number of tokens up to " + MAX_REASONING_BUDGET + ", got "
        + reasoningBudget);
    if (grammar != null) {
      try {
        GbnfCheck.check(grammar);
      } catch (GbnfException e) {
        throw new RequestValidationException("grammar", "grammar is not accepted: " + e.getMessage());
      }
    }
    return this;
  }

  /** Whether the generation has a deadline ({@code timeout_ms} is not {@link #NO_TIMEOUT}). */
  public boolean hasTimeout() {
    return timeoutMs != NO_TIMEOUT;
  }

  /**
   * The {@link System#nanoTime()} by which a generation started at {@code startNanos} must end: far
   * in the future (never reached) without a timeout. Compare with {@code now - deadline >= 0}.
   */
  public long deadlineNanos(long startNanos) {
    return startNanos + (hasTimeout() ? timeoutMs * 1_000_000L : NO_DEADLINE_NANOS);
  }

  /**
   * This configuration for the rest of a generation whose deadline is {@code deadlineNanos} (a
   * stream that moves to another worker, or is resumed elsewhere): the time left, at least 1 ms; no
   * timeout stays no timeout.
   */
  public StreamConfig withRemainingTimeout(long deadlineNanos, long nowNanos) {
    if (!hasTimeout()) {
      return this;
    }
    return withTimeoutMs(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadlineNanos - nowNanos)));
  }

  private static void check(boolean ok, String param, String message) {
    if (!ok) {
      throw new RequestValidationException(param, param + " " + message);
    }
  }

  public StreamConfig withMaxTokens(int v) {
    return toBuilder().maxTokens(v).build();
  }

  public StreamConfig withTemperature(double v) {
    return toBuilder().temperature(v).build();
  }

  public StreamConfig withTopK(int v) {
    return toBuilder().topK(v).build();
  }

  public StreamConfig withTopP(double v) {
    return toBuilder().topP(v).build();
  }

  public StreamConfig withMinP(double v) {
    return toBuilder().minP(v).build();
  }

  public StreamConfig withRepeatPenalty(double v) {
    return toBuilder().repeatPenalty(v).build();
  }

  public StreamConfig withPenalties(double frequency, double presence) {
    return toBuilder().frequencyPenalty(frequency).presencePenalty(presence).build();
  }

  public StreamConfig withSeed(Long v) {
    return toBuilder().seed(v).build();
  }

  public StreamConfig withStop(List<String> v) {
    return toBuilder().stop(v).build();
  }

  public StreamConfig withStreamDelayMs(long v) {
    return toBuilder().streamDelayMs(v).build();
  }

  public StreamConfig withBufferSize(int v) {
    return toBuilder().bufferSize(v).build();
  }

  public StreamConfig withTimeoutMs(long v) {
    return toBuilder().timeoutMs(v).build();
  }

  public StreamConfig withTopLogprobs(int v) {
    return toBuilder().topLogprobs(v).build();
  }

  /** The same settings, constrained by a GBNF grammar (null: none). */
  public StreamConfig withGrammar(String v) {
    return toBuilder().grammar(v).build();
  }

  public StreamConfig withCachePrompt(boolean v) {
    return toBuilder().cachePrompt(v).build();
  }

  public StreamConfig withLogitBias(Map<Integer, Double> v) {
    return toBuilder().logitBias(v).build();
  }

  public StreamConfig withReasoningBudget(int v) {
    return toBuilder().reasoningBudget(v).build();
  }

  public Builder toBuilder() {
    return new Builder(this);
  }

  /** A mutable copy to change several fields at once; {@link #build()} does not validate. */
  public static final class Builder {
    private int maxTokens;
    private double temperature;
    private int topK;
    private double topP;
    private double minP;
    private double repeatPenalty;
    private int repeatLastN;
    private double frequencyPenalty;
    private double presencePenalty;
    private Long seed;
    private List<String> stop;
    private long streamDelayMs;
    private int bufferSize;
    private long timeoutMs;
    private int topLogprobs;
    private String grammar;
    private boolean cachePrompt;
    private Map<Integer, Double> logitBias;
    private int reasoningBudget;
    private boolean separateReasoning;

    private Builder(StreamConfig c) {
      maxTokens = c.maxTokens;
      temperature = c.temperature;
      topK = c.topK;
      topP = c.topP;
      minP = c.minP;
      repeatPenalty = c.repeatPenalty;
      repeatLastN = c.repeatLastN;
      frequencyPenalty = c.frequencyPenalty;
      presencePenalty = c.presencePenalty;
      seed = c.seed;
      stop = c.stop;
      streamDelayMs = c.streamDelayMs;
      bufferSize = c.bufferSize;
      timeoutMs = c.timeoutMs;
      topLogprobs = c.topLogprobs;
      grammar = c.grammar;
      cachePrompt = c.cachePrompt;
      logitBias = c.logitBias;
      reasoningBudget = c.reasoningBudget;
      separateReasoning = c.separateReasoning;
    }

    public Builder maxTokens(int v) { maxTokens = v; return this; }

    public Builder temperature(double v) { temperature = v; return this; }

    public Builder topK(int v) { topK = v; return this; }

    public Builder topP(double v) { topP = v; return this; }

    public Builder minP(double v) { minP = v; return this; }

    public Builder repeatPenalty(double v) { repeatPenalty = v; return this; }

    public Builder repeatLastN(int v) { repeatLastN = v; return this; }

    public Builder frequencyPenalty(double v) { frequencyPenalty = v; return this; }

    public Builder presencePenalty(double v) { presencePenalty = v; return this; }

    public Builder seed(Long v) { seed = v; return this; }

    public Builder stop(List<String> v) { stop = v; return this; }

    public Builder streamDelayMs(long v) { streamDelayMs = v; return this; }

    public Builder bufferSize(int v) { bufferSize = v; return this; }

    public Builder timeoutMs(long v) { timeoutMs = v; return this; }

    public Builder topLogprobs(int v) { topLogprobs = v; return this; }

    public Builder grammar(String v) { grammar = v; return this; }

    public Builder cachePrompt(boolean v) { cachePrompt = v; return this; }

    public Builder logitBias(Map<Integer, Double> v) { logitBias = v; return this; }

    public Builder reasoningBudget(int v) { reasoningBudget = v; return this; }

    public Builder separateReasoning(boolean v) { separateReasoning = v; return this; }

    public StreamConfig build() {
      return new StreamConfig(maxTokens, temperature, topK, topP, minP, repeatPenalty, repeatLastN, frequencyPenalty,
          presencePenalty, seed, stop, streamDelayMs, bufferSize, timeoutMs, topLogprobs, grammar, cachePrompt,
          logitBias, reasoningBudget, separateReasoning);
    }
  }
}
