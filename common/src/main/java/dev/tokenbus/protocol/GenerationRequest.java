package dev.tokenbus.protocol;

import java.util.List;

/**
 * A prompt, or a conversation, and how to stream its continuation. Exactly one of {@code prompt}
 * and {@code messages} is given: a conversation is rendered into a prompt by the worker, with its
 * model's chat template, because only the worker holds the model.
 *
 * @param id the stream id, unique per gateway; used in logs and status
 * @param prompt the text to continue, or null when {@code messages} is given; special-token text
 *     (e.g. a chat template's markers) is parsed
 * @param messages the conversation to answer, or empty when {@code prompt} is given
 * @param config sampling, limits and flow control
 * @param tools the tools the model may call, which the worker hands to its chat template (or writes
 *     into the conversation where the template cannot take them); empty when there are none
 */
public record GenerationRequest(String id, String prompt, List<ChatMessage> messages, StreamConfig config,
    List<Tool> tools) {

  public GenerationRequest {
    if (id == null || id.isEmpty()) {
      throw new RequestValidationException("id", "a generation request needs an id");
    }
    messages = messages == null ? List.of() : List.copyOf(messages);
    if (messages.isEmpty() && (prompt == null || prompt.isEmpty())) {
      throw new RequestValidationException("prompt", "prompt must be a non-empty string");
    }
    if (!messages.isEmpty() && prompt != null) {
      throw new RequestValidationException("messages", "give either prompt or messages, not both");
    }
    config = config == null ? StreamConfig.defaults() : config;
    tools = tools == null ? List.of() : List.copyOf(tools);
    if (!tools.isEmpty() && messages.isEmpty()) {
      throw new RequestValidationException("tools", "tools need messages");
    }
  }

  /** A request without tools. */
  public GenerationRequest(String id, String prompt, List<ChatMessage> messages, StreamConfig config) {
    this(id, prompt, messages, config, List.of());
  }

  /** A plain-prompt request. */
  public GenerationRequest(String id, String prompt, StreamConfig config) {
    this(id, prompt, List.of(), config);
  }

  /** A chat request: the worker applies its model's chat template to {@code messages}. */
  public static GenerationRequest chat(String id, List<ChatMessage> messages, StreamConfig config) {
    if (messages == null || messages.isEmpty()) {
      throw new RequestValidationException("messages", "messages must not be empty");
    }
    return new GenerationRequest(id, null, messages, config);
  }

  /** A chat request whose tools go to the model's chat template (see {@link #tools}). */
  public static GenerationRequest chat(String id, List<ChatMessage> messages, List<Tool> tools, StreamConfig config) {
    if (messages == null || messages.isEmpty()) {
      throw new RequestValidationException("messages", "messages must not be empty");
    }
    return new GenerationRequest(id, null, messages, config, tools);
  }

  public boolean isChat() {
    return !messages.isEmpty();
  }

  /** The same request with other settings. */
  public GenerationRequest withConfig(StreamConfig other) {
    return new GenerationRequest(id, prompt, messages, other, tools);
  }
}
