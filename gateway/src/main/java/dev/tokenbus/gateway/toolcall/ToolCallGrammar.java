package dev.tokenbus.gateway.toolcall;

import dev.tokenbus.gateway.grammar.JsonSchemaGrammar;
import dev.tokenbus.gateway.grammar.UnsupportedSchemaException;
import dev.tokenbus.protocol.RequestValidationException;
import dev.tokenbus.protocol.StreamConfig;
import dev.tokenbus.protocol.Tool;
import dev.tokenbus.toolcall.ToolCallSyntax;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntFunction;

/**
 * The grammar of an answer that must call a tool, in one family's syntax ({@link ToolCallSyntax}):
 * its prefix, one call (or, with parallel calls, up to {@link #MAX_PARALLEL_CALLS}) and its suffix,
 * each call {@code open(<one of the tools>) <compact JSON that validates against that tool's
 * parameters> close}. The calls are counted in the grammar, so after the last one allowed only the
 * end is: the answer ends whatever the model would rather write.
 */
public final class ToolCallGrammar {

  /**
   * The most calls one constrained answer may hold: after them only the end is allowed, so that an
   * answer ends even when its model would call again and again (a small model repeats its call).
   */
  public static final int MAX_PARALLEL_CALLS = 2;

  private ToolCallGrammar() {}

  /**
   * Puts a request's tools into its {@code config}, the one rule of every route that takes tools: a
   * required call constrains the answer to its grammar, and so takes no other grammar; an answer
   * free to call or not may be shaped by the request's own {@code grammar} field (the calls are
   * read from it), but not by structured output, whose answer could never be a call.
   *
   * @param grammarField whether the grammar {@code config} holds, if any, came from the request's
   *     {@code grammar} field (not from a schema)
   * @param structuredOutput the request's fields that ask for structured output, for the refusal
   * @param schemaParam where the request holds the schema of tool {@code i}'s arguments
   * @throws RequestValidationException naming {@code tools} when the combination cannot be honoured
   */
  public static StreamConfig.Builder constrain(StreamConfig.Builder config, ToolSpec spec, boolean grammarField,
      String structuredOutput, IntFunction<String> schemaParam) {
    if (config.build().grammar() != null && (!grammarField || spec.callRequired())) {
      throw new RequestValidationException("tools", "tools cannot be combined with " + structuredOutput
          + ", nor a required call with grammar");
    }
    return spec.callRequired() ? config.grammar(of(spec, ToolCallSyntax.WRITTEN, schemaParam)) : config;
  }

  /** Where OpenAI's chat request holds the schema of tool {@code i}'s arguments. */
  public static final IntFunction<String> FUNCTION_PARAMETERS = i -> "tools[" + i + "].function.parameters";

  /** The grammar of {@code spec}'s required call in the family the cluster writes. */
  public static String of(ToolSpec spec) {
    return of(spec, ToolCallSyntax.WRITTEN, FUNCTION_PARAMETERS);
  }

  /**
   * As {@link #of(ToolSpec)}, naming a schema that cannot be enforced as the request names it.
   *
   * @param schemaParam where the request holds the schema of tool {@code i}'s arguments
   */
  public static String of(ToolSpec spec, IntFunction<String> schemaParam) {
    return of(spec, ToolCallSyntax.WRITTEN, schemaParam);
  }

  /** The grammar of {@code spec}'s required call in {@code syntax}. */
  public static String of(ToolSpec spec, ToolCallSyntax syntax) {
    return of(spec, syntax, FUNCTION_PARAMETERS);
  }

  private static String of(ToolSpec spec, ToolCallSyntax syntax, IntFunction<String> schemaParam) {
    JsonSchemaGrammar g = JsonSchemaGrammar.builder();
    List<String> calls = new ArrayList<>();
    List<Tool> callable = spec.callable();
    for (Tool t : callable) {
      String args;
      try {
        args = g.valueRule(t.parameters(), "args-" + t.name());
      } catch (UnsupportedSchemaException e) {
        throw e.forParam(schemaParam.apply(spec.tools().indexOf(t)));
      }
      calls.add(literal(syntax.open(t.name())) + args + " " + literal(syntax.close()));
    }
    String call = "(" + String.join(" | ", calls) + ")";
    int most = spec.parallel() ? MAX_PARALLEL_CALLS : 1;
    String more = most == 1 ? "" : " (" + literal(syntax.separator()) + call + "){0," + (most - 1) + "}";
    try {
      return g.render(literal(syntax.prefix()) + call + more + " " + literal(syntax.suffix()));
    } catch (UnsupportedSchemaException e) {
      throw e.forParam("tools");
    }
  }

  /** {@code text} as a GBNF literal followed by a space, or nothing when it is empty. */
  private static String literal(String text) {
    return text.isEmpty() ? "" : JsonSchemaGrammar.literal(text) + " ";
  }
}
