package dev.tokenbus.gateway.api.responses;

import static dev.tokenbus.gateway.json.Fields.bool;
import static dev.tokenbus.gateway.json.Fields.integer;
import static dev.tokenbus.gateway.json.Fields.kind;
import static dev.tokenbus.gateway.json.Fields.string;

import dev.tokenbus.gateway.api.ChatMessages;
import dev.tokenbus.gateway.api.GenerateParameters;
import dev.tokenbus.gateway.api.ReasoningParameters;
import dev.tokenbus.gateway.api.StructuredOutput;
import dev.tokenbus.gateway.toolcall.ToolCallGrammar;
import dev.tokenbus.gateway.toolcall.ToolSpec;
import dev.tokenbus.protocol.ChatMessage;
import dev.tokenbus.protocol.GenerationRequest;
import dev.tokenbus.protocol.RequestValidationException;
import dev.tokenbus.protocol.StreamConfig;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Set;

/**
 * A {@code POST /v1/responses} body, read strictly (a known field of the wrong type is a 400 naming
 * it). {@code input} (a string, or items: messages, {@code function_call},
 * {@code function_call_output}, {@code reasoning}) is kept as items ({@link Items}); with the
 * conversation of {@code previous_response_id} before it and {@code instructions} as the system
 * turn, it becomes the chat messages the worker renders. Function tools, {@code tool_choice} and
 * {@code text.format} are read as the chat route reads {@code tools} and {@code response_format}
 * (one reader each); sampling fields, and tokenbus's extras such as {@code top_k}, by
 * {@link GenerateParameters}; {@code reasoning.effort} and the chat route's thinking fields
 * ({@code chat_template_kwargs}, {@code reasoning_budget}, ...) by {@link ReasoningParameters}.
 * Built-in tools, {@code truncation: "auto"} and {@code conversation} are refused: nothing here
 * would do what they ask.
 *
 * @param input this request's input items, in {@link Items}' stored form
 * @param tools the function tools, or null for none (or {@code tool_choice: "none"})
 * @param echo the request's settings as the response object repeats them
 */
record ResponsesRequest(String model, JsonArray input, String instructions, String previousResponseId, boolean store,
    boolean stream, boolean background, JsonObject metadata, ToolSpec tools, StreamConfig config,
    ReasoningParameters reasoning, JsonObject echo) {

  /** Most {@code metadata} pairs, and the longest key and value, as OpenAI allows. */
  static final int MAX_METADATA = 16, MAX_METADATA_KEY = 64, MAX_METADATA_VALUE = 512;

  private static final Set<String> REFUSED = Set.of("conversation", "prompt");

  /** A body, with the gateway's defaults for the thinking fields. */
  static ResponsesRequest parse(JsonObject body, ReasoningParameters.Defaults defaults) {
    for (String field : REFUSED) {
      if (body.getValue(field) != null && !Boolean.FALSE.equals(body.getValue(field))) {
        throw new RequestValidationException(field, field + " is not supported");
      }
    }
    Object truncation = body.getValue("truncation");
    if (truncation != null && !"disabled".equals(truncation)) {
      throw new RequestValidationException("truncation", "truncation must be \"disabled\": a conversation longer"
          + " than the context is refused, never cut");
    }
    Object rawInput = body.getValue("input");
    if (rawInput == null) {
      throw new RequestValidationException("input", "input is required");
    }
    JsonArray input = Items.input(rawInput);
    String previous = string(body, "previous_response_id");
    if (previous != null && previous.isEmpty()) {
      throw new RequestValidationException("previous_response_id", "previous_response_id must not be empty");
    }
    JsonObject chatTools = chatTools(body);
    ToolSpec tools = ToolSpec.parse(chatTools, bool(body, "parallel_tool_calls", true));
    Integer limit = body.getValue("max_output_tokens") == null ? null : integer(body, "max_output_tokens", 0);
    if (limit != null && limit < 1) {
      throw new RequestValidationException("max_output_tokens", "max_output_tokens must be at least 1, got " + limit);
    }
    StreamConfig.Builder builder = GenerateParameters.configBuilder(body)
        .maxTokens(limit != null ? limit : GenerateParameters.UNLIMITED);
    JsonObject format = textFormat(body);
    if (format != null) {
      String grammar = StructuredOutput.responseFormat(new JsonObject().put("response_format", format));
      if (grammar != null) {
        builder.grammar(grammar);
      }
    }
    if (tools != null) {
      ToolCallGrammar.constrain(builder, tools, body.getValue("grammar") != null, "text.format or json_schema",
          i -> "tools[" + i + "].parameters");
    }
    JsonObject reasoning = reasoning(body);
    // reasoning.effort is the chat route's reasoning_effort; the chat route's other thinking fields work too.
    JsonObject chatView = reasoning.getValue("effort") == null ? body
        : body.copy().put("reasoning_effort", reasoning.getValue("effort"));
    ReasoningParameters thinking = ReasoningParameters.parse(chatView, defaults, builder);
    StreamConfig config = builder.build().validate();
    boolean store = bool(body, "store", true);
    boolean stream = bool(body, "stream", false);
    boolean background = bool(body, "background", false);
    if (background && !store) {
      throw new RequestValidationException("background", "a background response is stored: background needs store"
          + " true");
    }
    JsonObject metadata = metadata(body);
    JsonObject echo = new JsonObject()
        .put("background", background)
        .put("instructions", string(body, "instructions"))
        .put("max_output_tokens", limit)
        .put("parallel_tool_calls", bool(body, "parallel_tool_calls", true))
        .put("reasoning", reasoning)
        .put("temperature", config.temperature())
        .put("text", new JsonObject().put("format", format != null ? format : new JsonObject().put("type", "text")))
        .put("tool_choice", body.getValue("tool_choice") != null ? body.getValue("tool_choice") : "auto")
        .put("tools", body.getValue("tools") != null ? body.getJsonArray("tools") : new JsonArray())
        .put("top_p", config.topP())
        .put("truncation", "disabled")
        .put("user", string(body, "user"));
    return new ResponsesRequest(string(body, "model"), input, string(body, "instructions"), previous, store, stream,
        background, metadata, tools, config, thinking, echo);
  }

  /**
   * The generation, for the conversation {@code history} (the items of the previous response's
   * conversation, none without one) followed by this request's input.
   */
  GenerationRequest toRequest(String id, JsonArray history) {
    JsonArray messages = new JsonArray();
    if (instructions != null && !instructions.isEmpty()) {
      messages.add(new JsonObject().put("role", "system").put("content", instructions));
    }
    JsonArray conversation = history.copy().addAll(input);
    Items.toChatMessages(conversation, messages);
    List<ChatMessage> parsed = ChatMessages.parse(messages);
    return GenerationRequest.chat(id, parsed, tools != null ? tools.tools() : List.of(), config)
        .withTemplateArgs(reasoning.templateArgs());
  }

  /** {@code tools} and {@code tool_choice} in the chat route's shape, for {@link ToolSpec#parse}. */
  private static JsonObject chatTools(JsonObject body) {
    JsonObject chat = new JsonObject();
    Object tools = body.getValue("tools");
    if (tools != null) {
      if (!(tools instanceof JsonArray array)) {
        throw new RequestValidationException("tools", "tools must be an array, got " + kind(tools));
      }
      JsonArray out = new JsonArray();
      for (int i = 0; i < array.size(); i++) {
        String at = "tools[" + i + "]";
        if (!(array.getValue(i) instanceof JsonObject t)) {
          throw new RequestValidationException(at, at + " must be an object");
        }
        if (!"function".equals(t.getValue("type"))) {
          throw new RequestValidationException(at + ".type", at + ".type must be \"function\": built-in tools"
              + " (web search, file search, code interpreter, ...) are not supported");
        }
        JsonObject function = new JsonObject().put("name", t.getValue("name"));
        for (String key : List.of("description", "parameters", "strict")) {
          if (t.getValue(key) != null) {
            function.put(key, t.getValue(key));
          }
        }
        out.add(new JsonObject().put("type", "function").put("function", function));
      }
      chat.put("tools", out);
    }
    Object choice = body.getValue("tool_choice");
    if (choice instanceof JsonObject c) {
      if (!"function".equals(c.getValue("type")) || !(c.getValue("name") instanceof String name)) {
        throw new RequestValidationException("tool_choice", "tool_choice must be \"auto\", \"none\", \"required\""
            + " or {\"type\":\"function\",\"name\":...}");
      }
      chat.put("tool_choice", new JsonObject().put("type", "function").put("function",
          new JsonObject().put("name", name)));
    } else if (choice != null) {
      chat.put("tool_choice", choice);
    }
    return chat;
  }

  /** {@code text.format} as the chat route's {@code response_format}; null for plain text. */
  private static JsonObject textFormat(JsonObject body) {
    Object text = body.getValue("text");
    if (text == null) {
      return null;
    }
    if (!(text instanceof JsonObject t)) {
      throw new RequestValidationException("text", "text must be an object, got " + kind(text));
    }
    Object format = t.getValue("format");
    if (format == null) {
      return null;
    }
    if (!(format instanceof JsonObject f) || !(f.getValue("type") instanceof String type)) {
      throw new RequestValidationException("text.format", "text.format must be an object with a type");
    }
    return switch (type) {
      case "text" -> null;
      case "json_object" -> f;
      case "json_schema" -> {
        JsonObject schema = new JsonObject().put("name", f.getValue("name")).put("schema", f.getValue("schema"));
        if (f.getValue("strict") != null) {
          schema.put("strict", f.getValue("strict"));
        }
        yield new JsonObject().put("type", "json_schema").put("json_schema", schema);
      }
      default -> throw new RequestValidationException("text.format.type", "text.format.type must be text,"
          + " json_object or json_schema, got '" + type + "'");
    };
  }

  private static JsonObject metadata(JsonObject body) {
    Object v = body.getValue("metadata");
    if (v == null) {
      return new JsonObject();
    }
    if (!(v instanceof JsonObject m)) {
      throw new RequestValidationException("metadata", "metadata must be an object, got " + kind(v));
    }
    if (m.size() > MAX_METADATA) {
      throw new RequestValidationException("metadata", "metadata holds at most " + MAX_METADATA + " pairs");
    }
    for (String key : m.fieldNames()) {
      if (key.length() > MAX_METADATA_KEY || !(m.getValue(key) instanceof String value)
          || value.length() > MAX_METADATA_VALUE) {
        throw new RequestValidationException("metadata", "metadata keys are strings of at most " + MAX_METADATA_KEY
            + " chars and values strings of at most " + MAX_METADATA_VALUE);
      }
    }
    return m;
  }

  private static JsonObject reasoning(JsonObject body) {
    Object v = body.getValue("reasoning");
    if (v == null) {
      return new JsonObject().put("effort", null).put("summary", null);
    }
    if (!(v instanceof JsonObject r)) {
      throw new RequestValidationException("reasoning", "reasoning must be an object, got " + kind(v));
    }
    return new JsonObject().put("effort", string(r, "effort")).put("summary", string(r, "summary"));
  }
}
