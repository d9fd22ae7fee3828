package dev.tokenbus.toolcall;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Llama 3.x: {@code {"name":"f","parameters":{...}}}, optionally after {@code <|python_tag|>},
 * several separated by {@code ;} (read loosely also by new lines).
 */
final class Llama3Syntax implements ToolCallSyntax {

  private static final String TAG = "<|python_tag|>";

  @Override
  public String name() {
    return "llama3";
  }

  @Override
  public String prefix() {
    return "";
  }

  @Override
  public String optionalPrefix() {
    return TAG;
  }

  @Override
  public String open(String name) {
    return "{\"name\":\"" + name + "\",\"parameters\":";
  }

  @Override
  public String close() {
    return "}";
  }

  @Override
  public String separator() {
    return ";";
  }

  @Override
  public String suffix() {
    return "";
  }

  @Override
  public List<String> starts() {
    return List.of(TAG, "{");
  }

  @Override
  public ParsedAnswer parseLoosely(String text, Set<String> names) {
    String trimmed = text.strip();
    String body = trimmed.startsWith(TAG) ? trimmed.substring(TAG.length()).strip() : trimmed;
    List<ToolCall> calls = new ArrayList<>();
    if (body.startsWith("{") || body.startsWith("[")) {
      JsonCalls.read(body, names, calls);
      if (calls.isEmpty()) {
        for (String part : body.split(";|\\n(?=\\s*\\{)")) {
          JsonCalls.read(part.strip(), names, calls);
        }
      }
    }
    return calls.isEmpty() ? ParsedAnswer.content(text) : new ParsedAnswer(calls, "");
  }
}
