package dev.tokenbus.gateway.toolcall;

import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads the tool calls out of a model's answer, in the formats of current model families:
 * <ul>
 *   <li>Hermes / Qwen: {@code <tool_call>{"name": ..., "arguments": {...}}</tool_call>}, one block per call;
 *   <li>Mistral: {@code [TOOL_CALLS][{"name": ..., "arguments": {...}}, ...]} (and the newer
 *       {@code [TOOL_CALLS]name[ARGS]{...}});
 *   <li>Llama 3.x: {@code {"name": ..., "parameters": {...}}}, optionally after {@code <|python_tag|>},
 *       several separated by {@code ;} or new lines;
 *   <li>a generic JSON fallback: the whole answer (optionally in a code fence) is a call object, an
 *       array of them, or {@code {"tool_calls": [...]}}.
 * </ul>
 * Only calls of declared tools count; an answer with none is plain content.
 */
public final class ToolCallParser {

  private static final Pattern HERMES = Pattern.compile("<tool_call>\\s*(.*?)\\s*(?:</tool_call>|$)", Pattern.DOTALL);
  private static final Pattern MISTRAL_NEW = Pattern.compile("\\[TOOL_CALLS\\]\\s*([a-zA-Z0-9_.-]+)\\s*\\[ARGS\\]\\s*",
      Pattern.DOTALL);
  private static final Pattern FENCE = Pattern.compile("^```(?:json)?\\s*(.*?)\\s*```$", Pattern.DOTALL);
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final String ALPHABET = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

  /**
   * The result of parsing: the calls (empty when the answer is plain content) and the text that is
   * not part of a call (what the answer says besides, or all of it).
   */
  public record Parsed(List<ToolCall> calls, String content) {}

  private final Set<String> names;

  public ToolCallParser(ToolSpec spec) {
    this.names = spec.tools().stream().map(ToolSpec.Tool::name).collect(java.util.stream.Collectors.toSet());
  }

  public Parsed parse(String text) {
    String trimmed = text.strip();
    if (trimmed.contains("<tool_call>")) {
      List<ToolCall> calls = new ArrayList<>();
      Matcher m = HERMES.matcher(trimmed);
      StringBuilder rest = new StringBuilder();
      int last = 0;
      while (m.find()) {
        rest.append(trimmed, last, m.start());
        last = m.end();
        addCalls(m.group(1), calls);
      }
      rest.append(trimmed.substring(last));
      return result(calls, rest.toString().strip(), text);
    }
    if (trimmed.startsWith("[TOOL_CALLS]")) {
      Matcher m = MISTRAL_NEW.matcher(trimmed);
      List<ToolCall> calls = new ArrayList<>();
      if (m.lookingAt()) {
        int at = 0;
        while (m.find(at)) {
          String name = m.group(1);
          Object args = firstJson(trimmed.substring(m.end()));
          if (args instanceof JsonObject o && names.contains(name)) {
            calls.add(call(name, o));
          }
          at = m.end();
        }
        return result(calls, "", text);
      }
      addCalls(trimmed.substring("[TOOL_CALLS]".length()), calls);
      return result(calls, "", text);
    }
    String body = trimmed.startsWith("<|python_tag|>") ? trimmed.substring("<|python_tag|>".length()).strip() : trimmed;
    Matcher fence = FENCE.matcher(body);
    if (fence.matches()) {
      body = fence.group(1);
    }
    List<ToolCall> calls = new ArrayList<>();
    if (body.startsWith("{") || body.startsWith("[")) {
      addCalls(body, calls);
      if (calls.isEmpty()) {
        // Llama 3.x may put several calls one after another, separated by ';' or new lines.
        for (String part : body.split(";|\\n(?=\\s*\\{)")) {
          addCalls(part.strip(), calls);
        }
      }
    }
    return result(calls, "", text);
  }

  private static Parsed result(List<ToolCall> calls, String rest, String text) {
    return calls.isEmpty() ? new Parsed(List.of(), text) : new Parsed(List.copyOf(calls), rest);
  }

  /** Adds the calls in one JSON text: a call, an array of calls, or {"tool_calls": [...]}. */
  private void addCalls(String json, List<ToolCall> out) {
    Object v;
    try {
      v = Json.decodeValue(json);
    } catch (DecodeException e) {
      return;
    }
    addCallsFrom(v, out);
  }

  private void addCallsFrom(Object v, List<ToolCall> out) {
    if (v instanceof JsonArray a) {
      for (Object o : a) {
        addCallsFrom(o, out);
      }
    } else if (v instanceof JsonObject o) {
      if (o.getValue("tool_calls") instanceof JsonArray calls) {
        addCallsFrom(calls, out);
        return;
      }
      JsonObject f = o.getValue("function") instanceof JsonObject inner ? inner : o;
      Object name = f.getValue("name");
      Object args = f.containsKey("arguments") ? f.getValue("arguments") : f.getValue("parameters");
      if (args instanceof String s) {
        try {
          args = Json.decodeValue(s);
        } catch (DecodeException e) {
          return;
        }
      }
      if (name instanceof String n && names.contains(n) && (args == null || args instanceof JsonObject)) {
        out.add(call(n, args == null ? new JsonObject() : (JsonObject) args));
      }
    }
  }

  /** The first complete JSON value at the start of {@code text}, or null. */
  private static Object firstJson(String text) {
    int depth = 0;
    boolean inString = false;
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (inString) {
        if (c == '\\') {
          i++;
        } else if (c == '"') {
          inString = false;
        }
      } else if (c == '"') {
        inString = true;
      } else if (c == '{' || c == '[') {
        depth++;
      } else if (c == '}' || c == ']') {
        if (--depth == 0) {
          try {
            return Json.decodeValue(text.substring(0, i + 1));
          } catch (DecodeException e) {
            return null;
          }
        }
      }
    }
    return null;
  }

  private static ToolCall call(String name, JsonObject args) {
    return new ToolCall(newId(), name, args.encode());
  }

  /**
   * A call id: 9 random letters and digits. Clients treat ids as opaque strings; Mistral's chat
   * template refuses any other shape when the call comes back in the conversation, so every model
   * gets this one and a conversation can move between models.
   */
  public static String newId() {
    StringBuilder b = new StringBuilder(9);
    for (int i = 0; i < 9; i++) {
      b.append(ALPHABET.charAt(RANDOM.nextInt(ALPHABET.length())));
    }
    return b.toString();
  }
}
