package dev.tokenbus.engine;

import dev.tokenbus.engine.llama.Pooling;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * A model's embeddings: each input, a sequence of tokens, becomes one vector of
 * {@link #dimensions()} floats, its hidden states {@linkplain #pooling() pooled} and L2-normalized.
 * Computed apart from generation, so that embedding requests never stall a decode step.
 */
public interface Embedder {

  /** The length of every vector. */
  int dimensions();

  /** Most tokens one input may have (and all the inputs of one decode together). */
  int maxTokens();

  Pooling pooling();

  /**
   * An input text as the tokens it is embedded as (the vocabulary's BOS/EOS added as the model asks,
   * control-token text left as text); any thread.
   *
   * @throws dev.tokenbus.protocol.RequestValidationException the text is empty or longer than
   *     {@link #maxTokens()}
   */
  int[] tokenize(String text, String param);

  /**
   * Queues inputs for embedding. Each must be 1 to {@link #maxTokens()} token ids of the vocabulary:
   * the caller checks with {@link #check}.
   *
   * @return unit-length vectors, one per input, in their order; failed when the computation fails
   * @throws AdmissionException its queue is full ({@link AdmissionException.Reason#NO_FREE_SLOT}) or
   *     the engine is closing
   */
  CompletableFuture<float[][]> embed(List<int[]> inputs);

  /**
   * Refuses an input that cannot be embedded: empty, longer than {@link #maxTokens()}, or with a
   * token outside the vocabulary.
   *
   * @throws dev.tokenbus.protocol.RequestValidationException naming {@code param}
   */
  void check(int[] input, String param);
}
