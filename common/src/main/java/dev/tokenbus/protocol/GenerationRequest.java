package dev.tokenbus.protocol;

import io.vertx.core.json.JsonObject;
import java.util.List;

/**
 * A prompt (text or token ids), or a conversation, and how to stream its continuation. Exactly one
 * of {@code prompt}, {@code messages} and {@code promptTokens} is given: a conversation is rendered
 * into a prompt by the worker, with its model's chat template, because only the worker holds the model.
 *
 * @param id the stream id, unique per gateway; used in logs and status
 * @param prompt the text to continue, or null when {@code messages} or {@code promptTokens} is given;
 *     special-token text (e.g. a chat template's markers) is parsed
 * @param messages the conversation to answer, or empty when {@code prompt} is given
 * @param config sampling, limits and flow control
 * @param tools the tools the model may call, which the worker hands to its chat template (or writes
 *     into the conversation where the template cannot take them); empty when there are none
 * @param promptTokens the prompt as token ids of the worker's model, used as they are (no BOS is
 *     added), or empty; whether each id is in the vocabulary only the worker can tell
 * @param templateArgs variables for the chat template ({@code chat_template_kwargs}, checked by
 *     {@link TemplateArgs#checked}); empty when there are none
 */
public record GenerationRequest(String id, String prompt, List<ChatMessage> messages, StreamConfig config,
    List<Tool> tools, List<Integer> promptTokens, JsonObject templateArgs) {

  /** The most token ids a prompt may be given as (no model's context holds more). */
  public static final int MAX_PROMPT_TOKENS = 1 << 20;

  public GenerationRequest {
    if (id == null || id.isEmpty()) {
      throw new RequestValidationException("id", "a generation request needs an id");
    }
    messages = messages == null ? List.of() : List.copyOf(messages);
    promptTokens = promptTokens == null ? List.of() : List.copyOf(promptTokens);
    if (!promptTokens.isEmpty()) {
      if (prompt != null || !messages.isEmpty()) {
        throw new RequestValidationException("prompt", "give prompt as text or as token ids, not both");
      }
      if (promptTokens.size() > MAX_PROMPT_TOKENS) {
        throw new RequestValidationException("prompt", "prompt may hold at most " + MAX_PROMPT_TOKENS
            + " token ids, got " + promptTokens.size());
      }
    } else if (messages.isEmpty() && (prompt == null || prompt.isEmpty())) {
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
    templateArgs = TemplateArgs.checked(templateArgs);
  }

  /** A request without template variables. */
  public GenerationRequest(String id, String prompt, List<ChatMessage> messages, StreamConfig config,
      List<Tool> tools, List<Integer> promptTokens) {
    this(id, prompt, messages, config, tools, promptTokens, null);
  }

  @Override
  public JsonObject templateArgs() {
    return templateArgs.copy();
  }

  /** A request whose prompt is text or a conversation. */
  public GenerationRequest(String id, String prompt, List<ChatMessage> messages, StreamConfig config,
      List<Tool> tools) {
    this(id, prompt, messages, config, tools, List.of());
  }

  /** A request without tools. */
  public GenerationRequest(String id, String prompt, List<ChatMessage> messages, StreamConfig config) {
    this(id, prompt, messages, config, List.of());
  }

  /** A plain-prompt request. */
  public GenerationRequest(String id, String prompt, StreamConfig config) {
    this(id, prompt, List.of(), config);
  }

  /** A request whose prompt is token ids of the worker's model (see {@link #promptTokens}). */
  public static GenerationRequest tokens(String id, List<Integer> promptTokens, StreamConfig config) {
    if (promptTokens == null || promptTokens.isEmpty()) {
      throw new RequestValidationException("prompt", "prompt must not be empty");
    }
    return new GenerationRequest(id, null, List.of(), config, List.of(), promptTokens);
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
    return new GenerationRequest(id, prompt, messages, other, tools, promptTokens, templateArgs);
  }

  /** The same request with variables for the chat template (see {@link #templateArgs}). */
  public GenerationRequest withTemplateArgs(JsonObject args) {
    return new GenerationRequest(id, prompt, messages, config, tools, promptTokens, args);
  }
}
