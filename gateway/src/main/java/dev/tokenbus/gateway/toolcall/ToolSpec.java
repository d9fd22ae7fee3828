package dev.tokenbus.gateway.toolcall;

import dev.tokenbus.gateway.json.Fields;
import dev.tokenbus.protocol.RequestValidationException;
import dev.tokenbus.protocol.Tool;
import dev.tokenbus.toolcall.ToolCall;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The tools of a {@code /v1/chat/completions} request: {@code tools} (functions with a JSON Schema
 * for their arguments), {@code tool_choice} and {@code parallel_tool_calls}, read strictly; other
 * APIs (Anthropic's Messages) read their own shapes into it with {@link #tool}.
 *
 * @param tools the functions the model may call
 * @param choice {@code auto} (the model decides), {@code required} (at least one call) or
 *     {@code named} (a call of {@link #named})
 * @param named the function that must be called, when {@code choice} is {@code NAMED}
 * @param parallel whether several calls may come in one answer
 */
public record ToolSpec(List<Tool> tools, Choice choice, String named, boolean parallel) {

  /** The most tools one request may declare. */
  public static final int MAX_TOOLS = 128;

  public enum Choice { AUTO, REQUIRED, NAMED }

  /** Whether the answer must be a tool call (and is grammar-constrained to one). */
  public boolean callRequired() {
    return choice != Choice.AUTO;
  }

  /** The names of the declared tools: only calls of these count in an answer. */
  public Set<String> names() {
    return tools.stream().map(Tool::name).collect(Collectors.toUnmodifiableSet());
  }

  /** The tools a call may name: all, or the named one. */
  public List<Tool> callable() {
    return choice == Choice.NAMED ? tools.stream().filter(t -> t.name().equals(named)).toList() : tools;
  }

  /**
   * Reads {@code tools} and {@code tool_choice}, with {@code parallel_tool_calls} already read:
   * null when the request has no tools or {@code tool_choice} is {@code none} (a plain chat).
   */
  public static ToolSpec parse(JsonObject body, boolean parallel) {
    if (body.getValue("functions") != null || body.getValue("function_call") != null) {
      String key = body.getValue("functions") != null ? "functions" : "function_call";
      throw new RequestValidationException(key, key + " is the deprecated form: use tools and tool_choice");
    }
    Object t = body.getValue("tools");
    Object c = body.getValue("tool_choice");
    List<Tool> tools = t == null ? List.of() : tools(t);
    if (tools.isEmpty()) {
      if (c != null && !"none".equals(c)) {
        throw new RequestValidationException("tool_choice", "tool_choice needs tools");
      }
      return null;
    }
    if (c == null || "auto".equals(c)) {
      return new ToolSpec(tools, Choice.AUTO, null, parallel);
    }
    if ("none".equals(c)) {
      return null;
    }
    if ("required".equals(c)) {
      return new ToolSpec(tools, Choice.REQUIRED, null, parallel);
    }
    if (c instanceof JsonObject o && "function".equals(o.getValue("type")) && o.getValue("function") instanceof JsonObject f
        && f.getValue("name") instanceof String name) {
      if (tools.stream().noneMatch(x -> x.name().equals(name))) {
        throw new RequestValidationException("tool_choice", "tool_choice names " + name + ", which is not in tools");
      }
      return new ToolSpec(tools, Choice.NAMED, name, parallel);
    }
    throw new RequestValidationException("tool_choice", "tool_choice must be none, auto, required or"
        + " {\"type\":\"function\",\"function\":{\"name\":...}}");
  }

  private static List<Tool> tools(Object value) {
    JsonArray array = declared(value);
    List<Tool> out = new ArrayList<>();
    Set<String> names = new HashSet<>();
    for (int i = 0; i < array.size(); i++) {
      String at = "tools[" + i + "]";
      if (!(array.getValue(i) instanceof JsonObject tool) || !"function".equals(tool.getValue("type"))) {
        throw new RequestValidationException(at, at + " must be {\"type\":\"function\",\"function\":{...}}");
      }
      if (!(tool.getValue("function") instanceof JsonObject f)) {
        throw new RequestValidationException(at + ".function", at + ".function must be an object");
      }
      out.add(tool(f, at + ".function", "parameters", names));
    }
    return out;
  }

  /** A request's {@code tools} array, within {@link #MAX_TOOLS}. */
  public static JsonArray declared(Object value) {
    if (!(value instanceof JsonArray array)) {
      throw new RequestValidationException("tools", "tools must be an array, got " + Fields.kind(value));
    }
    if (array.size() > MAX_TOOLS) {
      throw new RequestValidationException("tools", "at most " + MAX_TOOLS + " tools");
    }
    return array;
  }

  /**
   * One declared function, read strictly, in any API's shape: its {@code name} (unique among
   * {@code names}, which it joins), {@code description} and the JSON Schema of its arguments under
   * {@code schemaKey} (an object that takes nothing when absent).
   *
   * @param at where the function is in the request, for errors ({@code tools[0].function})
   */
  public static Tool tool(JsonObject f, String at, String schemaKey, Set<String> names) {
    if (!(f.getValue("name") instanceof String name) || !ToolCall.NAME.matcher(name).matches()) {
      throw new RequestValidationException(at + ".name", at + ".name must be 1 to 64 letters,"
          + " digits, '_', '.' or '-'");
    }
    if (!names.add(name)) {
      throw new RequestValidationException(at + ".name", "two tools are named " + name);
    }
    Object d = f.getValue("description");
    if (d != null && !(d instanceof String)) {
      throw new RequestValidationException(at + ".description", at + ".description must be a string");
    }
    Object p = f.getValue(schemaKey);
    if (p != null && !(p instanceof JsonObject)) {
      throw new RequestValidationException(at + "." + schemaKey, at + "." + schemaKey + " must be a JSON Schema");
    }
    JsonObject parameters = p == null ? new JsonObject().put("type", "object").put("properties", new JsonObject())
        .put("additionalProperties", false) : (JsonObject) p;
    return new Tool(name, (String) d, parameters);
  }
}
