package dev.tokenbus.gateway.api.anthropic;

import static dev.tokenbus.gateway.json.Fields.bool;
import static dev.tokenbus.gateway.json.Fields.integer;
import static dev.tokenbus.gateway.json.Fields.kind;
import static dev.tokenbus.gateway.json.Fields.string;

import dev.tokenbus.gateway.api.ChatMessages;
import dev.tokenbus.gateway.api.GenerateParameters;
import dev.tokenbus.gateway.toolcall.ToolCallGrammar;
import dev.tokenbus.gateway.toolcall.ToolSpec;
import dev.tokenbus.protocol.ChatMessage;
import dev.tokenbus.protocol.GenerationRequest;
import dev.tokenbus.protocol.RequestValidationException;
import dev.tokenbus.protocol.StreamConfig;
import dev.tokenbus.protocol.Tool;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * A {@code /v1/messages} (or {@code /v1/messages/count_tokens}) body, read strictly into the same
 * conversation, tools and settings the chat route builds: a known field of the wrong type is a 400
 * naming it, unknown fields are ignored. Sampling fields are read by {@link GenerateParameters} (so
 * the native extras, such as {@code seed} or {@code min_p}, work here too).
 *
 * <p>{@code system} is a string or text blocks; a message's {@code content} is a string or blocks:
 * {@code text}; on user turns {@code tool_result} (its {@code content} a string or text blocks,
 * {@code is_error}), which becomes a {@code tool} turn answering the call; on assistant turns
 * {@code tool_use} (a call, {@code input} an object) and {@code thinking} /
 * {@code redacted_thinking}, which are accepted and left out of the prompt. {@code image} and
 * {@code document} blocks are refused: the models served read text only.
 *
 * @param messages the conversation, as the worker's chat template takes it
 * @param tools the tools, or null for a plain answer (no tools, or {@code tool_choice: none})
 * @param stopSequences {@code stop_sequences}, to tell which one ended the answer
 */
record MessagesRequest(List<ChatMessage> messages, ToolSpec tools, StreamConfig config, boolean stream,
    String model, List<String> stopSequences) {

  /** Anthropic's tool-call ids; the conversation carries the id without it (some templates insist on their shape). */
  static final String TOOL_ID_PREFIX = "toolu_";

  GenerationRequest toRequest(String id) {
    return GenerationRequest.chat(id, messages, tools != null ? tools.tools() : List.of(), config);
  }

  /** A {@code /v1/messages} body: {@code max_tokens} is required. */
  static MessagesRequest create(JsonObject body) {
    if (body.getValue("max_tokens") == null) {
      throw new RequestValidationException("max_tokens", "max_tokens is required");
    }
    return parse(body);
  }

  /** A {@code /v1/messages/count_tokens} body: the conversation and tools; {@code max_tokens} is not needed. */
  static MessagesRequest count(JsonObject body) {
    return parse(body);
  }

  private static MessagesRequest parse(JsonObject body) {
    ToolSpec tools = tools(body);
    List<ChatMessage> messages = new ArrayList<>();
    Object system = body.getValue("system");
    if (system != null) {
      messages.add(new ChatMessage("system", text(system, "system")));
    }
    messages.addAll(conversation(body.getValue("messages")));
    metadata(body);
    thinking(body);
    List<String> stops = stopSequences(body);
    StreamConfig.Builder builder = GenerateParameters.configBuilder(body);
    if (!stops.isEmpty()) {
      builder.stop(stops);
    }
    if (body.getValue("max_tokens") == null) {
      builder.maxTokens(1); // count_tokens: nothing is generated
    }
    if (tools != null) {
      if (builder.build().grammar() != null) {
        throw new RequestValidationException("tools", "tools cannot be combined with grammar or json_schema");
      }
      if (tools.callRequired()) {
        builder.grammar(ToolCallGrammar.of(tools, i -> "tools[" + i + "].input_schema"));
      }
    }
    StreamConfig config = builder.build().validate();
    return new MessagesRequest(messages, tools, config, bool(body, "stream", false), string(body, "model"),
        config.stop());
  }

  /** {@code tools} and {@code tool_choice} (with {@code disable_parallel_tool_use}). */
  private static ToolSpec tools(JsonObject body) {
    Object t = body.getValue("tools");
    Object c = body.getValue("tool_choice");
    List<Tool> declared = new ArrayList<>();
    if (t != null) {
      JsonArray array = ToolSpec.declared(t);
      Set<String> names = new HashSet<>();
      for (int i = 0; i < array.size(); i++) {
        String at = "tools[" + i + "]";
        if (!(array.getValue(i) instanceof JsonObject tool)) {
          throw new RequestValidationException(at, at + " must be {\"name\":...,\"input_schema\":{...}}");
        }
        Object type = tool.getValue("type");
        if (type != null && !"custom".equals(type)) {
          throw new RequestValidationException(at + ".type", at + ".type " + (type instanceof String s ? "'" + s + "'"
              : kind(type)) + " is not supported: only client tools (custom, with an input_schema) are");
        }
        if (tool.getValue("input_schema") == null) {
          throw new RequestValidationException(at + ".input_schema", at + ".input_schema is required");
        }
        declared.add(ToolSpec.tool(tool, at, "input_schema", names));
      }
    }
    if (c == null) {
      return declared.isEmpty() ? null : new ToolSpec(declared, ToolSpec.Choice.AUTO, null, true);
    }
    if (!(c instanceof JsonObject choice)) {
      throw new RequestValidationException("tool_choice", "tool_choice must be an object such as {\"type\":\"auto\"},"
          + " got " + kind(c));
    }
    Object type = choice.getValue("type");
    boolean parallel;
    try {
      parallel = !bool(choice, "disable_parallel_tool_use", false);
    } catch (RequestValidationException e) {
      throw new RequestValidationException("tool_choice.disable_parallel_tool_use", "tool_choice." + e.getMessage());
    }
    if ("none".equals(type)) {
      return null;
    }
    if (!"auto".equals(type) && !"any".equals(type) && !"tool".equals(type)) {
      throw new RequestValidationException("tool_choice.type", "tool_choice.type must be auto, any, tool or none");
    }
    if (declared.isEmpty()) {
      throw new RequestValidationException("tool_choice", "tool_choice needs tools");
    }
    if ("auto".equals(type)) {
      return new ToolSpec(declared, ToolSpec.Choice.AUTO, null, parallel);
    }
    if ("any".equals(type)) {
      return new ToolSpec(declared, ToolSpec.Choice.REQUIRED, null, parallel);
    }
    if (!(choice.getValue("name") instanceof String name)) {
      throw new RequestValidationException("tool_choice.name", "tool_choice of type tool needs the tool's name");
    }
    if (declared.stream().noneMatch(x -> x.name().equals(name))) {
      throw new RequestValidationException("tool_choice.name", "tool_choice names " + name + ", which is not in tools");
    }
    return new ToolSpec(declared, ToolSpec.Choice.NAMED, name, parallel);
  }

  /** The turns, each user or assistant, at most {@link ChatMessages#MAX_MESSAGES}. */
  private static List<ChatMessage> conversation(Object value) {
    if (value == null) {
      throw new RequestValidationException("messages", "messages is required");
    }
    if (!(value instanceof JsonArray array)) {
      throw new RequestValidationException("messages", "messages must be an array, got " + kind(value));
    }
    if (array.isEmpty()) {
      throw new RequestValidationException("messages", "messages must not be empty");
    }
    if (array.size() > ChatMessages.MAX_MESSAGES) {
      throw new RequestValidationException("messages", "at most " + ChatMessages.MAX_MESSAGES + " messages");
    }
    List<ChatMessage> out = new ArrayList<>(array.size());
    for (int i = 0; i < array.size(); i++) {
      String where = "messages[" + i + "]";
      if (!(array.getValue(i) instanceof JsonObject m)) {
        throw new RequestValidationException(where, where + " must be an object, got " + kind(array.getValue(i)));
      }
      Object role = m.getValue("role");
      if ("user".equals(role)) {
        user(m.getValue("content"), where + ".content", out);
      } else if ("assistant".equals(role)) {
        out.add(assistant(m.getValue("content"), where + ".content"));
      } else {
        throw new RequestValidationException(where + ".role", where + ".role must be user or assistant, got "
            + (role instanceof String r ? "'" + r + "'" : kind(role)));
      }
    }
    return out;
  }

  /**
   * A user turn: its text, and a {@code tool} turn for each {@code tool_result}, in their order
   * (text between results becomes a user turn there).
   */
  private static void user(Object content, String where, List<ChatMessage> out) {
    if (content instanceof String s) {
      out.add(new ChatMessage("user", s));
      return;
    }
    JsonArray blocks = blocks(content, where);
    StringBuilder text = new StringBuilder();
    boolean any = false;
    for (int i = 0; i < blocks.size(); i++) {
      String at = where + "[" + i + "]";
      JsonObject block = block(blocks.getValue(i), at);
      switch ((String) block.getValue("type")) {
        case "text" -> {
          text.append(blockText(block, at));
          any = true;
        }
        case "tool_result" -> {
          if (any) {
            out.add(new ChatMessage("user", text.toString()));
            text.setLength(0);
            any = false;
          }
          out.add(toolResult(block, at));
        }
        default -> throw unsupported(block, at, "text or tool_result");
      }
    }
    if (any) {
      out.add(new ChatMessage("user", text.toString()));
    }
  }

  private static ChatMessage toolResult(JsonObject block, String at) {
    if (!(block.getValue("tool_use_id") instanceof String id) || id.isEmpty()) {
      throw new RequestValidationException(at + ".tool_use_id", at + ".tool_use_id must be the id of the tool_use"
          + " it answers");
    }
    Object content = block.getValue("content");
    String result = content == null ? "" : text(content, at + ".content");
    Object isError = block.getValue("is_error");
    if (isError != null && !(isError instanceof Boolean)) {
      throw new RequestValidationException(at + ".is_error", at + ".is_error must be a boolean, got " + kind(isError));
    }
    // Chat templates have no place for a failed call: the result says so in its text.
    String text = Boolean.TRUE.equals(isError) ? "Error: " + result : result;
    return new ChatMessage("tool", text, null, callId(id));
  }

  /** An assistant turn: its text, and its {@code tool_use} blocks as the calls it made. */
  private static ChatMessage assistant(Object content, String where) {
    if (content instanceof String s) {
      return new ChatMessage("assistant", s);
    }
    JsonArray blocks = blocks(content, where);
    StringBuilder text = new StringBuilder();
    JsonArray calls = new JsonArray();
    for (int i = 0; i < blocks.size(); i++) {
      String at = where + "[" + i + "]";
      JsonObject block = block(blocks.getValue(i), at);
      switch ((String) block.getValue("type")) {
        case "text" -> text.append(blockText(block, at));
        case "tool_use" -> calls.add(toolUse(block, at));
        case "thinking", "redacted_thinking" -> {
          // Earlier reasoning is not part of the prompt here.
        }
        default -> throw unsupported(block, at, "text, tool_use, thinking or redacted_thinking");
      }
    }
    return calls.isEmpty() ? new ChatMessage("assistant", text.toString())
        : new ChatMessage("assistant", text.toString(), calls.encode(), null);
  }

  /** A {@code tool_use} block as the OpenAI-shaped call the chat templates take. */
  private static JsonObject toolUse(JsonObject block, String at) {
    if (!(block.getValue("id") instanceof String id) || id.isEmpty()) {
      throw new RequestValidationException(at + ".id", at + ".id must be a non-empty string");
    }
    if (!(block.getValue("name") instanceof String name) || name.isEmpty()) {
      throw new RequestValidationException(at + ".name", at + ".name must be a non-empty string");
    }
    Object input = block.getValue("input");
    if (!(input instanceof JsonObject args)) {
      throw new RequestValidationException(at + ".input", at + ".input must be an object, got " + kind(input));
    }
    return new JsonObject().put("id", callId(id)).put("type", "function")
        .put("function", new JsonObject().put("name", name).put("arguments", args.encode()));
  }

  /** A call id as the conversation carries it: without Anthropic's prefix, which this gateway adds. */
  private static String callId(String id) {
    return id.startsWith(TOOL_ID_PREFIX) && id.length() > TOOL_ID_PREFIX.length()
        ? id.substring(TOOL_ID_PREFIX.length()) : id;
  }

  /** {@code system} or a tool result's {@code content}: a string, or text blocks joined. */
  private static String text(Object value, String where) {
    if (value instanceof String s) {
      return s;
    }
    if (!(value instanceof JsonArray)) {
      throw new RequestValidationException(where, where + " must be a string or an array of text blocks, got "
          + kind(value));
    }
    JsonArray blocks = (JsonArray) value;
    StringBuilder text = new StringBuilder();
    for (int i = 0; i < blocks.size(); i++) {
      String at = where + "[" + i + "]";
      JsonObject block = block(blocks.getValue(i), at);
      if (!"text".equals(block.getValue("type"))) {
        throw unsupported(block, at, "text");
      }
      text.append(blockText(block, at));
    }
    return text.toString();
  }

  private static JsonArray blocks(Object content, String where) {
    if (content == null) {
      throw new RequestValidationException(where, where + " is required");
    }
    if (!(content instanceof JsonArray blocks)) {
      throw new RequestValidationException(where, where + " must be a string or an array of content blocks, got "
          + kind(content));
    }
    if (blocks.isEmpty()) {
      throw new RequestValidationException(where, where + " must not be empty");
    }
    return blocks;
  }

  /** A content block: an object with a string {@code type}. */
  private static JsonObject block(Object value, String at) {
    if (!(value instanceof JsonObject block)) {
      throw new RequestValidationException(at, at + " must be a content block object, got " + kind(value));
    }
    if (!(block.getValue("type") instanceof String)) {
      throw new RequestValidationException(at + ".type", at + ".type must be a string, got "
          + kind(block.getValue("type")));
    }
    return block;
  }

  private static String blockText(JsonObject block, String at) {
    if (!(block.getValue("text") instanceof String t)) {
      throw new RequestValidationException(at + ".text", at + ".text must be a string, got "
          + kind(block.getValue("text")));
    }
    return t;
  }

  private static RequestValidationException unsupported(JsonObject block, String at, String allowed) {
    String type = (String) block.getValue("type");
    if ("image".equals(type) || "document".equals(type)) {
      return new RequestValidationException(at + ".type", at + " is " + ("image".equals(type) ? "an image" : "a document")
          + ": the models served here read text only; send text blocks");
    }
    return new RequestValidationException(at + ".type", at + ".type must be " + allowed + " here, got '" + type + "'");
  }

  /** {@code stop_sequences}: an array of strings (their count and lengths are checked with the config). */
  private static List<String> stopSequences(JsonObject body) {
    Object v = body.getValue("stop_sequences");
    if (v == null) {
      return List.of();
    }
    if (!(v instanceof JsonArray a)) {
      throw new RequestValidationException("stop_sequences", "stop_sequences must be an array of strings, got "
          + kind(v));
    }
    if (a.size() > StreamConfig.MAX_STOP_SEQUENCES) {
      throw new RequestValidationException("stop_sequences", "at most " + StreamConfig.MAX_STOP_SEQUENCES
          + " stop sequences");
    }
    List<String> out = new ArrayList<>(a.size());
    for (Object o : a) {
      if (!(o instanceof String s) || s.isEmpty()) {
        throw new RequestValidationException("stop_sequences", "stop_sequences must hold non-empty strings, found "
            + (o instanceof String ? "an empty one" : kind(o)));
      }
      out.add(s);
    }
    return out;
  }

  /** {@code metadata}: an object whose {@code user_id}, when given, is a string; accepted and not used. */
  private static void metadata(JsonObject body) {
    Object v = body.getValue("metadata");
    if (v == null) {
      return;
    }
    if (!(v instanceof JsonObject m)) {
      throw new RequestValidationException("metadata", "metadata must be an object, got " + kind(v));
    }
    Object user = m.getValue("user_id");
    if (user != null && !(user instanceof String)) {
      throw new RequestValidationException("metadata.user_id", "metadata.user_id must be a string, got " + kind(user));
    }
  }

  /**
   * {@code thinking}: {@code {"type":"enabled","budget_tokens":n}} or {@code {"type":"disabled"}},
   * read strictly; the answer's thinking is not split out on this route yet.
   */
  private static void thinking(JsonObject body) {
    Object v = body.getValue("thinking");
    if (v == null) {
      return;
    }
    if (!(v instanceof JsonObject t) || !(t.getValue("type") instanceof String type)
        || !(type.equals("enabled") || type.equals("disabled") || type.equals("adaptive"))) {
      throw new RequestValidationException("thinking", "thinking must be {\"type\":\"enabled\",\"budget_tokens\":n}"
          + " or {\"type\":\"disabled\"}");
    }
    if (t.getValue("budget_tokens") != null && integer(t, "budget_tokens", 0) < 1) {
      throw new RequestValidationException("thinking.budget_tokens", "thinking.budget_tokens must be at least 1");
    }
  }
}
