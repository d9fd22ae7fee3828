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
   * @throws InvalidGrammarException when llama.cpp cannot parse it (its log says where)
   */
  public static NativeGrammar parse(NativeModel model, String gbnf) {
    if (gbnf == null || gbnf.isBlank()) {
      throw new InvalidGrammarException("the grammar is empty");
    }
    if (gbnf.indexOf('\0') >= 0) {
      throw new InvalidGrammarException("the grammar contains a NUL character");
    }
    LlamaApi api = model.api();
    MemorySegment sampler;
    long length;
    try (Arena a = Arena.ofConfined()) {
      MemorySegment text = a.allocateFrom(gbnf);
      length = text.byteSize() - 1;
      sampler = (MemorySegment) api.samplerInitGrammar.invokeExact(model.vocab(), text, a.allocateFrom("root"));
    } catch (Throwable t) {
      throw new LlamaException("llama_sampler_init_grammar failed: " + t, t);
    }
    if (sampler.equals(MemorySegment.NULL) || !hasGrammar(sampler, model.vocab(), length)) {
      if (!sampler.equals(MemorySegment.NULL)) {
        new NativeGrammar(api, sampler, 0).close();
      }
      throw new InvalidGrammarException("llama.cpp could not parse it: a syntax error, an undefined rule,"
          + " left recursion, or no 'root' rule");
    }
    return new NativeGrammar(api, sampler, model.vocabSize());
  }

  /**
   * Whether a grammar sampler holds a parsed grammar. Newer llama.cpp builds return NULL for a grammar
   * they cannot parse; b4916 prints the error to stderr and returns a sampler whose grammar is NULL,
   * which would constrain nothing. Its context is {@code struct llama_sampler_grammar { const
   * llama_vocab * vocab; std::string grammar_str; std::string grammar_root; llama_grammar * grammar; }}.
   * The library in the {@code de.kherud:llama} jar is built with libstdc++'s old string ABI (a
   * string is one pointer to its characters; the length sits 24 bytes before them); the C++11 ABI
   * (pointer, length, 16-byte buffer) is recognised too. The layout is checked before the pointer is
   * read: the vocabulary pointer, both strings' lengths and the root's name must be the ones just
   * passed; on any other layout the sampler is trusted, as a build that returns NULL on errors deserves.
   */
  private static boolean hasGrammar(MemorySegment sampler, MemorySegment vocab, long grammarLength) {
    MemorySegment ctx = sampler.reinterpret(16).get(ADDRESS, 8);
    if (ctx.equals(MemorySegment.NULL)) {
      return false;
    }
    ctx = ctx.reinterpret(112);
    if (!ctx.get(ADDRESS, 0).equals(vocab)) {
      return true;
    }
    // The old ABI: vocab, string, string, grammar at 24.
    MemorySegment text = ctx.get(ADDRESS, 8);
    MemorySegment root = ctx.get(ADDRESS, 16);
    if (text.address() > 24 && root.address() > 24
        && MemorySegment.ofAddress(text.address() - 24).reinterpret(8).get(JAVA_LONG, 0) == grammarLength
        && MemorySegment.ofAddress(root.address() - 24).reinterpret(8).get(JAVA_LONG, 0) == 4
        && "root".equals(root.reinterpret(5).getString(0))) {
      return !ctx.get(ADDRESS, 24).equals(MemorySegment.NULL);
    }
    // The C++11 ABI: vocab, string (32 bytes), string (32 bytes), grammar at 72.
    if (ctx.get(JAVA_LONG, 16) == grammarLength && ctx.get(JAVA_LONG, 48) == 4) {
      return !ctx.get(ADDRESS, 72).equals(MemorySegment.NULL);
    }
    return true;
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
