package dev.tokenbus.toolcall;

import dev.tokenbus.protocol.ChatMessage;
import dev.tokenbus.protocol.Tool;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * How one model family writes tool calls, with everything that follows from it side by side:
 * <ul>
 *   <li>the compact text of its calls ({@link #prefix}, {@link #open}, the arguments, {@link #close},
 *       {@link #separator} between calls, {@link #suffix}), which {@link #write}s calls, from which
 *       the gateway builds a required call's grammar and {@link ToolCallStream} its patterns;
 *   <li>its prompt text ({@link #inline}): the tools, earlier calls and tool results written into
 *       the conversation, for a chat template that cannot take them;
 *   <li>its streaming parser ({@link #stream}) and its whole-answer parser ({@link #parse}).
 * </ul>
 * The cluster writes {@link #WRITTEN} (prompt text and the grammar of a required call), and reads
 * every family in {@link #ALL}, as the model may have been trained on any of them.
 */
public sealed interface ToolCallSyntax permits HermesSyntax, MistralSyntax, Llama3Syntax, JsonSyntax {

  /** Hermes / Qwen: {@code <tool_call>\n{"name":...,"arguments":{...}}\n</tool_call>}, one block per call. */
  ToolCallSyntax HERMES = new HermesSyntax();
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
  ToolCallSyntax WRITTEN = HERMES;

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

  /** The instruction that tells the model how to call, after the tools' signatures. */
  default String instruction() {
    return "To call functions, answer with nothing else than the calls, in this form:\n"
        + prefix() + open("<function-name>") + "<args-json-object>" + close() + suffix();
  }

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

  /**
   * A conversation with tool turns written as text in this family, and the tools (when given)
   * described in its system message (or a new one), for a chat template that cannot take them.
   */
  default List<ChatMessage> inline(List<ChatMessage> messages, List<Tool> tools) {
    List<ChatMessage> out = new ArrayList<>(messages.size() + 1);
    for (ChatMessage m : messages) {
      if (m.role().equals("tool")) {
        out.add(new ChatMessage("user", toolResponse(m.content())));
      } else if (m.toolCalls() != null) {
        out.add(new ChatMessage("assistant", assistantCalls(m.content(), new JsonArray(m.toolCalls()))));
      } else {
        out.add(m);
      }
    }
    if (tools == null || tools.isEmpty()) {
      return out;
    }
    String described = describe(tools);
    if (!out.isEmpty() && out.get(0).role().equals("system")) {
      out.set(0, new ChatMessage("system", out.get(0).content() + "\n\n" + described));
    } else {
      out.add(0, new ChatMessage("system", described));
    }
    return out;
  }

  /** The tools' signatures and how to call them, as a system message says it. */
  default String describe(List<Tool> tools) {
    StringBuilder s = new StringBuilder();
    s.append("You may call one or more functions to assist with the user query.\n\n")
        .append("You are provided with function signatures within <tools></tools> XML tags:\n<tools>\n");
    for (Tool t : tools) {
      s.append(t.toJson().encode()).append('\n');
    }
    return s.append("</tools>\n\n").append(instruction()).toString();
  }

  /** An assistant turn that called tools ({@code toolCalls} in OpenAI's form): its text, then the calls. */
  default String assistantCalls(String content, JsonArray toolCalls) {
    List<ToolCall> calls = new ArrayList<>(toolCalls.size());
    for (int i = 0; i < toolCalls.size(); i++) {
      JsonObject call = toolCalls.getJsonObject(i);
      JsonObject f = call.getJsonObject("function");
      calls.add(new ToolCall(call.getString("id"), f.getString("name"),
          Json.encode(ToolCall.argumentsValue(f.getValue("arguments")))));
    }
    String text = content == null ? "" : content;
    return text + (text.isEmpty() ? "" : "\n") + write(calls);
  }

  /** A tool's result, as the user turn that carries it. */
  default String toolResponse(String content) {
    return "<tool_response>\n" + content + "\n</tool_response>";
  }
}
