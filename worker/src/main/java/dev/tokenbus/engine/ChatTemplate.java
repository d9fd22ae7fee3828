package dev.tokenbus.engine;

import dev.tokenbus.engine.llama.NativeModel;
import dev.tokenbus.protocol.ChatMessage;
import dev.tokenbus.protocol.RequestValidationException;
import dev.tokenbus.protocol.Tool;
import dev.tokenbus.toolcall.ToolCall;
import dev.tokenbus.toolcall.ToolCallSyntax;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns a conversation into a prompt with the model's own chat template
 * ({@code tokenizer.chat_template}). Three ways, tried in order when the model is loaded, and the
 * one chosen is logged once:
 * <ol>
 *   <li>{@link Kind#JINJA}: the template run as Jinja ({@link JinjaChatTemplate}), exactly as the
 *       model's authors wrote it, when it renders a probe conversation;
 *   <li>{@link Kind#LLAMA_CPP}: {@code llama_chat_apply_template}, which recognises known
 *       templates by their markers, for a template the Jinja engine cannot run;
 *   <li>{@link Kind#CHATML}: ChatML ({@code <|im_start|>role\ncontent<|im_end|>\n}), the most widely
 *       trained format, for a model without a template or with one neither of the above can use.
 * </ol>
 * A Jinja template starts with its {@code bos_token} where the model wants one; when llama.cpp adds
 * BOS itself while tokenizing, that leading text is dropped so the prompt does not start with two.
 */
public final class ChatTemplate {

  /** How prompts are rendered for a model. */
  public enum Kind {
    /** The model's template, run as Jinja. */
    JINJA,
    /** The model's template, recognised by llama.cpp. */
    LLAMA_CPP,
    /** ChatML, the fallback. */
    CHATML
  }

  /** The fallback, by the name llama.cpp knows it under. */
  public static final String FALLBACK = "chatml";

  private static final Logger LOG = LoggerFactory.getLogger(ChatTemplate.class);
  private static final List<ChatMessage> PROBE = List.of(new ChatMessage("system", "s"), new ChatMessage("user", "hi"),
      new ChatMessage("assistant", "hello"), new ChatMessage("user", "bye"));

  private final NativeModel model;
  private final Kind kind;
  private final String template;
  private final JinjaChatTemplate jinja;
  private final String leadingBos;
  private final boolean takesTools;
  private final ReasoningSyntax reasoningSyntax;

  private ChatTemplate(NativeModel model, Kind kind, String template, JinjaChatTemplate jinja, String leadingBos) {
    this.model = model;
    this.kind = kind;
    this.template = template;
    this.jinja = jinja;
    this.leadingBos = leadingBos;
    this.takesTools = jinja != null && template.contains("tools");
    this.reasoningSyntax = ReasoningSyntax.of(model == null ? template : model.chatTemplate() != null
        ? model.chatTemplate() : template);
  }

  /** The best way {@code model}'s template can be rendered; says which in the log. */
  static ChatTemplate of(NativeModel model) {
    String declared = model.chatTemplate();
    if (declared == null || declared.isBlank()) {
      LOG.info("the model has no chat template; chat requests use {}", FALLBACK);
      return new ChatTemplate(model, Kind.CHATML, FALLBACK, null, null);
    }
    String bos = model.specialText(model.bos());
    String eos = model.specialText(model.eos());
    String jinjaProblem;
    try {
      JinjaChatTemplate jinja = new JinjaChatTemplate(declared, bos, eos);
      ChatTemplate t = new ChatTemplate(model, Kind.JINJA, declared, jinja, model.addsBos() && !bos.isEmpty() ? bos : null);
      t.render(PROBE);
      LOG.info("chat requests use the model's own chat template, run as Jinja");
      return t;
    } catch (RuntimeException e) {
      jinjaProblem = e.getMessage();
    }
    if (model.applyChatTemplate(declared, List.of("user"), List.of("hi"), true) != null) {
      LOG.info("chat requests use the model's chat template as llama.cpp recognises it (the Jinja engine could"
          + " not run it: {})", jinjaProblem);
      return new ChatTemplate(model, Kind.LLAMA_CPP, declared, null, null);
    }
    LOG.warn("neither the Jinja engine ({}) nor llama.cpp can use the model's chat template; chat requests use {}",
        jinjaProblem, FALLBACK);
    return new ChatTemplate(model, Kind.CHATML, FALLBACK, null, null);
  }

  /** A Jinja template given as text, for an engine whose model has no file to declare one. */
  static ChatTemplate jinja(String template, String bos, String eos) {
    return new ChatTemplate(null, Kind.JINJA, template, new JinjaChatTemplate(template, bos, eos), null);
  }

  /** How this model's prompts are rendered. */
  public Kind kind() {
    return kind;
  }

  /**
   * Whether tools and tool turns go to the model's template as they are (a Jinja template that
   * mentions {@code tools}); otherwise they are written into the conversation as text first
   * in the family the cluster writes ({@link ToolCallSyntax#WRITTEN}).
   */
  public boolean takesTools() {
    return takesTools;
  }

  /**
   * How this model marks its thinking, read from its declared chat template (even where the
   * fallback renders prompts), or null for a model without such syntax.
   */
  public ReasoningSyntax reasoningSyntax() {
    return reasoningSyntax;
  }

  /** Whether the model's own template is used (false: the fallback). */
  public boolean isModelsOwn() {
    return kind != Kind.CHATML;
  }

  /**
   * The prompt for {@code messages}, ending with the opening of the assistant's turn.
   *
   * @throws RequestValidationException when the template refuses the conversation ({@code raise_exception})
   */
  public String render(List<ChatMessage> messages) {
    return render(messages, List.of());
  }

  /**
   * The prompt for {@code messages} with {@code tools} (none: empty), ending with
   * the opening of the assistant's turn.
   *
   * @throws RequestValidationException when the template refuses the conversation ({@code raise_exception})
   */
  public String render(List<ChatMessage> messages, List<Tool> tools) {
    return render(messages, tools, new JsonObject());
  }

  /**
   * The prompt for {@code messages} with {@code tools} (none: empty) and the request's template
   * variables ({@code chat_template_kwargs}, such as {@code enable_thinking}; only a Jinja template
   * takes them), ending with the opening of the assistant's turn.
   *
   * @throws RequestValidationException when the template refuses the conversation ({@code raise_exception})
   */
  public String render(List<ChatMessage> messages, List<Tool> tools, JsonObject templateArgs) {
    if (!takesTools) {
      messages = ToolCallSyntax.WRITTEN.inline(messages, tools);
      tools = List.of();
    }
    for (ChatMessage m : messages) {
      if (m.content().indexOf('\0') >= 0) { // a C string would end there and drop the rest silently
        throw new RequestValidationException("messages", "message content must not contain NUL characters");
      }
    }
    if (jinja != null) {
      List<Map<String, Object>> maps = new ArrayList<>(messages.size());
      for (ChatMessage m : messages) {
        maps.add(asTemplateMessage(m));
      }
      String prompt;
      try {
        prompt = jinja.render(maps, tools.isEmpty() ? null
            : plainList(new JsonArray(tools.stream().map(Tool::toJson).toList())), true,
            castMap(plain(templateArgs)));
      } catch (JinjaChatTemplate.TemplateException e) {
        throw new RequestValidationException("messages", "the model's chat template refuses this conversation: "
            + e.getMessage());
      }
      return leadingBos != null && prompt.startsWith(leadingBos) ? prompt.substring(leadingBos.length()) : prompt;
    }
    return applyWithLlama(messages);
  }

  /**
   * A message as Hugging Face templates take it: {@code role}, {@code content}, and for tool turns
   * {@code tool_calls} (with {@code arguments} parsed into an object, as templates expect) or
   * {@code tool_call_id}.
   */
  private static Map<String, Object> asTemplateMessage(ChatMessage m) {
    Map<String, Object> map = new LinkedHashMap<>();
    map.put("role", m.role());
    map.put("content", m.content());
    if (m.toolCalls() != null) {
      List<Object> calls = new ArrayList<>();
      JsonArray array = new JsonArray(m.toolCalls());
      for (int i = 0; i < array.size(); i++) {
        JsonObject call = array.getJsonObject(i);
        JsonObject f = call.getJsonObject("function");
        Map<String, Object> function = new LinkedHashMap<>();
        function.put("name", f.getString("name"));
        function.put("arguments", plain(ToolCall.argumentsValue(f.getValue("arguments"))));
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("id", call.getString("id"));
        c.put("type", "function");
        c.put("function", function);
        calls.add(c);
      }
      map.put("tool_calls", calls);
    }
    if (m.toolCallId() != null) {
      map.put("tool_call_id", m.toolCallId());
    }
    if (m.reasoningContent() != null) {
      map.put("reasoning_content", m.reasoningContent());
    }
    return map;
  }

  /** Vert.x JSON as plain maps and lists, in order, for the template engine. */
  private static Object plain(Object json) {
    return switch (json) {
      case JsonObject o -> {
        Map<String, Object> map = new LinkedHashMap<>();
        o.forEach(e -> map.put(e.getKey(), plain(e.getValue())));
        yield map;
      }
      case JsonArray a -> plainList(a);
      case null, default -> json;
    };
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> castMap(Object map) {
    return (Map<String, Object>) map;
  }

  @SuppressWarnings("unchecked")
  private static List<Map<String, Object>> plainList(JsonArray a) {
    List<Object> list = new ArrayList<>(a.size());
    a.forEach(v -> list.add(plain(v)));
    return (List<Map<String, Object>>) (List<?>) list;
  }

  private String applyWithLlama(List<ChatMessage> messages) {
    List<String> roles = messages.stream().map(ChatMessage::role).toList();
    List<String> contents = messages.stream().map(ChatMessage::content).toList();
    String prompt = model.applyChatTemplate(template, roles, contents, true);
    if (prompt == null) { // cannot happen: the template was checked at load
      throw new IllegalStateException("llama.cpp refused the chat template it accepted at load");
    }
    return prompt;
  }
}
