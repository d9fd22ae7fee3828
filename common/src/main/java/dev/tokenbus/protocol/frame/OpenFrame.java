package dev.tokenbus.protocol.frame;

import dev.tokenbus.protocol.GenerationRequest;

/**
 * Gateway to worker, as an event-bus request: start a generation. Answered with {@link AcceptFrame}
 * or {@link RefuseFrame}. The worker may send {@code window} tokens before the first CREDIT.
 *
 * @param replyTo the gateway endpoint address that receives TOKENS, END, ERROR and HEARTBEAT
 * @param gatewayNode the gateway's cluster node id, so the worker can end the stream if that node leaves
 */
public record OpenFrame(String streamId, String replyTo, String gatewayNode, int window, GenerationRequest request)
    implements Frame {}
