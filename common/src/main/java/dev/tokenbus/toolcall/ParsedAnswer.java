package dev.tokenbus.toolcall;

import java.util.List;

/**
 * A whole answer read for tool calls: the calls (empty when the answer is plain content) and the
 * text that is not part of a call (what the answer says besides, or all of it).
 */
public record ParsedAnswer(List<ToolCall> calls, String content) {

  public ParsedAnswer {
    calls = List.copyOf(calls);
  }

  /** An answer without calls. */
  static ParsedAnswer content(String text) {
    return new ParsedAnswer(List.of(), text);
  }
}
