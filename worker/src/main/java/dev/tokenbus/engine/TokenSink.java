package dev.tokenbus.engine;

import dev.tokenbus.protocol.GenerationResult;
import dev.tokenbus.protocol.TokenData;

/**
 * Where one generation's tokens go: a {@code WriteStream<TokenData>}-shaped consumer. The engine
 * calls {@link #write} and {@link #end} from its decode thread, in order, and never blocks on the
 * sink. Before each decode step it asks {@link #writeQueueFull()}: while that is true the sequence
 * is left out of the batch (paused, its KV cells kept), and the sink calls the handler given to
 * {@link #drainHandler} (from any thread) when there is room again.
 */
public interface TokenSink {

  /** Takes one token. Must not block. */
  void write(TokenData token);

  /** True while the consumer cannot take more tokens; may be called from the decode thread at any time. */
  boolean writeQueueFull();

  /** Set once by the engine before the first write; the sink runs it whenever it stops being full. */
  void drainHandler(Runnable onDrain);

  /** The generation ended; no write follows. Called exactly once, also for errors and cancellation. */
  void end(GenerationResult result);
}
