package dev.tokenbus.engine.llama;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BOOLEAN;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * One sequence's GBNF grammar: llama.cpp's grammar sampler ({@code llama_sampler_init_grammar}),
 * kept apart from the sampler chain so that the engine decides which tokens it filters and which
 * token it accepts (a resumed stream accepts the tokens it replays, not the ones it would pick).
 *
 * <p>Contract: {@link #accept} takes only a token that {@link #filter}, {@link #mask} or
 * {@link #allows} has just let through; llama.cpp aborts the process on a token its grammar cannot
 * take, so callers check first. Not thread-safe: the decode thread owns it once admitted.
 */
public final class NativeGrammar implements AutoCloseable {

  private static final long ENTRY = LlamaApi.TOKEN_DATA.byteSize();

  private final LlamaApi api;
  private final MemorySegment sampler;
  private final int vocabSize;
  private final Arena arena = Arena.ofShared();
  private final MemorySegment array;
  private MemorySegment entries;
  private int entryCapacity;
  private boolean closed;

  private NativeGrammar(LlamaApi api, MemorySegment sampler, int vocabSize) {
    this.api = api;
    this.sampler = sampler;
    this.vocabSize = vocabSize;
    this.array = arena.allocate(LlamaApi.TOKEN_DATA_ARRAY);
  }

  /**
   * Parses a GBNF grammar whose start rule is {@code root}, for {@code model}'s vocabulary. Safe on
   * any thread: it only reads the vocabulary.
   *
   * @throws InvalidGrammarException when llama.cpp cannot parse it (with the reason it logged)
   */
  public static NativeGrammar parse(NativeModel model, String gbnf) {
    return new NativeGrammar(model.api(), init(model, gbnf, "root"), model.vocabSize());
  }

  /**
   * The one place a grammar sampler is made ({@code llama_sampler_init_grammar}), for a
   * {@link NativeGrammar} and for {@link NativeSampler#withGrammar}'s chain stage alike. Whether it
   * parsed is asked of the release ({@link LlamaAbi#grammarParsed}): v0.5.0 returns NULL, b4916 a
   * sampler without a grammar.
   *
   * @return the sampler, owned by the caller
   * @throws InvalidGrammarException when the grammar is empty, holds a NUL, or does not parse
   */
  static MemorySegment init(NativeModel model, String gbnf, String root) {
    if (gbnf == null || gbnf.isBlank()) {
      throw new InvalidGrammarException("the grammar is empty");
    }
    if (root == null || root.isBlank()) {
      throw new InvalidGrammarException("the grammar's start rule is not named");
    }
    if (gbnf.indexOf('\0') >= 0) {
      throw new InvalidGrammarException("the grammar contains a NUL character");
    }
    LlamaApi api = model.api();
    MemorySegment sampler;
    String reason;
    try (Arena a = Arena.ofConfined()) {
      LlamaLog.takeFirstError();
      LlamaLog.clientInput(true);
      sampler = (MemorySegment) api.samplerInitGrammar.invokeExact(model.vocabHandle(), a.allocateFrom(gbnf),
          a.allocateFrom(root));
      reason = LlamaLog.takeFirstError();
    } catch (Throwable t) {
      throw new LlamaException("llama_sampler_init_grammar failed: " + t, t);
    } finally {
      LlamaLog.clientInput(false);
    }
    if (!api.abi.grammarParsed(sampler)) {
      if (!sampler.equals(MemorySegment.NULL)) {
        try {
          api.samplerFree.invokeExact(sampler);
        } catch (Throwable t) {
          throw new LlamaException("llama_sampler_free failed: " + t, t);
        }
      }
      throw new InvalidGrammarException("the grammar does not parse"
          + (reason != null ? ": " + reason : ": a syntax error, an undefined rule, left recursion, or no '"
              + root + "' rule"));
    }
    return sampler;
  }

  /**
   * Keeps the candidates the grammar allows, in their order, moving them to the front of the arrays.
   *
   * @return how many are allowed (the first that many entries of {@code ids} and {@code logits})
   */
  public int filter(int[] ids, float[] logits, int count) {
    MemorySegment data = entries(count);
    for (int i = 0; i < count; i++) {
      long base = i * ENTRY;
      data.set(JAVA_INT, base, ids[i]);
      data.set(JAVA_FLOAT, base + 4, logits[i]);
      data.set(JAVA_FLOAT, base + 8, 0f);
    }
    apply(data, count, true);
    int kept = 0;
    for (int i = 0; i < count; i++) {
      if (data.get(JAVA_FLOAT, i * ENTRY + 4) != Float.NEGATIVE_INFINITY) {
        ids[kept] = ids[i];
        logits[kept] = logits[i];
        kept++;
      }
    }
    return kept;
  }

  /**
   * Sets the logit of every token the grammar does not allow to negative infinity, over the whole
   * vocabulary ({@code logits[token]}).
   *
   * @return how many tokens are allowed
   */
  public int mask(float[] logits, int n) {
    MemorySegment data = entries(n);
    for (int i = 0; i < n; i++) {
      long base = i * ENTRY;
      data.set(JAVA_INT, base, i);
      data.set(JAVA_FLOAT, base + 4, 0f);
      data.set(JAVA_FLOAT, base + 8, 0f);
    }
    apply(data, n, false);
    int allowed = 0;
    for (int i = 0; i < n; i++) {
      if (data.get(JAVA_FLOAT, i * ENTRY + 4) == Float.NEGATIVE_INFINITY) {
        logits[i] = Float.NEGATIVE_INFINITY;
      } else if (logits[i] != Float.NEGATIVE_INFINITY) {
        allowed++;
      }
    }
    return allowed;
  }

  /** Whether the grammar, in its current state, allows {@code token} next. */
  public boolean allows(int token) {
    if (token < 0 || token >= vocabSize) {
      return false;
    }
    MemorySegment data = entries(1);
    data.set(JAVA_INT, 0, token);
    data.set(JAVA_FLOAT, 4, 0f);
    data.set(JAVA_FLOAT, 8, 0f);
    apply(data, 1, true);
    return data.get(JAVA_FLOAT, 4) != Float.NEGATIVE_INFINITY;
  }

  /** Advances the grammar over {@code token}, which it must allow (see the class contract). */
  public void accept(int token) {
    try {
      api.samplerAccept.invokeExact(sampler, token);
    } catch (Throwable t) {
      throw new LlamaException("llama_sampler_accept failed: " + t, t);
    }
  }

  private MemorySegment entries(int n) {
    if (n > entryCapacity) {
      int capacity = Math.max(n, 128);
      entries = arena.allocate(LlamaApi.TOKEN_DATA, capacity);
      entryCapacity = capacity;
    }
    return entries;
  }

  private void apply(MemorySegment data, int n, boolean sorted) {
    array.set(ADDRESS, LlamaApi.TDA_DATA, data);
    array.set(JAVA_LONG, LlamaApi.TDA_SIZE, n);
    array.set(JAVA_LONG, LlamaApi.TDA_SELECTED, -1L);
    array.set(JAVA_BOOLEAN, LlamaApi.TDA_SORTED, sorted);
    try {
      api.samplerApply.invokeExact(sampler, array);
    } catch (Throwable t) {
      throw new LlamaException("llama_sampler_apply (grammar) failed: " + t, t);
    }
  }

  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    try {
      api.samplerFree.invokeExact(sampler);
    } catch (Throwable t) {
      throw new LlamaException("llama_sampler_free failed: " + t, t);
    } finally {
      arena.close();
    }
  }
}
