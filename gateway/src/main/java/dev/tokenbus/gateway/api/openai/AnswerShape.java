package dev.tokenbus.gateway.api.openai;

import dev.tokenbus.protocol.TokenData;
import io.vertx.core.json.JsonObject;

/**
 * How one OpenAI route shapes its answer: the chunk {@code choices} of a stream, and the one
 * choice of a whole response. Both routes share the relay, the transports and the backpressure of
 * {@code /v1/generate}; tokens arrive as they come from the worker.
 */
interface AnswerShape {

  /** {@code object} of a stream's chunks. */
  String chunkObject();

  /** {@code object} of a whole response. */
  String responseObject();

  /** Prefix of the response id, before the stream id. */
  String idPrefix();

  /** The choice of the chunk sent before any token (the chat's role), or null for none. */
  JsonObject openingChoice();

  /**
   * The choice of one token's chunk.
   *
   * @param finishReason OpenAI's finish reason on the last token, else null
   */
  JsonObject tokenChoice(TokenData token, String finishReason);

  /** A choice that carries only a finish reason, for a stream whose last token did not. */
  JsonObject finishChoice(String finishReason);

  /** Starts collecting a whole response (non-streaming). */
  Collector collector();

  /** Gathers the tokens of a non-streaming answer into its one choice. */
  interface Collector {
    void add(TokenData token);

    JsonObject choice(String finishReason);
  }
}
