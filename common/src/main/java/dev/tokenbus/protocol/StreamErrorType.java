package dev.tokenbus.protocol;

import java.util.Arrays;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * Why a stream ended in an error after it was opened: the one list of stream error types, written
 * by workers (in an ERROR frame) and gateways, sent to clients as the {@code type} of a native
 * {@code error} event and of an OpenAI error chunk, and read by the Java client. A type's wire name
 * never changes; a name this release does not know reads as {@link #SERVER_ERROR}.
 */
public enum StreamErrorType {
  /** The client (or the gateway for it) cancelled the stream. */
  CANCELLED("cancelled", 499),
  /** The request's {@code timeout_ms} elapsed before the stream ended. */
  TIMEOUT("timeout", 504),
  /** The stream's worker left the cluster and no other worker could take the stream over. */
  WORKER_LOST("worker_lost", 503),
  /** The stream's worker sent nothing for too long and no other worker could take it over. */
  WORKER_UNRESPONSIVE("worker_unresponsive", 503),
  /** The stream's worker is shutting down (the gateway moves such a stream when it can). */
  WORKER_SHUTDOWN("worker_shutdown", 503),
  /** The gateway shut down before the stream ended. */
  GATEWAY_SHUTDOWN("gateway_shutdown", 503),
  /** The stream's worker failed and no other worker could take the stream over. */
  NO_WORKER("no_worker", 503),
  /** The worker's engine failed the sequence (a decode that failed, a sampler that could not go on). */
  ENGINE_ERROR("engine_error", 500),
  /** The consumer granted no credit for the worker's credit-stall limit. */
  CREDIT_STALL("credit_stall", 500),
  /** A peer broke the stream protocol (more tokens than credit, an end without a result). */
  PROTOCOL_ERROR("protocol_error", 500),
  /** The consumer's own handler failed. */
  CONSUMER_ERROR("consumer_error", 500),
  /** Anything else, including a type a newer release sent. */
  SERVER_ERROR("server_error", 500);

  private static final Map<String, StreamErrorType> BY_WIRE_NAME =
      Arrays.stream(values()).collect(Collectors.toUnmodifiableMap(StreamErrorType::wireName, Function.identity()));

  private final String wireName;
  private final int httpStatus;

  StreamErrorType(String wireName, int httpStatus) {
    this.wireName = wireName;
    this.httpStatus = httpStatus;
  }

  /** The name on the wire and in every API's error {@code type}. */
  public String wireName() {
    return wireName;
  }

  /**
   * The HTTP status of a non-streaming answer that failed this way (nothing was sent yet): 503 when
   * a worker or gateway failed or went away, 504 for a timeout, 499 for a cancel, else 500.
   */
  public int httpStatus() {
    return httpStatus;
  }

  /** The type named {@code wireName}; {@link #SERVER_ERROR} for null or a name not in this list. */
  public static StreamErrorType fromWire(String wireName) {
    return wireName == null ? SERVER_ERROR : BY_WIRE_NAME.getOrDefault(wireName, SERVER_ERROR);
  }

  @Override
  public String toString() {
    return wireName;
  }
}
