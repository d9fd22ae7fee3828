/**
 * Anthropic's Messages API: {@code /v1/messages} and {@code /v1/messages/count_tokens}.
 * {@link dev.tokenbus.gateway.api.anthropic.MessagesRequest} reads a request into the conversation
 * and tools the chat route builds; {@link dev.tokenbus.gateway.api.anthropic.MessagesStreamChannel}
 * and {@link dev.tokenbus.gateway.api.anthropic.MessagesCollectingChannel} encode the stream events
 * as Anthropic's SSE events or one message.
 */
package dev.tokenbus.gateway.api.anthropic;
