package dev.tokenbus.gateway.toolcall;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads Hermes-format tool calls ({@code <tool_call>{"name": "f", "arguments": {...}}</tool_call>},
 * the format the required-call grammar produces and Qwen writes) while they are generated, so that
 * a stream can send each call's id and name as soon as the name is complete and its arguments
 * fragment by fragment, as OpenAI's {@code delta.tool_calls} do.
 *
 * <p>Feed it the answer's text with {@link #feed}; each call returns the {@code tool_calls} deltas
 * that text completes (possibly none). When the answer turns out not to be in this shape (another
 * format, another key order, an undeclared tool), {@link #gaveUp()} becomes true before anything
 * was sent, and the caller falls back to parsing the whole answer at the end. Not thread-safe.
 */
public final class ToolCallStream {

  private static final Pattern OPENING = Pattern.compile(
      "\\s*<tool_call>\\s*\\{\\s*\"name\"\\s*:\\s*\"([a-zA-Z0-9_.-]{1,64})\"\\s*,\\s*\"arguments\"\\s*:\\s*");
  private static final Pattern CLOSING = Pattern.compile("\\s*}\\s*</tool_call>");

  private enum State { OPENING, ARGUMENTS, CLOSING }

  private final Set<String> names;
  private final StringBuilder pending = new StringBuilder();
  private State state = State.OPENING;
  private boolean gaveUp;
  private int calls;
  // The arguments' JSON value: nesting depth, inside a string, after a backslash.
  private int depth;
  private boolean inString;
  private boolean escaped;
  private boolean started;

  public ToolCallStream(ToolSpec spec) {
    this.names = spec.callable().stream().map(ToolSpec.Tool::name).collect(java.util.stream.Collectors.toSet());
  }

  /** Whether the answer is not a stream of Hermes calls of declared tools (nothing was sent then). */
  public boolean gaveUp() {
    return gaveUp;
  }

  /** How many calls have been opened. */
  public int calls() {
    return calls;
  }

  /** The {@code tool_calls} deltas that {@code text} completes; empty when it completes none. */
  public JsonArray feed(String text) {
    JsonArray out = new JsonArray();
    if (gaveUp) {
      return out;
    }
    pending.append(text);
    boolean progress = true;
    while (progress && !gaveUp) {
      progress = switch (state) {
        case OPENING -> opening(out);
        case ARGUMENTS -> arguments(out);
        case CLOSING -> closing();
      };
    }
    return out;
  }

  private boolean opening(JsonArray out) {
    if (pending.toString().isBlank()) {
      return false;
    }
    Matcher m = OPENING.matcher(pending);
    if (m.lookingAt()) {
      String name = m.group(1);
      if (!names.contains(name)) {
        giveUp();
        return false;
      }
      pending.delete(0, m.end());
      out.add(new JsonObject().put("index", calls++).put("id", ToolCallParser.newId()).put("type", "function")
          .put("function", new JsonObject().put("name", name).put("arguments", "")));
      state = State.ARGUMENTS;
      depth = 0;
      inString = false;
      escaped = false;
      started = false;
      return true;
    }
    if (!m.hitEnd()) { // more text cannot make it match
      if (calls == 0) {
        giveUp();
      }
      // After complete calls, whatever follows is not streamed (the model's closing words, if any).
      return false;
    }
    return false;
  }

  private boolean arguments(JsonArray out) {
    if (!started) { // whitespace before the value is not part of the arguments
      int skip = 0;
      while (skip < pending.length() && Character.isWhitespace(pending.charAt(skip))) {
        skip++;
      }
      pending.delete(0, skip);
      if (pending.isEmpty()) {
        return false;
      }
      started = true;
    }
    int i = 0;
    boolean done = false;
    for (; i < pending.length() && !done; i++) {
      char c = pending.charAt(i);
      if (inString) {
        if (escaped) {
          escaped = false;
        } else if (c == '\\') {
          escaped = true;
        } else if (c == '"') {
          inString = false;
          done = depth == 0;
        }
      } else if (c == '"') {
        inString = true;
      } else if (c == '{' || c == '[') {
        depth++;
      } else if (c == '}' || c == ']') {
        depth--;
        done = depth == 0;
      } else if (depth == 0 && !Character.isWhitespace(c) && (i + 1 == pending.length()
          || ",}\n ".indexOf(pending.charAt(i + 1)) >= 0)) {
        done = true; // the end of a bare scalar (true, 42, null)
      }
    }
    if (i == 0) {
      return false;
    }
    String fragment = pending.substring(0, i);
    pending.delete(0, i);
    appendArguments(out, fragment);
    if (done) {
      state = State.CLOSING;
      return true;
    }
    return false;
  }

  private boolean closing() {
    Matcher m = CLOSING.matcher(pending);
    if (m.lookingAt()) {
      pending.delete(0, m.end());
      state = State.OPENING;
      return true;
    }
    return false;
  }

  /** Adds a fragment to the last call's entry in {@code out}, or a fragment-only entry for it. */
  private void appendArguments(JsonArray out, String fragment) {
    JsonObject last = out.isEmpty() ? null : out.getJsonObject(out.size() - 1);
    if (last != null && last.getInteger("index") == calls - 1) {
      JsonObject f = last.getJsonObject("function");
      f.put("arguments", f.getString("arguments") + fragment);
    } else {
      out.add(new JsonObject().put("index", calls - 1).put("function", new JsonObject().put("arguments", fragment)));
    }
  }

  private void giveUp() {
    gaveUp = true;
  }
}
