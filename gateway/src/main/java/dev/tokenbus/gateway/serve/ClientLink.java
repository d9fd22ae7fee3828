package dev.tokenbus.gateway.serve;

import java.util.function.Consumer;

/**
 * One client's hold on one generation, as the transport sees it: whether the client still wants
 * it, and how to answer it when the generation could not start. Every way a client can let go (a
 * reset, a FIN, a WebSocket close frame or protocol error, an explicit cancel, a failed write) ends
 * up here, and {@link Generations} and {@link StreamRelay} act on it in one place for every
 * transport: a waiting request leaves the queue, an opened generation is cancelled on its worker.
 */
public interface ClientLink {

  /** Why the client let go of the generation ({@code "client disconnected"}, ...), or null while it holds on. */
  String abandoned();

  /**
   * Registers what runs, once, when the client lets go, with the reason; runs it at once when it
   * has already. A later registration replaces an earlier one.
   */
  void onAbandoned(Consumer<String> handler);

  /**
   * Tells a client that is about to be {@link #refuse refused} for a full queue when to come back
   * (HTTP: {@code Retry-After}; WebSocket: {@code retry_after_ms} in the error frame).
   */
  default void retryAfter(long seconds) {}

  /** Answers a generation that did not start; nothing when the client can no longer be reached. */
  void refuse(ApiError error);

  /** Says the transport failed under the relay (a write failed): the client is as good as gone. */
  void transportFailed();
}
