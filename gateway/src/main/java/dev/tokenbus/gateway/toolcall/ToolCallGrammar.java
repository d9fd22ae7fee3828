package dev.tokenbus.gateway.toolcall;

import dev.tokenbus.gateway.grammar.JsonSchemaGrammar;
import dev.tokenbus.gateway.grammar.UnsupportedSchemaException;
import java.util.ArrayList;
import java.util.List;

/**
 * The grammar of an answer that must call a tool: one {@code <tool_call>} block (or, with parallel
 * calls, up to {@link #MAX_PARALLEL_CALLS}), each {@code {"name": "<one of the tools>", "arguments":
 * <JSON that validates against that tool's parameters>}}.
 */
public final class ToolCallGrammar {

  /** The most calls one constrained answer may hold, so that a model cannot call forever. */
  public static final int MAX_PARALLEL_CALLS = 8;

  private ToolCallGrammar() {}

  public static String of(ToolSpec spec) {
    JsonSchemaGrammar g = JsonSchemaGrammar.builder();
    List<String> calls = new ArrayList<>();
    List<ToolSpec.Tool> callable = spec.callable();
    for (int i = 0; i < callable.size(); i++) {
      ToolSpec.Tool t = callable.get(i);
      String args;
      try {
        args = g.valueRule(t.parameters(), "args-" + t.name());
      } catch (UnsupportedSchemaException e) {
        throw e.forParam("tools[" + spec.tools().indexOf(t) + "].function.parameters");
      }
      calls.add(JsonSchemaGrammar.literal("<tool_call>\n{\"name\": \"" + t.name() + "\", \"arguments\": ") + " " + args
          + " " + JsonSchemaGrammar.literal("}\n</tool_call>"));
    }
    String call = "(" + String.join(" | ", calls) + ")";
    try {
      return g.render(spec.parallel() ? call + " (\"\\n\" " + call + "){0," + (MAX_PARALLEL_CALLS - 1) + "}" : call);
    } catch (UnsupportedSchemaException e) {
      throw e.forParam("tools");
    }
  }
}
