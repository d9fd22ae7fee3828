package dev.tokenbus.client;

import io.vertx.core.json.JsonObject;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * How one generation samples, how long it may run and how many tokens may be in flight. Immutable;
 * build one with {@link #builder()} (or change one with {@link #toBuilder()}):
 *
 * <pre>{@code
 * StreamConfig config = StreamConfig.builder().maxTokens(64).temperature(0).build();
 * }</pre>
 *
 * <p>Defaults: maxTokens 256, temperature 0.8, topK 40, topP 0.95, repeatLastN 64, no stop
 * sequences, streamDelayMs 0, bufferSize 32, timeoutMs 30000, no seed (the server picks one and
 * reports it), topLogprobs 0, no grammar or JSON Schema, cachePrompt true, no logit bias, any model, no
 * reasoning budget (-1), reasoning split as the gateway says (null): the
 * gateway's own defaults. Ranges are those of the gateway's request parameters; {@link Builder#build()}
 * checks them, so a bad value fails here, before anything is sent, with an
 * {@link InvalidRequestException} whose {@link TokenbusException#param() param()} is the request
 * field's name (status 0). A grammar or schema the gateway cannot use is its 400, over either transport.
 *
 * @param maxTokens most tokens to generate, 1..1000000
 * @param temperature 0 (greedy) to 5
 * @param topK candidates kept by top-k; 0 disables it
 * @param topP nucleus mass in (0, 1]; 1 disables it
 * @param minP min-p in [0, 1]; 0 disables it
 * @param repeatPenalty in (0, 10]; 1 disables it
 * @param repeatLastN how many recent tokens the penalties look at, -1 for the whole context
 * @param frequencyPenalty OpenAI-style, -2..2
 * @param presencePenalty OpenAI-style, -2..2
 * @param seed the sampler's seed, any 64-bit integer (the server folds it into llama.cpp's 32-bit
 *     seed; -1 asks for a random one, as null does)
 * @param stopSequences up to 16; the generation ends before the first match, which is not sent
 * @param streamDelayMs a pause between tokens, 0..60000
 * @param bufferSize tokens in flight, 1..4096: the worker's credit window towards the gateway, and
 *     this client's window towards the gateway (tokens received but not yet taken by the consumer)
 * @param timeoutMs the generation's deadline, 1..86400000 ms; 0 means none, here and on the server
 * @param topLogprobs alternatives reported per token, 0..20
 * @param grammar a GBNF grammar (start rule {@code root}) every generated token must follow, or null
 * @param jsonSchema a JSON Schema the answer must validate against (the gateway turns it into a
 *     grammar), or null; not together with {@code grammar}
 * @param cachePrompt whether the worker may reuse cached KV cells of an earlier prompt sharing this
 *     one's start, and keep this one's for later ones
 * @param logitBias token id to a bias in [-100, 100] ({@link #MAX_BIAS}) added to its logit
 *     before sampling (-100 all but bans the token, 100 all but forces it), at most
 *     {@value #MAX_LOGIT_BIAS} tokens; empty for none
 * @param model the model to route to (the gateway's {@code model} field); null for any
 * @param reasoningBudget for a thinking model, the most tokens it may think for before the worker
 *     closes its think block, -1..1000000; -1 is no limit, 0 no thinking
 * @param reasoningFormat {@code "none"} to get a thinking model's think block as plain text, unsplit;
 *     {@code "reasoning_content"} or {@code "reasoning"} (or null) to get its tokens flagged
 *     {@link TokenData#reasoning()}
 */
public record StreamConfig(int maxTokens, double temperature, int topK, double topP, double minP,
    double repeatPenalty, int repeatLastN, double frequencyPenalty, double presencePenalty, Long seed,
    List<String> stopSequences, long streamDelayMs, int bufferSize, long timeoutMs, int topLogprobs, String grammar,
    JsonObject jsonSchema, boolean cachePrompt, Map<Integer, Double> logitBias, String model, int reasoningBudget,
    String reasoningFormat) {

  /** The most tokens one {@code logitBias} may name (the server's limit). */
  public static final int MAX_LOGIT_BIAS = 1024;
  /** The largest bias, either way, in {@code logitBias} (the server's limit, as OpenAI's). */
  public static final double MAX_BIAS = 100;

  private static final StreamConfig DEFAULTS = new StreamConfig(256, 0.8, 40, 0.95, 0.0, 1.0, 64, 0.0, 0.0, null,
      List.of(), 0, 32, 30_000, 0, null, null, true, Map.of(), null, -1, null);

  /**
   * Copies the stop sequences and the schema; checks every range (an {@link InvalidRequestException}
   * names the field).
   */
  public StreamConfig {
    stopSequences = stopSequences == null ? List.of() : List.copyOf(stopSequences);
    jsonSchema = jsonSchema == null ? null : jsonSchema.copy();
    logitBias = logitBias == null || logitBias.isEmpty() ? Map.of()
        : Collections.unmodifiableSortedMap(new TreeMap<>(logitBias));
    check(maxTokens >= 1 && maxTokens <= 1_000_000, "maxTokens", "between 1 and 1000000", maxTokens);
    check(Double.isFinite(temperature) && temperature >= 0 && temperature <= 5, "temperature", "between 0 and 5",
        temperature);
    check(topK >= 0, "topK", "0 (disabled) or more", topK);
    check(Double.isFinite(topP) && topP > 0 && topP <= 1, "topP", "in (0, 1]", topP);
    check(Double.isFinite(minP) && minP >= 0 && minP <= 1, "minP", "in [0, 1]", minP);
    check(Double.isFinite(repeatPenalty) && repeatPenalty > 0 && repeatPenalty <= 10, "repeatPenalty", "in (0, 10]",
        repeatPenalty);
    check(repeatLastN >= -1, "repeatLastN", "-1 (the whole context) or more", repeatLastN);
    check(Double.isFinite(frequencyPenalty) && Math.abs(frequencyPenalty) <= 2, "frequencyPenalty",
        "between -2 and 2", frequencyPenalty);
    check(Double.isFinite(presencePenalty) && Math.abs(presencePenalty) <= 2, "presencePenalty", "between -2 and 2",
        presencePenalty);
    check(stopSequences.size() <= 16, "stopSequences", "at most 16 sequences", stopSequences.size());
    for (String s : stopSequences) {
      check(s != null && !s.isEmpty() && s.length() <= 256, "stopSequences",
          "non-empty strings of at most 256 characters", s);
    }
    check(streamDelayMs >= 0 && streamDelayMs <= 60_000, "streamDelayMs", "between 0 and 60000", streamDelayMs);
    check(bufferSize >= 1 && bufferSize <= 4096, "bufferSize", "between 1 and 4096", bufferSize);
    check(timeoutMs >= 0 && timeoutMs <= 86_400_000L, "timeoutMs", "between 0 (no timeout) and 86400000", timeoutMs);
    check(topLogprobs >= 0 && topLogprobs <= 20, "topLogprobs", "between 0 and 20", topLogprobs);
    check(grammar == null || !grammar.isBlank(), "grammar", "a non-empty GBNF grammar", grammar);
    check(logitBias.size() <= MAX_LOGIT_BIAS, "logitBias", "at most " + MAX_LOGIT_BIAS + " tokens",
        logitBias.size());
    for (Map.Entry<Integer, Double> e : logitBias.entrySet()) {
      check(e.getKey() != null && e.getKey() >= 0, "logitBias", "keyed by token ids (0 or more)", e.getKey());
      check(e.getValue() != null && Double.isFinite(e.getValue()) && Math.abs(e.getValue()) <= MAX_BIAS,
          "logitBias", "biases between -" + MAX_BIAS + " and " + MAX_BIAS, e.getValue());
    }
    check(grammar == null || jsonSchema == null, "grammar", "left out when jsonSchema is given (one or the other)",
        grammar);
    check(reasoningBudget >= -1 && reasoningBudget <= 1_000_000, "reasoningBudget",
        "-1 (unlimited), 0 (no thinking) or up to 1000000 tokens", reasoningBudget);
    check(reasoningFormat == null || List.of("reasoning_content", "reasoning", "none").contains(reasoningFormat),
        "reasoningFormat", "reasoning_content, reasoning, none or null", reasoningFormat);
  }

  /** A copy: the record's own schema cannot be changed through it. */
  @Override
  public JsonObject jsonSchema() {
    return jsonSchema == null ? null : jsonSchema.copy();
  }

  /** The defaults listed above. */
  public static StreamConfig defaults() {
    return DEFAULTS;
  }

  /** A builder starting from the defaults. */
  public static Builder builder() {
    return new Builder(DEFAULTS);
  }

  /** A builder starting from this configuration. */
  public Builder toBuilder() {
    return new Builder(this);
  }

  /** Whether the generation has a deadline ({@code timeoutMs} is not 0). */
  public boolean hasTimeout() {
    return timeoutMs != 0;
  }

  private static void check(boolean ok, String field, String range, Object got) {
    if (!ok) {
      throw Errors.invalid(Wire.name(field), field + " must be " + range + ", got " + got);
    }
  }

  /** Sets fields one by one; {@link #build()} checks them. */
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
    private List<String> stopSequences;
    private long streamDelayMs;
    private int bufferSize;
    private long timeoutMs;
    private int topLogprobs;
    private String grammar;
    private JsonObject jsonSchema;
    private boolean cachePrompt;
    private Map<Integer, Double> logitBias;
    private String model;
    private int reasoningBudget;
    private String reasoningFormat;

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
      stopSequences = c.stopSequences;
      streamDelayMs = c.streamDelayMs;
      bufferSize = c.bufferSize;
      timeoutMs = c.timeoutMs;
      topLogprobs = c.topLogprobs;
      grammar = c.grammar;
      jsonSchema = c.jsonSchema;
      cachePrompt = c.cachePrompt;
      logitBias = c.logitBias;
      model = c.model;
      reasoningBudget = c.reasoningBudget;
      reasoningFormat = c.reasoningFormat;
    }

    /** Most tokens to generate. */
    public Builder maxTokens(int v) { maxTokens = v; return this; }

    /** 0 is greedy. */
    public Builder temperature(double v) { temperature = v; return this; }

    /** 0 disables top-k. */
    public Builder topK(int v) { topK = v; return this; }

    /** 1 disables top-p. */
    public Builder topP(double v) { topP = v; return this; }

    /** 0 disables min-p. */
    public Builder minP(double v) { minP = v; return this; }

    /** 1 disables the repeat penalty. */
    public Builder repeatPenalty(double v) { repeatPenalty = v; return this; }

    /** How many recent tokens the penalties look at; -1 for the whole context. */
    public Builder repeatLastN(int v) { repeatLastN = v; return this; }

    /** OpenAI-style frequency penalty. */
    public Builder frequencyPenalty(double v) { frequencyPenalty = v; return this; }

    /** OpenAI-style presence penalty. */
    public Builder presencePenalty(double v) { presencePenalty = v; return this; }

    /** A fixed seed, for a repeatable run: {@code seed(42)}. */
    public Builder seed(long v) { seed = v; return this; }

    /** A fixed seed, or null to let the server choose one. */
    public Builder seed(Long v) { seed = v; return this; }

    /** Stop sequences (replaces any set before). */
    public Builder stopSequences(List<String> v) { stopSequences = Objects.requireNonNull(v); return this; }

    /** Stop sequences (replaces any set before). */
    public Builder stopSequences(String... v) { return stopSequences(List.of(v)); }

    /** A pause between tokens, in milliseconds. */
    public Builder streamDelayMs(long v) { streamDelayMs = v; return this; }

    /** Tokens in flight, each way of the gateway. */
    public Builder bufferSize(int v) { bufferSize = v; return this; }

    /** The generation's deadline in milliseconds; 0 for none. */
    public Builder timeoutMs(long v) { timeoutMs = v; return this; }

    /** Alternatives reported per token. */
    public Builder topLogprobs(int v) { topLogprobs = v; return this; }

    /** A GBNF grammar the answer must follow; null for none. */
    public Builder grammar(String v) { grammar = v; return this; }

    /** A JSON Schema the answer must validate against (copied at {@link #build()}); null for none. */
    public Builder jsonSchema(JsonObject v) { jsonSchema = v; return this; }

    /** Whether the worker may reuse and keep the prompt's KV cells (prefix cache). */
    public Builder cachePrompt(boolean v) { cachePrompt = v; return this; }

    /** Token id to a bias in [-100, 100] (OpenAI's {@code logit_bias}); empty for none. */
    public Builder logitBias(Map<Integer, Double> v) { logitBias = v; return this; }

    /** The model to route to; null for any. */
    public Builder model(String v) { model = v; return this; }

    /** Most tokens a thinking model may think for; -1 for no limit, 0 for no thinking. */
    public Builder reasoningBudget(int v) { reasoningBudget = v; return this; }

    /** {@code "none"} leaves a thinking model's think block unsplit; null: the gateway's setting. */
    public Builder reasoningFormat(String v) { reasoningFormat = v; return this; }

    /** The configuration; an {@link InvalidRequestException} names a field out of range. */
    public StreamConfig build() {
      return new StreamConfig(maxTokens, temperature, topK, topP, minP, repeatPenalty, repeatLastN, frequencyPenalty,
          presencePenalty, seed, stopSequences, streamDelayMs, bufferSize, timeoutMs, topLogprobs, grammar, jsonSchema,
          cachePrompt, logitBias, model, reasoningBudget, reasoningFormat);
    }
  }
}
