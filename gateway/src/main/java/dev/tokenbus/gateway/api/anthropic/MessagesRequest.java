package dev.tokenbus.gateway.api.anthropic;

import static dev.tokenbus.gateway.json.Fields.bool;
import static dev.tokenbus.gateway.json.Fields.integer;
import static dev.tokenbus.gateway.json.Fields.kind;
import static dev.tokenbus.gateway.json.Fields.string;

import dev.tokenbus.gateway.api.GenerateParameters;
import dev.tokenbus.gateway.api.ReasoningParameters;
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
 * <p>{@code system} and {@code messages} are read by {@link Conversation}; {@code tools} with
 * {@code input_schema}, {@code tool_choice}, {@code stop_sequences}, {@code metadata} and
 * {@code thinking} here (as the chat route's thinking fields, {@link ReasoningParameters}, which
 * also read here).
 *
 * @param messages the conversation, as the worker's chat template takes it
 * @param tools the tools, or null for a plain answer (no tools, or {@code tool_choice: none})
 */
record MessagesRequest(List<ChatMessage> messages, ToolSpec tools, StreamConfig config, boolean stream,
    String model, ReasoningParameters reasoning) {

  GenerationRequest toRequest(String id) {
    return GenerationRequest.chat(id, messages, tools != null ? tools.tools() : List.of(), config)
        .withTemplateArgs(reasoning.templateArgs());
  }

  /** A {@code /v1/messages} body: {@code max_tokens} is required. */
  static MessagesRequest create(JsonObject body, ReasoningParameters.Defaults defaults) {
    if (body.getValue("max_tokens") == null) {
      throw new RequestValidationException("max_tokens", "max_tokens is required");
    }
    return parse(body, defaults);
  }

  /** A {@code /v1/messages/count_tokens} body: the conversation and tools; {@code max_tokens} is not needed. */
  static MessagesRequest count(JsonObject body, ReasoningParameters.Defaults defaults) {
    return parse(body, defaults);
  }

  private static MessagesRequest parse(JsonObject body, ReasoningParameters.Defaults defaults) {
    ToolSpec tools = tools(body);
    List<ChatMessage> messages = new ArrayList<>();
    Object system = body.getValue("system");
    if (system != null) {
      messages.add(new ChatMessage("system", Conversation.text(system, "system")));
    }
    messages.addAll(Conversation.read(body.getValue("messages")));
    metadata(body);
    List<String> stops = stopSequences(body);
    StreamConfig.Builder builder = GenerateParameters.configBuilder(body);
    ReasoningParameters reasoning = ReasoningParameters.parse(thinking(body, builder), defaults, builder);
    if (!stops.isEmpty()) {
      builder.stop(stops);
    }
    if (body.getValue("max_tokens") == null) {
      builder.maxTokens(1); // count_tokens: nothing is generated
    }
    if (tools != null) {
      ToolCallGrammar.constrain(builder, tools, body.getValue("grammar") != null, "json_schema",
          i -> "tools[" + i + "].input_schema");
    }
    StreamConfig config = builder.build().validate();
    return new MessagesRequest(messages, tools, config, bool(body, "stream", false), string(body, "model"), reasoning);
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
   * {@code thinking}, read strictly, as the chat route's thinking fields: {@code {"type":"enabled",
   * "budget_tokens":n}} caps the thinking at {@code n} tokens (the worker then closes the block
   * itself), {@code {"type":"disabled"}} turns it off in the template ({@code enable_thinking:
   * false}), {@code {"type":"adaptive"}} leaves both to the model and the gateway's defaults.
   *
   * @return the body as {@link ReasoningParameters} reads it
   */
  private static JsonObject thinking(JsonObject body, StreamConfig.Builder config) {
    Object v = body.getValue("thinking");
    if (v == null) {
      return body;
    }
    if (!(v instanceof JsonObject t) || !(t.getValue("type") instanceof String type)
        || !(type.equals("enabled") || type.equals("disabled") || type.equals("adaptive"))) {
      throw new RequestValidationException("thinking", "thinking must be {\"type\":\"enabled\",\"budget_tokens\":n}"
          + " or {\"type\":\"disabled\"}");
    }
    JsonObject view = body.copy();
    if (t.getValue("budget_tokens") != null) {
      int budget = integer(t, "budget_tokens", 0);
      if (budget < 1 || budget > StreamConfig.MAX_REASONING_BUDGET) {
        throw new RequestValidationException("thinking.budget_tokens", "thinking.budget_tokens must be 1 to "
            + StreamConfig.MAX_REASONING_BUDGET + ", got " + budget);
      }
      if ("enabled".equals(type)) {
        config.reasoningBudget(budget);
        view.put("reasoning_budget", budget);
      }
    }
    if ("disabled".equals(type)) {
      view.put("enable_thinking", false);
    }
    return view;
  }
}
