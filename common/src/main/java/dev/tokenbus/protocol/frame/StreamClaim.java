package dev.tokenbus.protocol.frame;

import io.vertx.core.json.JsonObject;

/**
 * A claim for a resumable stream, sent as JSON by the gateway where the stream's client came back,
 * request/reply: on the stream's claim address ({@link dev.tokenbus.protocol.Addresses#streamClaims}),
 * where the gateway it streams through answers, and on every worker's
 * ({@link dev.tokenbus.protocol.Addresses#workerClaims}), where the worker that keeps it because
 * that gateway is gone answers. The answer is a {@link Handover}, or a failure with code
 * {@link #NOT_FOUND} (a worker that keeps no such stream says {@link #unknown}) or {@link #IN_USE}.
 *
 * @param streamId the stream's id, as its client knows it
 * @param lastIndex the last token index the client received (-1: none)
 * @param owner the claiming client's owner in its wire form (a digest, never an API key); null
 *     claims nothing
 */
public record StreamClaim(String streamId, int lastIndex, String owner) {

  /** The holder has no such stream for the claimer (the message tells why, or is {@link #unknown}). */
  public static final int NOT_FOUND = 404;
  /** The stream still streams to a client connection. */
  public static final int IN_USE = 409;

  /**
   * The one answer for a stream the claimer cannot take: unknown, ended, or another owner's, so
   * that nobody can tell whether another API key's stream id exists.
   */
  public static String unknown(String streamId) {
    return "no gateway holds stream " + streamId + " for you (it ended, its grace period for a reconnect ran out,"
        + " its gateway is gone, or another API key opened it)";
  }

  /** The refusal of a claim for more tokens than the stream sent. */
  public static String tooFewTokens(String streamId, int sent, int lastIndex) {
    return "stream " + streamId + " has sent " + sent + " tokens, not " + (lastIndex + 1);
  }

  public JsonObject toJson() {
    return new JsonObject().put("stream_id", streamId).put("last_index", lastIndex).put("owner", owner);
  }

  /** Reads a claim; a missing last index reads as -1 and a missing owner as null. */
  public static StreamClaim fromJson(JsonObject j) {
    return new StreamClaim(j.getString("stream_id"), j.getInteger("last_index", -1), j.getString("owner"));
  }
}
