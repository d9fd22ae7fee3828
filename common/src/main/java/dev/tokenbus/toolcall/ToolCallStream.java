package dev.tokenbus.toolcall;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.MatchResult;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads one family's tool calls ({@link ToolCallSyntax}) while they are generated, so that a stream
 * can send each call's id and name as soon as the name is complete and its arguments fragment by
 * fragment, as OpenAI's {@code delta.tool_calls} do. The family's text is followed loosely as to
 * whitespace; the arguments are passed on compact (the model's text without the whitespace between
 * JSON tokens).
 *
 * <p>Feed it the answer's text with {@link #feed}; each call returns the {@code tool_calls} deltas
 * that text completes (possibly none). When the answer turns out not to be in this family's shape
 * (another format, another key order, an undeclared tool), {@link #gaveUp()} becomes true before
 * anything was sent. After complete calls, text that is no further call ends the reading
 * ({@link #rest()}). Not thread-safe.
 */
public final class ToolCallStream {

  private static final String NAME = "(" + ToolCall.NAME.pattern() + ")";
  private static final String NAME_MARK = "\u0000";

  // Each family's patterns, compiled by the first stream of it (the families are the few ToolCallSyntax constants).
  private static final Map<ToolCallSyntax, Patterns> PATTERNS = new ConcurrentHashMap<>();

  private enum State { PREFIX, OPENING, ARGUMENTS, CLOSING, BETWEEN, DONE }

  /** One family's call text as patterns, compiled once per family; {@code suffix} null: none. */
  private record Patterns(Pattern prefix, Pattern opening, Pattern closing, Pattern separator, Pattern suffix) {

    static Patterns of(ToolCallSyntax syntax) {
      String lead = syntax.optionalPrefix();
      String[] open = syntax.open(NAME_MARK).split(NAME_MARK, -1);
      return new Patterns(
          loose(syntax.prefix(), lead.isEmpty() ? "" : "(?:" + looseText(lead) + ")?"),
          Pattern.compile("\\s*" + looseText(open[0]) + NAME + looseText(open[1])),
          loose(syntax.close(), ""),
          loose(syntax.separator(), ""),
          syntax.suffix().isEmpty() ? null : loose(syntax.suffix(), ""));
    }
  }

  private final Set<String> names;
  private final Patterns patterns;
  private final StringBuilder pending = new StringBuilder();
  private final List<ToolCall> completed = new ArrayList<>();
  private State state = State.PREFIX;
  private boolean gaveUp;
  // Whether the answer has ended (finish): the end of the text is no longer a place to wait for more.
  private boolean last;
  private MatchResult lastMatch;
  // Whether the last match ran into the end of the text (the text may be a cut-off beginning).
  private boolean cutShort;
  private int calls;
  private String id;
  private String name;
  private final StringBuilder arguments = new StringBuilder();
  // The arguments' JSON value: nesting depth, inside a string, after a backslash.
  private int depth;
  private boolean inString;
  private boolean escaped;

  ToolCallStream(ToolCallSyntax syntax, Set<String> names) {
    this.names = Set.copyOf(names);
    this.patterns = PATTERNS.computeIfAbsent(syntax, Patterns::of);
  }

  /** Whether the answer is not a stream of this family's calls of declared tools (nothing was sent then). */
  public boolean gaveUp() {
    return gaveUp;
  }

  /** How many calls have been opened. */
  public int calls() {
    return calls;
  }

  /** The calls read to their end, with their arguments compact. */
  public List<ToolCall> completed() {
    return List.copyOf(completed);
  }

  /** What followed the calls and is not part of them (the model's closing words, if any). */
  public String rest() {
    return state == State.DONE ? pending.toString() : "";
  }

  /** The {@code tool_calls} deltas that {@code text} completes; empty when it completes none. */
  public JsonArray feed(String text) {
    pending.append(text);
    return read();
  }

  /**
   * Reads what is left as the end of the answer (a call's closing text may end it without the
   * whitespace that could follow); returns the deltas that completes.
   */
  public JsonArray finish() {
    last = true;
    return read();
  }

  private JsonArray read() {
    JsonArray out = new JsonArray();
    boolean progress = true;
    while (progress && !gaveUp && state != State.DONE) {
      progress = switch (state) {
        case PREFIX -> prefix();
        case OPENING -> opening(out);
        case ARGUMENTS -> arguments(out);
        case CLOSING -> closing();
        case BETWEEN -> between();
        case DONE -> false;
      };
    }
    return out;
  }

  private enum Match { MATCHED, WAIT, FAILED }

  /** Whether {@code p} matches at the start of the pending text (then consumed), may with more text, or cannot. */
  private Match match(Pattern p) {
    Matcher m = p.matcher(pending);
    boolean found = m.lookingAt();
    cutShort = m.hitEnd();
    if (cutShort && !last) {
      return Match.WAIT;
    }
    if (found) {
      lastMatch = m.toMatchResult();
      pending.delete(0, m.end());
      return Match.MATCHED;
    }
    return Match.FAILED;
  }

  private boolean prefix() {
    return switch (match(patterns.prefix())) {
      case MATCHED -> {
        state = State.OPENING;
        yield true;
      }
      case WAIT -> false;
      case FAILED -> {
        gaveUp = true;
        yield false;
      }
    };
  }

  private boolean opening(JsonArray out) {
    Match r = match(patterns.opening());
    if (r == Match.WAIT) {
      return false;
    }
    String n = r == Match.MATCHED ? lastMatch.group(1) : null;
    if (n == null || !names.contains(n)) {
      if (n == null && cutShort && calls > 0) {
        pending.setLength(0); // the answer ended inside a further call's opening: not text besides the calls
      }
      noCall();
      return false;
    }
    id = ToolCall.newId();
    name = n;
    out.add(new JsonObject().put("index", calls++).put("id", id).put("type", "function")
        .put("function", new JsonObject().put("name", n).put("arguments", "")));
    state = State.ARGUMENTS;
    arguments.setLength(0);
    depth = 0;
    inString = false;
    escaped = false;
    return true;
  }

  /** No (further) call: the answer was not one, or what follows the calls is not streamed. */
  private void noCall() {
    if (calls == 0) {
      gaveUp = true;
    } else {
      state = State.DONE;
    }
  }

  private boolean arguments(JsonArray out) {
    StringBuilder fragment = new StringBuilder();
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
      } else if (Character.isWhitespace(c)) {
        continue; // whitespace between tokens: the arguments are passed on compact
      } else if (c == '"') {
        inString = true;
      } else if (c == '{' || c == '[') {
        depth++;
      } else if (c == '}' || c == ']') {
        depth--;
        done = depth == 0;
      } else if (depth == 0 && (i + 1 < pending.length()
          ? ",;}]\n ".indexOf(pending.charAt(i + 1)) >= 0 : last)) {
        done = true; // the end of a bare scalar (true, 42, null)
      }
      fragment.append(c);
    }
    pending.delete(0, i);
    if (fragment.isEmpty()) {
      return false;
    }
    arguments.append(fragment);
    appendArguments(out, fragment.toString());
    if (done) {
      state = State.CLOSING;
      return true;
    }
    return false;
  }

  private boolean closing() {
    return switch (match(patterns.closing())) {
      case MATCHED -> {
        completed.add(new ToolCall(id, name, arguments.toString()));
        state = State.BETWEEN;
        yield true;
      }
      case WAIT -> false;
      case FAILED -> { // a call that does not close is not complete
        state = State.DONE;
        yield false;
      }
    };
  }

  private boolean between() {
    Match end = patterns.suffix() == null ? Match.FAILED : match(patterns.suffix());
    if (end != Match.FAILED) {
      state = end == Match.MATCHED ? State.DONE : state;
      return false;
    }
    return switch (match(patterns.separator())) {
      case MATCHED -> {
        state = State.OPENING;
        yield true;
      }
      case WAIT -> false;
      case FAILED -> {
        state = State.DONE;
        yield false;
      }
    };
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

  /** {@code literal} as a pattern that allows whitespace before it, around its JSON punctuation and in place of its own. */
  private static Pattern loose(String literal, String optionalLead) {
    return Pattern.compile("\\s*" + optionalLead + looseText(literal));
  }

  private static String looseText(String literal) {
    StringBuilder p = new StringBuilder();
    for (int i = 0; i < literal.length(); i++) {
      char c = literal.charAt(i);
      if (Character.isWhitespace(c)) {
        p.append("\\s*");
      } else if ("{}[]:,;".indexOf(c) >= 0) {
        p.append("\\s*").append(Pattern.quote(String.valueOf(c))).append("\\s*");
      } else {
        p.append(Pattern.quote(String.valueOf(c)));
      }
    }
    return p.toString();
  }
}
