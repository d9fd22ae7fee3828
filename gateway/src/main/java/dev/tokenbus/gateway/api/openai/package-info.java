/**
 * OpenAI's API: {@code /v1/chat/completions}, {@code /v1/completions} and {@code /v1/models}.
 * {@link dev.tokenbus.gateway.api.openai.OpenAiRequest} validates a request; an
 * {@link dev.tokenbus.gateway.api.openai.AnswerShape} (chat, text, tool calls) shapes its chunks and
 * its whole answer from the stream events.
 */
package dev.tokenbus.gateway.api.openai;
