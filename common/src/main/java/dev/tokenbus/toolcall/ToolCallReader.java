package dev.tokenbus.toolcall;

import io.vertx.core.json.JsonArray;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Reads one answer for tool calls in any family ({@link ToolCallSyntax#ALL}) while it is generated:
 * each family's {@link ToolCallStream} reads along until it gives up; the first to open a call is
 * the answer's family and streams its calls. While no family has opened a call, {@link #mayBeCall}
 * says whether the answer may still become one (a family reads on, or the text starts like one
 * that {@link ToolCallSyntax#parse} reads loosely); {@link #parse} reads the whole answer at the
 * end. Not thread-safe.
 */
public final class ToolCallReader {

  private final Set<String> names;
  private final List<ToolCallStream> streams = new ArrayList<>();
  private final StringBuilder text = new StringBuilder();
  private ToolCallStream chosen;
  // Where the text begins after its leading whitespace, as far as read.
  private int lead;
  // Whether the text's beginning has decided if it starts like a call (startsLikeCall then says).
  private boolean decided;
  private boolean startsLikeCall;

  /** A reader of calls of {@code names}, the declared tools. */
  public ToolCallReader(Set<String> names) {
    this.names = Set.copyOf(names);
    for (ToolCallSyntax s : ToolCallSyntax.ALL) {
      streams.add(s.stream(names));
    }
  }

  /** The {@code tool_calls} deltas that {@code more} completes; empty when it completes none. */
  public JsonArray feed(String more) {
    text.append(more);
    if (chosen != null) {
      return chosen.feed(more);
    }
    for (ToolCallStream s : streams) {
      JsonArray out = s.feed(more);
      if (s.calls() > 0) {
        chosen = s;
        streams.clear();
        return out;
      }
    }
    streams.removeIf(ToolCallStream::gaveUp);
    return new JsonArray();
  }

  /** How many calls have been streamed. */
  public int calls() {
    return chosen == null ? 0 : chosen.calls();
  }

  /** Whether the answer, with no call streamed, may still be a call. */
  public boolean mayBeCall() {
    if (chosen != null || !streams.isEmpty()) {
      return true;
    }
    if (!decided) {
      decide();
    }
    return !decided || startsLikeCall;
  }

  /**
   * Reads the text's beginning (after leading whitespace) against the families' {@code starts}: it
   * decides once it begins with a start (a call, whatever follows) or with no start's beginning
   * (never one); while it is a start's beginning, more text decides. Each call reads at most the
   * starts' length, not the whole text.
   */
  private void decide() {
    while (lead < text.length() && Character.isWhitespace(text.charAt(lead))) {
      lead++;
    }
    int n = text.length() - lead;
    boolean open = false;
    for (ToolCallSyntax f : ToolCallSyntax.ALL) {
      for (String start : f.starts()) {
        if (!beginsLike(start, Math.min(n, start.length()))) {
          continue;
        }
        if (n >= start.length()) {
          decided = true;
          startsLikeCall = true;
          return;
        }
        open = true;
      }
    }
    decided = !open;
  }

  /** Whether the text after its leading whitespace begins with the first {@code length} chars of {@code start}. */
  private boolean beginsLike(String start, int length) {
    for (int i = 0; i < length; i++) {
      if (text.charAt(lead + i) != start.charAt(i)) {
        return false;
      }
    }
    return true;
  }

  /** The text read so far. */
  public String text() {
    return text.toString();
  }

  /** The calls in the whole answer read so far (see {@link #parse(String, Set)}). */
  public ParsedAnswer parse() {
    return parse(text.toString(), names);
  }

  /** The calls in a whole answer, in the first family that finds any; none: the answer is content. */
  public static ParsedAnswer parse(String answer, Set<String> names) {
    for (ToolCallSyntax s : ToolCallSyntax.ALL) {
      ParsedAnswer p = s.parse(answer, names);
      if (!p.calls().isEmpty()) {
        return p;
      }
    }
    return ParsedAnswer.content(answer);
  }
}
