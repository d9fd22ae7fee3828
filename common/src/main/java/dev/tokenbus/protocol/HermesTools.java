package dev.tokenbus.protocol;

import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;

/**
 * Writes tools into a conversation as plain text, in the Hermes format that Qwen, Hermes and many
 * fine-tunes are trained on, for a chat template that cannot take them itself: the tools'
 * signatures in the system message inside {@code <tools>}, earlier calls as {@code <tool_call>}
 * blocks of the assistant, and tool results as {@code <tool_response>} blocks of a user turn. The
 * worker uses it when its model's template does not render {@code tools}; a template that does
 * gets the structured conversation instead.
 */
public final class HermesTools {

  private HermesTools() {}

  /**
   * The conversation with tool turns written as text and, when {@code tools} is given, the tools
   * described at its start (in its system message, or a new one).
   *
   * @param tools OpenAI's JSON array of {@code {"type":"function","function":{...}}}, or null
   */
  public static List<ChatMessage> inline(List<ChatMessage> messages, String tools) {
    List<ChatMessage> out = new ArrayList<>(messages.size() + 1);
    for (ChatMessage m : messages) {
      if (m.role().equals("tool")) {
        out.add(new ChatMessage("user", toolResponse(m.content())));
      } else if (m.toolCalls() != null) {
        out.add(new ChatMessage("assistant", assistantCalls(m.content(), new JsonArray(m.toolCalls()))));
      } else {
        out.add(m);
      }
    }
    if (tools == null) {
      return out;
    }
    String described = describe(new JsonArray(tools));
    if (!out.isEmpty() && out.get(0).role().equals("system")) {
      out.set(0, new ChatMessage("system", out.get(0).content() + "\n\n" + described));
    } else {
      out.add(0, new ChatMessage("system", described));
    }
    return out;
  }

  private static String describe(JsonArray tools) {
    StringBuilder s = new StringBuilder();
    s.append("You may call one or more functions to assist with the user query.\n\n")
        .append("You are provided with function signatures within <tools></tools> XML tags:\n<tools>\n");
    for (int i = 0; i < tools.size(); i++) {
      JsonObject tool = tools.getJsonObject(i);
      JsonObject f = tool.getJsonObject("function");
      JsonObject function = new JsonObject().put("name", f.getString("name"));
      if (f.getString("description") != null) {
        function.put("description", f.getString("description"));
      }
      function.put("parameters", f.getValue("parameters"));
      s.append(new JsonObject().put("type", "function").put("function", function).encode()).append('\n');
    }
    s.append("</tools>\n\nFor each function call, return a json object with function name and arguments within"
        + " <tool_call></tool_call> XML tags:\n<tool_call>\n{\"name\": <function-name>, \"arguments\": <args-json-object>}\n"
        + "</tool_call>");
    return s.toString();
  }

  /** An assistant turn that called tools: its text, then one {@code <tool_call>} block per call. */
  public static String assistantCalls(String content, JsonArray toolCalls) {
    StringBuilder s = new StringBuilder(content == null ? "" : content);
    for (int i = 0; i < toolCalls.size(); i++) {
      JsonObject f = toolCalls.getJsonObject(i).getJsonObject("function");
      if (!s.isEmpty()) {
        s.append('\n');
      }
      s.append("<tool_call>\n").append(new JsonObject().put("name", f.getString("name"))
          .put("arguments", arguments(f.getValue("arguments"))).encode()).append("\n</tool_call>");
    }
    return s.toString();
  }

  /** A tool's result, as the user turn that carries it. */
  public static String toolResponse(String content) {
    return "<tool_response>\n" + content + "\n</tool_response>";
  }

  /** A call's arguments as JSON: OpenAI sends them as a JSON string; text that is not JSON stays text. */
  public static Object arguments(Object args) {
    if (args instanceof String a) {
      try {
        return Json.decodeValue(a);
      } catch (DecodeException e) {
        return a;
      }
    }
    return args;
  }
}
