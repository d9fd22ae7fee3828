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
    String s = text.toString().stripLeading();
    return ToolCallSyntax.ALL.stream().flatMap(f -> f.starts().stream())
        .anyMatch(start -> s.startsWith(start) || start.startsWith(s));
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
