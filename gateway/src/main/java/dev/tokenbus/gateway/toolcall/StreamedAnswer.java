package dev.tokenbus.gateway.toolcall;

import dev.tokenbus.toolcall.ParsedAnswer;
import dev.tokenbus.toolcall.ToolCallReader;
import io.vertx.core.json.JsonArray;

/**
 * One answer of a request with tools, read as it is generated, for every API that streams tool
 * calls (OpenAI's {@code delta.tool_calls}, Anthropic's {@code tool_use} blocks): each piece of
 * text is either content, streamed calls, or held back. Calls in a family's own syntax stream as
 * they are generated ({@link ToolCallReader}): a call's id and name as soon as its name is
 * complete, then its arguments fragment by fragment. Otherwise, while the answer may still be a
 * call, its text is held back; once it cannot be (and no call is required), the held text is
 * released as content and the rest is content as it comes; a call in a looser form is parsed at
 * the end ({@link #parseHeld}). The encoders only shape what this decides. One instance per
 * answer; not thread-safe.
 */
public final class StreamedAnswer {

  /** What one piece of the answer's text became. */
  public sealed interface Step {}

  /** Content to show now: the held text and this piece's once released, then each piece as it is. */
  public record Content(String text) implements Step {}

  /**
   * Streamed calls: {@link ToolCallReader}'s deltas, each {@code {index, id?, function:{name?, arguments}}}
   * (a call's first delta has its id and name); empty when this piece completed none.
   */
  public record Calls(JsonArray deltas) implements Step {}

  /** Held back: the answer may still be a call; at its end, {@link #parseHeld} reads it whole. */
  public record Held() implements Step {}

  private final ToolSpec spec;
  private final ToolCallReader reader;
  private boolean content;

  public StreamedAnswer(ToolSpec spec) {
    this.spec = spec;
    this.reader = new ToolCallReader(spec.names());
  }

  /** Reads the next piece of the answer. */
  public Step feed(String text) {
    if (content) {
      return new Content(text);
    }
    JsonArray streamed = reader.feed(text);
    if (reader.calls() > 0) {
      return new Calls(streamed);
    }
    if (!spec.callRequired() && !reader.mayBeCall()) {
      content = true;
      return new Content(reader.text());
    }
    return new Held();
  }

  /** How many calls have been streamed. */
  public int streamedCalls() {
    return reader.calls();
  }

  /** Whether the answer turned out to be content (nothing is held any more). */
  public boolean isContent() {
    return content;
  }

  /** Whether text is held back that the end of the answer must account for ({@link #parseHeld}). */
  public boolean holding() {
    return !content && reader.calls() == 0 && !reader.text().isEmpty();
  }

  /** The held answer read whole: its calls (in any family, loosely) and the content besides. */
  public ParsedAnswer parseHeld() {
    return reader.parse();
  }

  /** A whole (non-streamed) answer's calls and content. */
  public static ParsedAnswer parse(String answer, ToolSpec spec) {
    return ToolCallReader.parse(answer, spec.names());
  }
}
