package dev.tokenbus.toolcall;

import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Mistral: {@code [TOOL_CALLS][{"name":"f","arguments":{...}},...]}. Read loosely, also the newer
 * {@code [TOOL_CALLS]f[ARGS]{...}} form, one per call.
 */
final class MistralSyntax implements ToolCallSyntax {

  private static final String MARK = "[TOOL_CALLS]";
  private static final Pattern NEW_FORM = Pattern.compile("\\[TOOL_CALLS\\]\\s*("
      + ToolCall.NAME.pattern() + ")\\s*\\[ARGS\\]\\s*",
      Pattern.DOTALL);

  @Override
  public String name() {
    return "mistral";
  }

  @Override
  public String prefix() {
    return MARK + "[";
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
    return "]";
  }

  @Override
  public List<String> starts() {
    return List.of(MARK);
  }

  @Override
  public ParsedAnswer parseLoosely(String text, Set<String> names) {
    String trimmed = text.strip();
    if (!trimmed.startsWith(MARK)) {
      return ParsedAnswer.content(text);
    }
    List<ToolCall> calls = new ArrayList<>();
    Matcher m = NEW_FORM.matcher(trimmed);
    if (m.lookingAt()) {
      int at = 0;
      while (m.find(at)) {
        Object args = JsonCalls.first(trimmed.substring(m.end()));
        if (args instanceof JsonObject) {
          JsonCalls.add(m.group(1), args, names, calls);
        }
        at = m.end();
      }
    } else {
      JsonCalls.read(trimmed.substring(MARK.length()), names, calls);
    }
    return calls.isEmpty() ? ParsedAnswer.content(text) : new ParsedAnswer(calls, "");
  }
}
