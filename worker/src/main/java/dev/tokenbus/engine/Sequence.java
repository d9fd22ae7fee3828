package dev.tokenbus.engine;

import dev.tokenbus.engine.llama.NativeGrammar;
import dev.tokenbus.protocol.FinishReason;
import dev.tokenbus.protocol.GenerationRequest;
import dev.tokenbus.protocol.GenerationResult;
import dev.tokenbus.protocol.StreamConfig;
import dev.tokenbus.protocol.Timings;
import dev.tokenbus.protocol.TokenData;
import dev.tokenbus.protocol.TopLogprob;
import dev.tokenbus.protocol.Usage;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Consumer;

/**
 * One generation inside the engine: its prompt, its position in the KV cache, its sampler and the
 * text state (UTF-8 carry, stop-sequence hold-back) between sampled tokens and emitted frames.
 * Everything except the volatile fields and {@link #cancel()} is touched only by the decode thread.
 */
final class Sequence implements Generation {

  /**
   * The most resumed tokens one step evaluates for a sequence. When they were generated, each went
   * through llama.cpp alone, one query row; evaluated together they must give the same KV cells and
   * logits to the last bit, or a greedy stream that moved drifts from the uninterrupted one at the
   * first near tie. Rows of one step are independent of each other, except that llama.cpp's CPU
   * flash attention switches at 64 query rows of a sequence (GGML_FA_TILE_Q) to a tiled kernel that
   * keeps Q in f32 where the one-row kernel rounds it to f16. Chunks of 32 stay on the one-row kernel.
   */
  static final int RESUMED_TOKENS_PER_STEP = 32;

  private final GenerationRequest request;
  /** The tokens to process before sampling: the prompt, then any resumed tokens. */
  private final int[] prompt;
  /** Tokens of the prompt proper; the rest of {@link #prompt} was generated before (a resumed stream). */
  private final int promptLength;
  private final TokenSink sink;
  private final long seed;
  private final Consumer<Sequence> onCancel;
  private final CompletableFuture<GenerationResult> result = new CompletableFuture<>();
  private final Utf8Carry carry = new Utf8Carry();
  private final StopSequenceMatcher stops;
  /** Splits thinking from answer, for a model with thinking syntax; null otherwise. */
  private final ReasoningSplitter reasoning;
  /** The tokens of the closing marker the worker writes when the reasoning budget is spent. */
  private final int[] closeTokens;
  private final Thinking thinking;
  /** Tokens being written for the model instead of sampled (a budget's closing marker), or null. */
  private int[] forced;
  private int forcedAt;
  /** The request's parsed grammar, or null; the picker owns it once admitted, {@link #finish} frees it before. */
  private final NativeGrammar grammar;

  private volatile GenerationState state = GenerationState.QUEUED;
  private volatile int generated;
  private volatile boolean cancelRequested;

  // Decode-thread state.
  int seqId = -1;
  TokenPicker picker;
  /** Tokens of this sequence in the KV cache, i.e. the position of the next one. */
  int position;
  /** Prompt tokens whose KV cells came from the prefix cache (at most the prompt proper). */
  int cachedTokens;
  /** Leading tokens of {@link #prompt} (resumed ones too) taken from the prefix cache: not computed. */
  int reusedTokens;
  /** Prompt tokens already decoded (cached ones included). */
  int promptDone;
  /** The last sampled token, which the next step feeds in. */
  int lastToken;
  /** First batch row, and its position, of resumed tokens whose sampling this step replays; -1 if none. */
  int replayRow = -1;
  int replayPosition;
  int replayRows;
  /**
   * The adopted state this sequence continues from (see {@link Adoption}), or null. Its slot is
   * this sequence's, and its sampler replays the resumed tokens by token, not by logits.
   */
  final DecodeLoop.Pin pin;
  /** Row of this sequence's logits in the step being decoded, or -1. */
  int batchRow = -1;
  /** Prompt tokens this sequence put into the step being decoded. */
  int promptInStep;
  final long deadlineNanos;
  long notBeforeNanos;
  private final long submittedNanos = System.nanoTime();
  private long promptStartNanos;
  private long firstTokenNanos;

  Sequence(GenerationRequest request, int[] prompt, int promptLength, TokenSink sink, long seed,
      NativeGrammar grammar, Consumer<Sequence> onCancel) {
    this(request, prompt, promptLength, sink, seed, grammar, onCancel, null, null);
  }

  /**
   * @param thinking how this generation's text marks its thinking, or null for a model without such syntax
   */
  Sequence(GenerationRequest request, int[] prompt, int promptLength, TokenSink sink, long seed,
      NativeGrammar grammar, Consumer<Sequence> onCancel, DecodeLoop.Pin pin, Thinking thinking) {
    this.request = request;
    this.pin = pin;
    this.grammar = grammar;
    this.prompt = prompt;
    this.promptLength = promptLength;
    this.generated = prompt.length - promptLength;
    this.sink = sink;
    this.seed = seed;
    this.onCancel = onCancel;
    this.stops = request.config().stop().isEmpty() ? null : new StopSequenceMatcher(request.config().stop());
    this.deadlineNanos = request.config().deadlineNanos(submittedNanos);
    this.reasoning = thinking == null ? null
        : new ReasoningSplitter(thinking.syntax(), thinking.startsInside(), request.config());
    this.closeTokens = thinking == null ? null : thinking.closeTokens();
    this.thinking = thinking;
  }

  /**
   * A generation's thinking syntax, as its engine found it for this prompt.
   *
   * @param startsInside whether the prompt opened the think block
   * @param closeTokens the closing marker ({@link ReasoningSyntax#forcedClose}) as the model's tokens
   * @param markerPieces the text of the markers' tokens whose piece is empty (control tokens, such as
   *     gpt-oss's {@code <|channel|>}), so that the split sees the markers; by token id
   */
  record Thinking(ReasoningSyntax syntax, boolean startsInside, int[] closeTokens, Map<Integer, byte[]> markerPieces) {

    /** A token's text as the split reads it: its piece, or a marker's control text. */
    byte[] piece(int token, byte[] piece) {
      byte[] marker = piece.length == 0 ? markerPieces.get(token) : null;
      return marker != null ? marker : piece;
    }
  }

  @Override
  public String id() {
    return request.id();
  }

  @Override
  public int promptTokens() {
    return promptLength;
  }

  @Override
  public int tokensGenerated() {
    return generated;
  }

  @Override
  public GenerationState state() {
    return state;
  }

  @Override
  public void cancel() {
    if (state != GenerationState.FINISHED && !cancelRequested) {
      cancelRequested = true;
      onCancel.accept(this);
    }
  }

  @Override
  public CompletionStage<GenerationResult> result() {
    return result;
  }

  StreamConfig config() {
    return request.config();
  }

  int[] prompt() {
    return prompt;
  }

  long seed() {
    return seed;
  }

  NativeGrammar grammar() {
    return grammar;
  }

  TokenSink sink() {
    return sink;
  }

  boolean cancelRequested() {
    return cancelRequested;
  }

  /**
   * Whether the step must sample at prompt position {@code p} only to replay the token that
   * follows it: a resumed token, with a sampler that has state to advance.
   */
  boolean replaysAt(int p) {
    return pin == null && p >= promptLength - 1 && p < prompt.length - 1 && picker.replays();
  }

  /** The resumed tokens (generated elsewhere before), in order. */
  int[] resumedTokens() {
    return java.util.Arrays.copyOfRange(prompt, promptLength, prompt.length);
  }

  /** Takes a resumed token's text as if it had been emitted: the UTF-8 carry goes on from it. */
  void replayText(int token, byte[] piece) {
    String text = carry.append(thinking == null ? piece : thinking.piece(token, piece));
    if (reasoning != null) {
      reasoning.replay(text);
    }
  }

  /**
   * The token the model is made to write next instead of sampling one (the closing marker of a
   * think block whose budget is spent), or -1 to sample. Asked before each sampling, so a resumed
   * stream decides on the text it replayed.
   */
  int forcedToken() {
    if (forced == null) {
      forceCloseIfDue();
    }
    return forced == null ? -1 : forced[forcedAt];
  }

  /** The forced token could not be written (the request's grammar does not allow it): sampling goes on. */
  void dropForced() {
    forced = null;
  }

  /** Starts writing the closing marker once the budget is spent; a resumed stream goes on where it was. */
  private void forceCloseIfDue() {
    if (reasoning != null && reasoning.closeDue()) {
      reasoning.closing();
      int written = reasoning.pastBudget();
      if (written < closeTokens.length) {
        forced = closeTokens;
        forcedAt = written;
      }
    }
  }

  private void advanceForced(int token) {
    if (forced != null && forced[forcedAt] == token && ++forcedAt == forced.length) {
      forced = null;
    }
  }

  /**
   * How many of the tokens still to process, from {@link #promptDone}, one step may take, at most
   * {@code cap}: a chunk never mixes prompt and resumed tokens, and takes at most
   * {@link #RESUMED_TOKENS_PER_STEP} resumed ones, so that each is evaluated as when it was generated.
   */
  int prefillTake(int cap) {
    if (promptDone < promptLength) {
      return Math.min(cap, promptLength - promptDone);
    }
    return Math.min(Math.min(cap, RESUMED_TOKENS_PER_STEP), prompt.length - promptDone);
  }

  boolean promptComplete() {
    return promptDone == prompt.length;
  }

  void state(GenerationState s) {
    if (s == GenerationState.PROMPT && promptStartNanos == 0) {
      promptStartNanos = System.nanoTime();
    }
    state = s;
  }

  /**
   * Takes a sampled token: emits the frames it releases and says whether the generation ends here.
   *
   * @param piece the token's text bytes
   * @param endOfGeneration the token is EOS/EOG
   * @param contextFull no KV cell is left for this sequence to continue
   * @return the finish reason, or null to go on
   */
  FinishReason onToken(int token, byte[] piece, boolean endOfGeneration, double logprob, List<TopLogprob> top,
      boolean contextFull) {
    int index = generated;
    generated = index + 1;
    if (firstTokenNanos == 0) {
      firstTokenNanos = System.nanoTime();
    }
    advanceForced(token);
    if (endOfGeneration) {
      List<TokenData> out = held();
      out.add(new TokenData(index, carry.flush(), token, logprob, top, false, null));
      emit(ended(out, FinishReason.STOP));
      return FinishReason.STOP;
    }
    TokenData frame = new TokenData(index, carry.append(thinking == null ? piece : thinking.piece(token, piece)), token,
        logprob, top, false, null);
    FinishReason limit = index + 1 >= config().maxTokens() || contextFull ? FinishReason.LENGTH : null;
    List<TokenData> out;
    if (stops == null) {
      out = new ArrayList<>(1);
      out.add(frame);
    } else {
      out = stops.offer(frame);
      if (stops.matched()) {
        emit(ended(out, FinishReason.STOP));
        return FinishReason.STOP;
      }
      if (limit != null) {
        out.addAll(stops.flush());
      }
    }
    if (limit != null) {
      List<TokenData> last = ended(out, limit);
      int i = last.size() - 1;
      last.set(i, last.get(i).withText(last.get(i).text() + carry.flush()));
      emit(last);
      return limit;
    }
    emit(split(out));
    return null;
  }

  /**
   * Emits the closing frame of a generation that ends between tokens (timeout, full context before
   * the first token): held text first, then a final frame without a token.
   */
  void emitEnd(FinishReason reason) {
    List<TokenData> out = held();
    out.add(new TokenData(generated, carry.flush(), -1, 0.0, List.of(), false, null));
    emit(ended(out, reason));
  }

  /** The tokens the stop matcher holds, released. */
  private List<TokenData> held() {
    return stops == null ? new ArrayList<>(1) : new ArrayList<>(stops.flush());
  }

  /** Tokens through the reasoning split (as they are for a model without thinking syntax). */
  private List<TokenData> split(List<TokenData> tokens) {
    if (reasoning == null) {
      return tokens;
    }
    List<TokenData> out = new ArrayList<>(tokens.size());
    for (TokenData t : tokens) {
      out.addAll(reasoning.offer(t));
    }
    return out;
  }

  /** The last tokens of a generation, split and released, the last one final with {@code reason}. */
  private List<TokenData> ended(List<TokenData> tokens, FinishReason reason) {
    List<TokenData> out = split(tokens);
    if (reasoning != null) {
      out.addAll(reasoning.flush());
    }
    int last = out.size() - 1;
    out.set(last, out.get(last).asFinal(reason));
    return out;
  }

  private void emit(List<TokenData> frames) {
    for (TokenData t : frames) {
      sink.write(t);
    }
  }

  /** Ends the generation: reports to the sink exactly once and completes {@link #result()}. */
  void finish(FinishReason reason, String error) {
    if (state == GenerationState.FINISHED) {
      return;
    }
    state = GenerationState.FINISHED;
    if (picker == null && grammar != null) {
      grammar.close(); // never admitted: no picker took it over
    }
    long now = System.nanoTime();
    double queueMs = ms((promptStartNanos == 0 ? now : promptStartNanos) - submittedNanos);
    double promptMs = promptStartNanos == 0 ? 0 : ms((firstTokenNanos == 0 ? now : firstTokenNanos) - promptStartNanos);
    double genMs = firstTokenNanos == 0 ? 0 : ms(now - firstTokenNanos);
    int n = generated;
    GenerationResult r = new GenerationResult(reason, new Usage(promptLength, n, cachedTokens),
        new Timings(queueMs, promptMs, genMs, promptDone - reusedTokens, n), error, seed,
        stops != null && reason == FinishReason.STOP ? stops.matchedSequence() : null);
    try {
      sink.end(r);
    } finally {
      result.complete(r);
    }
  }

  private static double ms(long nanos) {
    return nanos / 1_000_000.0;
  }
}
