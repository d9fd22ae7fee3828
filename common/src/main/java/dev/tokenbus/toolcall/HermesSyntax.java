package dev.tokenbus.toolcall;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Hermes / Qwen: {@code <tool_call>\n{"name":"f","arguments":{...}}\n</tool_call>}, one block per
 * call, separated by new lines. Read loosely, blocks may stand anywhere in the answer, between text,
 * and the last may be left open when the answer ran out.
 */
final class HermesSyntax implements ToolCallSyntax {

  private static final Pattern BLOCK = Pattern.compile("<tool_call>\\s*(.*?)\\s*(?:</tool_call>|$)", Pattern.DOTALL);

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

  @Override
  public String instruction() {
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
}
