package dev.tokenbus.protocol.frame;

import dev.tokenbus.protocol.GenerationRequest;
import java.util.List;

/**
 * Gateway to worker, as an event-bus request: start a generation. Answered with {@link AcceptFrame}
 * or {@link RefuseFrame}. The worker may send {@code window} tokens before the first CREDIT.
 *
 * @param replyTo the gateway endpoint address that receives TOKENS, END, ERROR and HEARTBEAT
 * @param gatewayNode the gateway's cluster node id, so the worker can end the stream if that node leaves
 * @param resume token ids a previous worker already streamed for this generation (failover or a
 *     resumed client): the new worker processes them after the prompt, as if it had sampled them,
 *     and continues at index {@code resume.size()}; empty for a fresh generation
 */
public record OpenFrame(String streamId, String replyTo, String gatewayNode, int window, GenerationRequest request,
    List<Integer> resume) implements Frame {

  public OpenFrame {
    resume = resume == null ? List.of() : List.copyOf(resume);
  }

  /** A fresh generation. */
  public OpenFrame(String streamId, String replyTo, String gatewayNode, int window, GenerationRequest request) {
    this(streamId, replyTo, gatewayNode, window, request, List.of());
  }
}
