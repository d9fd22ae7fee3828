package dev.tokenbus.protocol.frame;

/**
 * Worker to gateway, as the reply to {@link OpenFrame}: the generation has a slot.
 *
 * @param workerEndpoint where CREDIT and CANCEL for this stream go
 * @param workerNode the worker's cluster node id
 * @param promptTokens the prompt's length after tokenization
 */
public record AcceptFrame(String streamId, String workerEndpoint, String workerNode, int promptTokens)
    implements Frame {}
