package dev.tokenbus.toolcall;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Generic JSON: {@code {"tool_calls":[{"name":"f","arguments":{...}},...]}}. Read loosely, the
 * whole answer (optionally in a code fence) may also be one call object or an array of them.
 */
final class JsonSyntax implements ToolCallSyntax {

  private static final Pattern FENCE = Pattern.compile("^```(?:json)?\\s*(.*?)\\s*```$", Pattern.DOTALL);

  @Override
  public String name() {
    return "json";
  }

  @Override
  public String prefix() {
    return "{\"tool_calls\":[";
  }

  @Override
  public String open(String name) {
    return "{\"name\":\"" + name + "\",\"arguments\":";
  }

  @Override
  public String close() {
    return "}";
  }

  @Override
  public String separator() {
    return ",";
  }

  @Override
  public String suffix() {
    return "]}";
  }

  @Override
  public List<String> starts() {
    return List.of("{", "[", "```");
  }

  @Override
  public ParsedAnswer parseLoosely(String text, Set<String> names) {
    String body = text.strip();
    Matcher fence = FENCE.matcher(body);
    if (fence.matches()) {
      body = fence.group(1);
    }
    List<ToolCall> calls = new ArrayList<>();
    if (body.startsWith("{") || body.startsWith("[")) {
      JsonCalls.read(body, names, calls);
    }
    return calls.isEmpty() ? ParsedAnswer.content(text) : new ParsedAnswer(calls, "");
  }
}
