package dev.tokenbus.bench;

/**
 * One way of sending a streamed request to a server's route and timing what comes back: each
 * {@link SseLoad.Stream} it returns holds the time from just before the request's connection was
 * opened (or taken from a pool) to each token event's arrival, and to the response's first byte.
 * The styles ({@link ClientStyle}) differ only in how the request leaves and how the bytes come in;
 * every Java one reads the events with {@link SseReader}.
 */
sealed interface FirstTokenClient extends AutoCloseable
    permits RawSocketClient, CurlClient, VertxClient, JdkClient {

  /** Sends {@code body} and reads the stream to its end. Safe to call from several threads at once. */
  SseLoad.Stream stream(String body) throws Exception;

  /** Releases what the client holds between requests. */
  @Override
  default void close() throws Exception {}
}
