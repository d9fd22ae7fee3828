package dev.tokenbus.engine.llama;

import static java.lang.foreign.ValueLayout.JAVA_BOOLEAN;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SegmentAllocator;
import java.util.Map;

/**
 * One sequence's llama.cpp sampler chain. The chain keeps the state that penalties and the random
 * generator need, so each sequence has its own.
 *
 * <p>Two shapes. {@link #full} is llama.cpp's usual chain over the whole vocabulary: logit bias,
 * penalties, top-k, top-p, min-p, temperature, a seeded draw (or greedy at temperature 0), the order
 * llama-server's chain has. {@link #overCandidates} leaves out logit bias, penalties and top-k: the
 * caller has already picked the top-k candidates (the engine
 * does so in the same pass that computes logprobs, which saves llama.cpp a sort of the whole
 * vocabulary per token) and hands them to {@link #sampleFrom}.
 */
public final class NativeSampler implements AutoCloseable {

  /**
   * The sampling settings of one sequence. {@code topK} 0, {@code topP} 1 and {@code minP} 0 disable
   * those stages; {@code logitBias} (token id to the bias added to its logit) may be empty.
   */
  public record Settings(float temperature, int topK, float topP, float minP, long seed, float repeatPenalty,
      int repeatLastN, float frequencyPenalty, float presencePenalty, Map<Integer, Double> logitBias) {

    public Settings {
      logitBias = logitBias == null ? Map.of() : Map.copyOf(logitBias);
    }

    /** Settings without logit bias. */
    public Settings(float temperature, int topK, float topP, float minP, long seed, float repeatPenalty,
        int repeatLastN, float frequencyPenalty, float presencePenalty) {
      this(temperature, topK, topP, minP, seed, repeatPenalty, repeatLastN, frequencyPenalty, presencePenalty,
          Map.of());
    }

    public boolean penalises() {
      return repeatPenalty != 1.0f || frequencyPenalty != 0.0f || presencePenalty != 0.0f;
    }

    /** Whether the settings change logits before any other stage, which only the whole vocabulary allows. */
    public boolean needsWholeVocabulary() {
      return penalises() || !logitBias.isEmpty();
    }
  }

  private final LlamaApi api;
  private final Arena arena = Arena.ofShared();
  private final MemorySegment chain;
  private final MemorySegment candidates;
  private final MemorySegment candidateArray;
  private final MemorySegment arrayOfAll;
  private final MemorySegment single;
  private final MemorySegment singleArray;
  private final int capacity;
  private MemorySegment all;
  private int allCapacity;
  private boolean closed;

  private NativeSampler(NativeContext context, Settings s, int candidateCapacity) {
    this(context, s, candidateCapacity, null, null);
  }

  private NativeSampler(NativeContext context, Settings s, int candidateCapacity, String grammar, String grammarRoot) {
    this.api = context.api();
    this.capacity = candidateCapacity;
    this.candidates = candidateCapacity > 0 ? arena.allocate(LlamaApi.TOKEN_DATA, candidateCapacity) : null;
    this.candidateArray = candidateCapacity > 0 ? arena.allocate(LlamaApi.TOKEN_DATA_ARRAY) : null;
    this.arrayOfAll = arena.allocate(LlamaApi.TOKEN_DATA_ARRAY);
    this.single = arena.allocate(LlamaApi.TOKEN_DATA);
    this.singleArray = arena.allocate(LlamaApi.TOKEN_DATA_ARRAY);
    try {
      MemorySegment params = (MemorySegment) api.samplerChainDefaultParams.invokeExact((SegmentAllocator) arena);
      this.chain = (MemorySegment) api.samplerChainInit.invokeExact(params);
    } catch (Throwable t) {
      arena.close();
      throw new LlamaException("llama_sampler_chain_init failed: " + t, t);
    }
    try {
      if (grammar != null) {
        MemorySegment g = NativeGrammar.init(context.model(), grammar, grammarRoot);
        add(g);
      }
      boolean overCandidates = candidateCapacity > 0;
      if (!overCandidates && !s.logitBias().isEmpty()) {
        add(logitBias(context.model().vocabSize(), s.logitBias()));
      }
      if (!overCandidates && s.penalises()) {
        add(api.abi.penalties(context.model().vocabSize(), s.repeatLastN(), s.repeatPenalty(),
            s.frequencyPenalty(), s.presencePenalty()));
      }
      if (s.temperature() <= 0.0f) {
        add((MemorySegment) api.samplerInitGreedy.invokeExact());
        return;
      }
      if (!overCandidates && s.topK() > 0) {
        add((MemorySegment) api.samplerInitTopK.invokeExact(s.topK()));
      }
      if (s.topP() < 1.0f) {
        add((MemorySegment) api.samplerInitTopP.invokeExact(s.topP(), 1L));
      }
      if (s.minP() > 0.0f) {
        add((MemorySegment) api.samplerInitMinP.invokeExact(s.minP(), 1L));
      }
      add((MemorySegment) api.samplerInitTemp.invokeExact(s.temperature()));
      // llama.cpp seeds with a uint32; 0xFFFFFFFF would mean "random", so callers resolve seeds first.
      add((MemorySegment) api.samplerInitDist.invokeExact((int) s.seed()));
    } catch (IllegalArgumentException e) {
      close();
      throw e;
    } catch (Throwable t) {
      close();
      throw new LlamaException("could not build the sampler chain: " + t, t);
    }
  }

  /** The usual chain over the whole vocabulary; sample with {@link #sample}. */
  public static NativeSampler full(NativeContext context, Settings s) {
    return new NativeSampler(context, s, 0);
  }

  /**
   * The usual chain over the whole vocabulary behind a GBNF grammar stage
   * ({@code llama_sampler_init_grammar}): only tokens that keep the text inside the grammar can be
   * drawn. Sample with {@link #sample}, which also advances the grammar.
   *
   * @param grammar GBNF production rules
   * @param root the start symbol, usually {@code root}
   * @throws InvalidGrammarException (an IllegalArgumentException) the grammar does not parse, with llama.cpp's reason
   */
  public static NativeSampler withGrammar(NativeContext context, Settings s, String grammar, String root) {
    if (grammar == null || grammar.isBlank() || root == null || root.isBlank()) {
      throw new IllegalArgumentException("a grammar and its root symbol are required");
    }
    return new NativeSampler(context, s, 0, grammar, root);
  }

  /**
   * A chain for pre-selected candidates (no penalties, no top-k stage); sample with {@link #sampleFrom}.
   *
   * @param capacity the most candidates that will be passed
   */
  public static NativeSampler overCandidates(NativeContext context, Settings s, int capacity) {
    if (s.needsWholeVocabulary()) {
      throw new IllegalArgumentException("penalties and logit bias need the whole vocabulary: use full()");
    }
    return new NativeSampler(context, s, capacity);
  }

  /** llama.cpp's logit-bias stage, which copies the array it is given. */
  private MemorySegment logitBias(int vocabSize, Map<Integer, Double> bias) throws Throwable {
    try (Arena scratch = Arena.ofConfined()) {
      MemorySegment array = scratch.allocate(LlamaApi.LOGIT_BIAS, bias.size());
      long i = 0;
      for (Map.Entry<Integer, Double> e : bias.entrySet()) {
        long base = i++ * LlamaApi.LOGIT_BIAS.byteSize();
        array.set(JAVA_INT, base, e.getKey());
        array.set(JAVA_FLOAT, base + 4, e.getValue().floatValue());
      }
      return (MemorySegment) api.samplerInitLogitBias.invokeExact(vocabSize, bias.size(), array);
    }
  }

  private void add(MemorySegment sampler) throws Throwable {
    api.samplerChainAdd.invokeExact(chain, sampler);
  }

  /** Samples from the logits of batch entry {@code index} of the last decode, and records the choice. */
  public int sample(NativeContext context, int index) {
    try {
      return (int) api.samplerSample.invokeExact(chain, context.handle(), index);
    } catch (Throwable t) {
      throw new LlamaException("llama_sampler_sample failed: " + t, t);
    }
  }

  /**
   * Samples among candidates sorted by descending logit.
   *
   * @return the chosen token id
   */
  public int sampleFrom(int[] ids, float[] logits, int count) {
    if (count > capacity) {
      throw new IllegalArgumentException(count + " candidates, room for " + capacity);
    }
    for (int i = 0; i < count; i++) {
      long base = i * LlamaApi.TOKEN_DATA.byteSize();
      candidates.set(JAVA_INT, base, ids[i]);
      candidates.set(JAVA_FLOAT, base + 4, logits[i]);
      candidates.set(JAVA_FLOAT, base + 8, 0f);
    }
    candidateArray.set(java.lang.foreign.ValueLayout.ADDRESS, LlamaApi.TDA_DATA, candidates);
    candidateArray.set(JAVA_LONG, LlamaApi.TDA_SIZE, count);
    candidateArray.set(JAVA_LONG, LlamaApi.TDA_SELECTED, -1L);
    candidateArray.set(JAVA_BOOLEAN, LlamaApi.TDA_SORTED, true);
    try {
      api.samplerApply.invokeExact(chain, candidateArray);
    } catch (Throwable t) {
      throw new LlamaException("llama_sampler_apply failed: " + t, t);
    }
    long selected = candidateArray.get(JAVA_LONG, LlamaApi.TDA_SELECTED);
    // Stages may shrink or reorder the array in place; the pointer may even move, so read through it.
    MemorySegment data = candidateArray.get(java.lang.foreign.ValueLayout.ADDRESS, LlamaApi.TDA_DATA)
        .reinterpret(LlamaApi.TOKEN_DATA.byteSize() * capacity);
    if (selected < 0 || selected >= candidateArray.get(JAVA_LONG, LlamaApi.TDA_SIZE)) {
      throw new LlamaException("the sampler chain selected no candidate (" + selected + ")");
    }
    return data.get(JAVA_INT, selected * LlamaApi.TOKEN_DATA.byteSize());
  }

  /**
   * Runs the chain over the whole vocabulary with the logits given ({@code logits[token]}; negative
   * infinity excludes a token, as a grammar does) and returns its choice <em>without</em> recording
   * it: the caller {@link #accept}s the token that is kept (the choice, or a resumed token it replays).
   */
  public int choose(float[] logits, int n) {
    if (n > allCapacity) {
      all = arena.allocate(LlamaApi.TOKEN_DATA, n);
      allCapacity = n;
    }
    for (int i = 0; i < n; i++) {
      long base = i * LlamaApi.TOKEN_DATA.byteSize();
      all.set(JAVA_INT, base, i);
      all.set(JAVA_FLOAT, base + 4, logits[i]);
      all.set(JAVA_FLOAT, base + 8, 0f);
    }
    candidateArrayFor(all, n, false);
    try {
      api.samplerApply.invokeExact(chain, arrayOfAll);
    } catch (Throwable t) {
      throw new LlamaException("llama_sampler_apply failed: " + t, t);
    }
    long selected = arrayOfAll.get(JAVA_LONG, LlamaApi.TDA_SELECTED);
    MemorySegment data = arrayOfAll.get(java.lang.foreign.ValueLayout.ADDRESS, LlamaApi.TDA_DATA)
        .reinterpret(LlamaApi.TOKEN_DATA.byteSize() * n);
    if (selected < 0 || selected >= arrayOfAll.get(JAVA_LONG, LlamaApi.TDA_SIZE)) {
      throw new LlamaException("the sampler chain selected no token (" + selected + ")");
    }
    return data.get(JAVA_INT, selected * LlamaApi.TOKEN_DATA.byteSize());
  }

  /**
   * Runs the chain over {@code token} alone, as a draw that can only pick it: every stage sees one
   * candidate and the draw stage still draws once (llama.cpp keeps its generator aligned so), which
   * advances the random generator exactly as a real draw would. Records nothing: the caller
   * {@link #accept}s where the real pick did. Replays a token sampled elsewhere without its logits.
   */
  public void advance(int token) {
    single.set(JAVA_INT, 0, token);
    single.set(JAVA_FLOAT, 4, 0f);
    single.set(JAVA_FLOAT, 8, 0f);
    singleArray.set(java.lang.foreign.ValueLayout.ADDRESS, LlamaApi.TDA_DATA, single);
    singleArray.set(JAVA_LONG, LlamaApi.TDA_SIZE, 1L);
    singleArray.set(JAVA_LONG, LlamaApi.TDA_SELECTED, -1L);
    singleArray.set(JAVA_BOOLEAN, LlamaApi.TDA_SORTED, true);
    try {
      api.samplerApply.invokeExact(chain, singleArray);
    } catch (Throwable t) {
      throw new LlamaException("llama_sampler_apply failed: " + t, t);
    }
  }

  /** Records {@code token} as this sequence's next token (the penalties' history). */
  public void accept(int token) {
    try {
      api.samplerAccept.invokeExact(chain, token);
    } catch (Throwable t) {
      throw new LlamaException("llama_sampler_accept failed: " + t, t);
    }
  }

  private void candidateArrayFor(MemorySegment data, int n, boolean sorted) {
    arrayOfAll.set(java.lang.foreign.ValueLayout.ADDRESS, LlamaApi.TDA_DATA, data);
    arrayOfAll.set(JAVA_LONG, LlamaApi.TDA_SIZE, n);
    arrayOfAll.set(JAVA_LONG, LlamaApi.TDA_SELECTED, -1L);
    arrayOfAll.set(JAVA_BOOLEAN, LlamaApi.TDA_SORTED, sorted);
  }

  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    try {
      api.samplerFree.invokeExact(chain);
    } catch (Throwable t) {
      throw new LlamaException("llama_sampler_free failed: " + t, t);
    } finally {
      arena.close();
    }
  }
}
