package dev.tokenbus.http.tools;

import dev.tokenbus.protocol.ChatMessage;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;

/**
 * Puts tools into a conversation in the Hermes format that Qwen, Hermes and many fine-tunes are
 * trained on, which any chat template carries as plain text: the tools' signatures in the system
 * message inside {@code <tools>}, earlier calls as {@code <tool_call>} blocks of the assistant, and
 * tool results as {@code <tool_response>} blocks of a user turn.
 */
public final class ToolPrompt {

  private ToolPrompt() {}

  /** The conversation with the tools described at its start (in its system message, or a new one). */
  public static List<ChatMessage> withTools(List<ChatMessage> messages, ToolSpec spec) {
    StringBuilder s = new StringBuilder();
    s.append("You may call one or more functions to assist with the user query.\n\n")
        .append("You are provided with function signatures within <tools></tools> XML tags:\n<tools>\n");
    for (ToolSpec.Tool t : spec.tools()) {
      JsonObject function = new JsonObject().put("name", t.name());
      if (t.description() != null) {
        function.put("description", t.description());
      }
      function.put("parameters", t.parameters());
      s.append(new JsonObject().put("type", "function").put("function", function).encode()).append('\n');
    }
    s.append("</tools>\n\nFor each function call, return a json object with function name and arguments within"
        + " <tool_call></tool_call> XML tags:\n<tool_call>\n{\"name\": <function-name>, \"arguments\": <args-json-object>}\n"
        + "</tool_call>");
    List<ChatMessage> out = new ArrayList<>(messages.size() + 1);
    if (!messages.isEmpty() && messages.get(0).role().equals("system")) {
      out.add(new ChatMessage("system", messages.get(0).content() + "\n\n" + s));
      out.addAll(messages.subList(1, messages.size()));
    } else {
      out.add(new ChatMessage("system", s.toString()));
      out.addAll(messages);
    }
    return out;
  }

  /** An assistant turn that called tools: its text, then one {@code <tool_call>} block per call. */
  public static String assistantCalls(String content, JsonArray toolCalls) {
    StringBuilder s = new StringBuilder(content == null ? "" : content);
    for (int i = 0; i < toolCalls.size(); i++) {
      JsonObject f = toolCalls.getJsonObject(i).getJsonObject("function");
      Object args = f.getValue("arguments");
      Object parsed = args instanceof String a ? parseOrText(a) : args;
      if (!s.isEmpty()) {
        s.append('\n');
      }
      s.append("<tool_call>\n").append(new JsonObject().put("name", f.getString("name")).put("arguments", parsed).encode())
          .append("\n</tool_call>");
    }
    return s.toString();
  }

  /** A tool's result, as the user turn that carries it. */
  public static String toolResponse(String content) {
    return "<tool_response>\n" + content + "\n</tool_response>";
  }

  private static Object parseOrText(String json) {
    try {
      return io.vertx.core.json.Json.decodeValue(json);
    } catch (RuntimeException e) {
      return json;
    }
  }
}
