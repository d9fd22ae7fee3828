package dev.tokenbus.toolcall;

import java.util.List;
import java.util.Set;

/**
 * How one model family writes tool calls, with everything that follows from it side by side:
 * <ul>
 *   <li>the compact text of its calls ({@link #prefix}, {@link #open}, the arguments, {@link #close},
 *       {@link #separator} between calls, {@link #suffix}), which {@link #write}s calls, from which
 *       the gateway builds a required call's grammar and {@link ToolCallStream} its patterns;
 *   <li>its streaming parser ({@link #stream}) and its whole-answer parser ({@link #parse}).
 * </ul>
 * The cluster writes {@link #WRITTEN} (the grammar of a required call, and the prompt text of
 * {@link HermesSyntax#inline} for a chat template that cannot take tools), and reads every family
 * in {@link #ALL}, as the model may have been trained on any of them.
 */
public sealed interface ToolCallSyntax permits HermesSyntax, MistralSyntax, Llama3Syntax, JsonSyntax {

  /** Hermes / Qwen: {@code <tool_call>\n{"name":...,"arguments":{...}}\n</tool_call>}, one block per call. */
  HermesSyntax HERMES = new HermesSyntax();
  /** Mistral: {@code [TOOL_CALLS][{"name":...,"arguments":{...}},...]}. */
  ToolCallSyntax MISTRAL = new MistralSyntax();
  /** Llama 3.x: {@code {"name":...,"parameters":{...}}}, calls separated by {@code ;}. */
  ToolCallSyntax LLAMA3 = new Llama3Syntax();
  /** Generic JSON: {@code {"tool_calls":[{"name":...,"arguments":{...}},...]}}. */
  ToolCallSyntax JSON = new JsonSyntax();
  /** Every family, in the order an answer is tried against them. */
  List<ToolCallSyntax> ALL = List.of(HERMES, MISTRAL, LLAMA3, JSON);
  /**
   * The family the cluster writes, in prompt text (which the worker writes when its model's template
   * cannot take tools) and in the grammar of a required call, so that both agree: Hermes, which
   * Qwen, Hermes and many fine-tunes are trained on.
   */
  HermesSyntax WRITTEN = HERMES;

  /** The family's name, for logs and tests. */
  String name();

  /** The text before the first call. */
  String prefix();

  /** Text the family may write before its {@link #prefix}, which is read but not written (none by default). */
  default String optionalPrefix() {
    return "";
  }

  /** A call of {@code name} up to its arguments. */
  String open(String name);

  /** The text after a call's arguments. */
  String close();

  /** The text between two calls. */
  String separator();

  /** The text after the last call. */
  String suffix();

  /**
   * How an answer in this family (or a looser form of it that {@link #parse} reads) may begin: an
   * answer that starts like one of these may still be a call.
   */
  List<String> starts();

  /**
   * Reads calls out of a whole answer in a looser form than {@link #stream} follows (whitespace,
   * other key orders, older forms of the family); the arguments are re-encoded compactly.
   */
  ParsedAnswer parseLoosely(String text, Set<String> names);

  /** Calls as this family writes them, with their arguments (JSON text) as they are. */
  default String write(List<ToolCall> calls) {
    StringBuilder s = new StringBuilder(prefix());
    for (int i = 0; i < calls.size(); i++) {
      ToolCall c = calls.get(i);
      s.append(i > 0 ? separator() : "").append(open(c.name())).append(c.arguments()).append(close());
    }
    return s.append(suffix()).toString();
  }

  /** A parser that reads calls in this family while they are generated. */
  default ToolCallStream stream(Set<String> names) {
    return new ToolCallStream(this, names);
  }

  /**
   * The calls in a whole answer: as {@link #stream} reads them when it can (so that their
   * arguments are the same bytes a stream sends), else as {@link #parseLoosely} does. Only calls
   * of {@code names} count; an answer with none is plain content.
   */
  default ParsedAnswer parse(String text, Set<String> names) {
    ToolCallStream s = stream(names);
    s.feed(text);
    s.finish();
    if (!s.gaveUp() && !s.completed().isEmpty()) {
      return new ParsedAnswer(s.completed(), s.rest().strip());
    }
    return parseLoosely(text, names);
  }
}
