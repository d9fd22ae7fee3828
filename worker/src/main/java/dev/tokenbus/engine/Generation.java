package dev.tokenbus.engine;

import dev.tokenbus.protocol.GenerationResult;
import java.util.concurrent.CompletionStage;

/** A submitted generation, as seen from outside the engine. All methods are thread-safe. */
public interface Generation {

  String id();

  /** Tokens in the prompt after tokenization. */
  int promptTokens();

  /** Tokens sampled so far. */
  int tokensGenerated();

  GenerationState state();

  /**
   * Stops the generation within one decode step (also during prompt processing) and frees its KV
   * cells. The sink then gets {@code end} with {@code cancelled}. Does nothing once finished.
   */
  void cancel();

  /** Completes with the same result the sink's {@code end} receives. */
  CompletionStage<GenerationResult> result();
}
