package dev.tokenbus.engine;

import dev.tokenbus.engine.llama.NativeModel;
import dev.tokenbus.protocol.ChatMessage;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns a conversation into a prompt with the model's own chat template
 * ({@code tokenizer.chat_template}), through llama.cpp's {@code llama_chat_apply_template}. A
 * model without a template, or with one llama.cpp does not recognise, gets ChatML
 * ({@code <|im_start|>role\ncontent<|im_end|>\n}), the most widely trained format.
 */
public final class ChatTemplate {

  /** The fallback, by the name llama.cpp knows it under. */
  public static final String FALLBACK = "chatml";

  private static final Logger LOG = LoggerFactory.getLogger(ChatTemplate.class);

  private final NativeModel model;
  private final String template;
  private final boolean own;

  private ChatTemplate(NativeModel model, String template, boolean own) {
    this.model = model;
    this.template = template;
    this.own = own;
  }

  /** The model's template when llama.cpp can apply it, else the fallback; says which in the log. */
  static ChatTemplate of(NativeModel model) {
    String declared = model.chatTemplate();
    if (declared == null || declared.isBlank()) {
      LOG.info("the model has no chat template; chat requests use {}", FALLBACK);
      return new ChatTemplate(model, FALLBACK, false);
    }
    if (model.applyChatTemplate(declared, List.of("user"), List.of("hi"), true) == null) {
      LOG.warn("llama.cpp does not recognise the model's chat template; chat requests use {}", FALLBACK);
      return new ChatTemplate(model, FALLBACK, false);
    }
    return new ChatTemplate(model, declared, true);
  }

  /** Whether the model's own template is used (false: the fallback). */
  public boolean isModelsOwn() {
    return own;
  }

  /** The prompt for {@code messages}, ending with the opening of the assistant's turn. */
  public String render(List<ChatMessage> messages) {
    List<String> roles = messages.stream().map(ChatMessage::role).toList();
    List<String> contents = messages.stream().map(ChatMessage::content).toList();
    String prompt = model.applyChatTemplate(template, roles, contents, true);
    if (prompt == null) { // cannot happen: the template was checked at load
      throw new IllegalStateException("llama.cpp refused the chat template it accepted at load");
    }
    return prompt;
  }
}
