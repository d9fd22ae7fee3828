package dev.tokenbus.toolcall;

import dev.tokenbus.protocol.ChatMessage;
import dev.tokenbus.protocol.Tool;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Hermes / Qwen: {@code <tool_call>\n{"name":"f","arguments":{...}}\n</tool_call>}, one block per
 * call, separated by new lines. Read loosely, blocks may stand anywhere in the answer, between text,
 * and the last may be left open when the answer ran out.
 *
 * <p>The family the cluster writes ({@link ToolCallSyntax#WRITTEN}), so it also writes the prompt
 * text: the tools, earlier calls and tool results in the conversation ({@link #inline}).
 */
public final class HermesSyntax implements ToolCallSyntax {

  private static final Pattern BLOCK = Pattern.compile("<tool_call>\\s*(.*?)\\s*(?:</tool_call>|$)", Pattern.DOTALL);

  /** The one instance is {@link ToolCallSyntax#HERMES}. */
  HermesSyntax() {}

  @Override
  public String name() {
    return "hermes";
  }

  @Override
  public String prefix() {
    return "";
  }

  @Override
  public String open(String name) {
    return "<tool_call>\n{\"name\":\"" + name + "\",\"arguments\":";
  }

  @Override
  public String close() {
    return "}\n</tool_call>";
  }

  @Override
  public String separator() {
    return "\n";
  }

  @Override
  public String suffix() {
    return "";
  }

  @Override
  public List<String> starts() {
    return List.of("<tool_call>");
  }

  /** The instruction that tells the model how to call, after the tools' signatures. */
  private static String instruction() {
    return "For each function call, return a json object with function name and arguments within"
        + " <tool_call></tool_call> XML tags:\n<tool_call>\n{\"name\": <function-name>, \"arguments\": <args-json-object>}\n"
        + "</tool_call>";
  }

  @Override
  public ParsedAnswer parseLoosely(String text, Set<String> names) {
    String trimmed = text.strip();
    List<ToolCall> calls = new ArrayList<>();
    Matcher m = BLOCK.matcher(trimmed);
    StringBuilder rest = new StringBuilder();
    int last = 0;
    while (m.find()) {
      rest.append(trimmed, last, m.start());
      last = m.end();
      JsonCalls.read(m.group(1), names, calls);
    }
    rest.append(trimmed.substring(last));
    return calls.isEmpty() ? ParsedAnswer.content(text) : new ParsedAnswer(calls, rest.toString().strip());
  }

  /**
   * A conversation with tool turns written as text in this family, and the tools (when given)
   * described in its system message (or a new one), for a chat template that cannot take them.
   */
  public List<ChatMessage> inline(List<ChatMessage> messages, List<Tool> tools) {
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
    if (tools == null || tools.isEmpty()) {
      return out;
    }
    String described = describe(tools);
    if (!out.isEmpty() && out.get(0).role().equals("system")) {
      out.set(0, new ChatMessage("system", out.get(0).content() + "\n\n" + described));
    } else {
      out.add(0, new ChatMessage("system", described));
    }
    return out;
  }

  /** The tools' signatures and how to call them, as a system message says it. */
  private static String describe(List<Tool> tools) {
    StringBuilder s = new StringBuilder();
    s.append("You may call one or more functions to assist with the user query.\n\n")
        .append("You are provided with function signatures within <tools></tools> XML tags:\n<tools>\n");
    for (Tool t : tools) {
      s.append(t.toJson().encode()).append('\n');
    }
    return s.append("</tools>\n\n").append(instruction()).toString();
  }

  /** An assistant turn that called tools ({@code toolCalls} in OpenAI's form): its text, then the calls. */
  private String assistantCalls(String content, JsonArray toolCalls) {
    List<ToolCall> calls = new ArrayList<>(toolCalls.size());
    for (int i = 0; i < toolCalls.size(); i++) {
      JsonObject call = toolCalls.getJsonObject(i);
      JsonObject f = call.getJsonObject("function");
      calls.add(new ToolCall(call.getString("id"), f.getString("name"),
          Json.encode(ToolCall.argumentsValue(f.getValue("arguments")))));
    }
    String text = content == null ? "" : content;
    return text + (text.isEmpty() ? "" : "\n") + write(calls);
  }

  /** A tool's result, as the user turn that carries it. */
  private static String toolResponse(String content) {
    return "<tool_response>\n" + content + "\n</tool_response>";
  }
}
