package dev.tokenbus.protocol.frame;

import dev.tokenbus.protocol.GenerationRequest;
import java.util.List;
import java.util.Objects;

/**
 * Gateway to worker, as an event-bus request: start a generation. Answered with {@link AcceptFrame}
 * or {@link RefuseFrame}. The worker may send {@code window} tokens before the first CREDIT.
 *
 * @param replyTo the gateway endpoint address that receives TOKENS, END, ERROR and HEARTBEAT
 * @param gatewayNode the gateway's cluster node id, so the worker can end the stream if that node leaves
 * @param resume token ids a previous worker already streamed for this generation (failover or a
 *     resumed client): the new worker processes them after the prompt, as if it had sampled them,
 *     and continues at index {@code resume.size()}; empty for a fresh generation
 * @param resumable for a stream its client may resume (the gateway has a grace period for that):
 *     what the worker needs to keep the stream for its client when the gateway itself goes away;
 *     null otherwise, and the worker cancels the stream then
 */
public record OpenFrame(String streamId, String replyTo, String gatewayNode, int window, GenerationRequest request,
    List<Integer> resume, Resumable resumable) implements Frame {

  /**
   * A resumable stream's claim: who may take it over, and for how long it is kept.
   *
   * @param owner the stream owner's wire form (a digest of the API key that opened it, never the
   *     key), which a claim must name
   * @param graceMs how long a stream whose gateway is gone stays paused for a claim, at least 1
   */
  public record Resumable(String owner, long graceMs) {
    public Resumable {
      Objects.requireNonNull(owner, "owner");
      if (graceMs < 1) {
        throw new IllegalArgumentException("graceMs must be at least 1, got " + graceMs);
      }
    }
  }

  public OpenFrame {
    resume = resume == null ? List.of() : List.copyOf(resume);
  }

  /** A stream that is not resumable. */
  public OpenFrame(String streamId, String replyTo, String gatewayNode, int window, GenerationRequest request,
      List<Integer> resume) {
    this(streamId, replyTo, gatewayNode, window, request, resume, null);
  }

  /** A fresh generation that is not resumable. */
  public OpenFrame(String streamId, String replyTo, String gatewayNode, int window, GenerationRequest request) {
    this(streamId, replyTo, gatewayNode, window, request, List.of(), null);
  }
}
