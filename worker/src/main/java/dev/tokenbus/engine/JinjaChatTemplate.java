package dev.tokenbus.engine;

import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.LegacyOverrides;
import com.hubspot.jinjava.el.JinjavaInterpreterResolver;
import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.interpret.RenderResult;
import com.hubspot.jinjava.interpret.TemplateError;
import com.hubspot.jinjava.lib.exptest.IsIterableExpTest;
import com.hubspot.jinjava.lib.filter.Filter;
import com.hubspot.jinjava.lib.fn.ELFunctionDefinition;
import java.beans.FeatureDescriptor;
import java.time.ZonedDateTime;
import java.time.format.TextStyle;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;
import jinjava.javax.el.ELContext;
import jinjava.javax.el.ELResolver;

/**
 * A model's {@code tokenizer.chat_template} run as Jinja (with Jinjava), the way Hugging Face's
 * {@code apply_chat_template} runs it: {@code trim_blocks} and {@code lstrip_blocks} on, the variables
 * {@code messages}, {@code tools}, {@code add_generation_prompt}, {@code bos_token} and
 * {@code eos_token}, the functions {@code raise_exception} and {@code strftime_now}, a {@code tojson}
 * filter that writes Python's {@code json.dumps} spacing, and the Python string methods templates
 * call ({@code startswith}, {@code endswith}, {@code strip}, {@code lstrip}, {@code rstrip} with
 * characters, {@code split}, {@code upper}, {@code lower}, {@code replace}), and Jinja's
 * {@code iterable} test (true for strings). Where Jinjava's grammar differs from Jinja's, the
 * source is first rewritten to the equivalent ({@link #normalise}).
 *
 * <p>Thread-safe: each {@link #render} has its own interpreter.
 */
final class JinjaChatTemplate {

  /** The longest prompt a template may produce, in characters. */
  static final long MAX_OUTPUT = 8L << 20;

  private final Jinjava jinjava;
  private final String source;
  private final String bosToken;
  private final String eosToken;

  /** A template that cannot be rendered: its syntax, an unsupported construct, or {@code raise_exception}. */
  static final class TemplateException extends RuntimeException {
    TemplateException(String message) {
      super(message);
    }
  }

  JinjaChatTemplate(String source, String bosToken, String eosToken) {
    this.source = normalise(source);
    this.bosToken = bosToken == null ? "" : bosToken;
    this.eosToken = eosToken == null ? "" : eosToken;
    JinjavaConfig config = JinjavaConfig.newBuilder()
        .withTrimBlocks(true)
        .withLstripBlocks(true)
        .withMaxOutputSize(MAX_OUTPUT)
        .withFailOnUnknownTokens(false)
        .withLegacyOverrides(LegacyOverrides.newBuilder()
            .withUseTrimmingForNotesAndExpressions(true) // {{- ... -}}
            .withUseNaturalOperatorPrecedence(true)
            .withParseWhitespaceControlStrictly(true)
            .withKeepNullableLoopValues(true)
            .withHandleBackslashInQuotesOnly(true)
            .build())
        .withElResolver(new PythonStrings())
        .build();
    this.jinjava = new Jinjava(config);
    jinjava.getGlobalContext().registerFunction(new ELFunctionDefinition("", "raise_exception",
        JinjaChatTemplate.class, "raiseException", String.class));
    jinjava.getGlobalContext().registerFunction(new ELFunctionDefinition("", "strftime_now",
        JinjaChatTemplate.class, "strftimeNow", String.class));
    jinjava.getGlobalContext().registerFilter(new ToJson());
    jinjava.getGlobalContext().registerExpTest(new Iterable());
  }

  /**
   * Renders a conversation.
   *
   * @param messages OpenAI-shaped messages as plain maps and lists ({@code role}, {@code content},
   *     and where present {@code tool_calls} with parsed {@code arguments}, {@code tool_call_id},
   *     {@code reasoning_content})
   * @param tools OpenAI-shaped tool definitions as plain maps, or null for none
   * @throws TemplateException when the template fails (the message says why; {@code raise_exception}'s text verbatim)
   */
  String render(List<Map<String, Object>> messages, List<Map<String, Object>> tools, boolean addGenerationPrompt) {
    return render(messages, tools, addGenerationPrompt, Map.of());
  }

  /**
   * Renders a conversation with extra variables ({@code chat_template_kwargs}); the variables this
   * class sets itself win over them.
   */
  String render(List<Map<String, Object>> messages, List<Map<String, Object>> tools, boolean addGenerationPrompt,
      Map<String, Object> variables) {
    Map<String, Object> context = new HashMap<>(variables);
    context.put("messages", messages);
    context.put("tools", tools);
    context.put("add_generation_prompt", addGenerationPrompt);
    context.put("bos_token", bosToken);
    context.put("eos_token", eosToken);
    context.put("strftime_now", true); // so that "strftime_now is defined" holds, as in Python
    RenderResult result = jinjava.renderForResult(source, context);
    for (TemplateError e : result.getErrors()) {
      if (e.getSeverity() == TemplateError.ErrorType.FATAL) {
        Throwable cause = e.getException();
        while (cause != null && !(cause instanceof TemplateException)) {
          cause = cause.getCause();
        }
        throw new TemplateException(cause != null ? cause.getMessage() : e.getMessage());
      }
    }
    return result.getOutput();
  }

  private static final Pattern NOT_IS = Pattern.compile(
      "\\bnot\\s+([A-Za-z_][\\w.]*(?:\\[[^\\]]*\\])*(?:\\|\\w+)?)\\s+is\\s+(not\\s+)?([A-Za-z_]\\w*)");
  private static final Pattern REVERSED = Pattern.compile("([A-Za-z_][\\w.]*)\\[::-1\\]");

  /**
   * Rewrites the few constructs where Jinjava's grammar differs from Jinja's into their Jinjava
   * equivalents, leaving the meaning unchanged: {@code not x is defined} (Jinja tests bind tighter
   * than {@code not}; Jinjava applies {@code not} first), {@code x[::-1]} (no step slices in
   * Jinjava: {@code (x|reverse|list)}), and {@code namespace(a=x|f - 1)} (a filter inside a keyword
   * argument applies to the whole argument in Jinjava: the value is parenthesised).
   */
  static String normalise(String source) {
    String s = NOT_IS.matcher(source).replaceAll("not ($1 is $2$3)");
    s = REVERSED.matcher(s).replaceAll("($1|reverse|list)");
    StringBuilder out = new StringBuilder();
    int from = 0;
    int at;
    while ((at = s.indexOf("namespace(", from)) >= 0) {
      int open = at + "namespace(".length();
      int close = matching(s, open);
      if (close < 0) {
        break;
      }
      out.append(s, from, open);
      List<String> args = topLevelSplit(s.substring(open, close));
      for (int i = 0; i < args.size(); i++) {
        String arg = args.get(i);
        int eq = arg.indexOf('=');
        if (i > 0) {
          out.append(',');
        }
        if (eq > 0 && arg.charAt(eq + 1) != '=' && arg.substring(0, eq).strip().matches("\\w+")) {
          out.append(arg, 0, eq + 1).append('(').append(arg.substring(eq + 1).strip()).append(')');
        } else {
          out.append(arg);
        }
      }
      out.append(')');
      from = close + 1;
    }
    out.append(s, from, s.length());
    return out.toString();
  }

  /** The index of the {@code )} closing the parenthesis opened just before {@code from}, or -1. */
  private static int matching(String s, int from) {
    int depth = 1;
    char quote = 0;
    for (int i = from; i < s.length(); i++) {
      char c = s.charAt(i);
      if (quote != 0) {
        if (c == '\\') {
          i++;
        } else if (c == quote) {
          quote = 0;
        }
      } else if (c == '\'' || c == '"') {
        quote = c;
      } else if (c == '(' || c == '[' || c == '{') {
        depth++;
      } else if (c == ')' || c == ']' || c == '}') {
        if (--depth == 0) {
          return c == ')' ? i : -1;
        }
      }
    }
    return -1;
  }

  private static List<String> topLevelSplit(String args) {
    List<String> parts = new ArrayList<>();
    int depth = 0;
    char quote = 0;
    int start = 0;
    for (int i = 0; i < args.length(); i++) {
      char c = args.charAt(i);
      if (quote != 0) {
        if (c == '\\') {
          i++;
        } else if (c == quote) {
          quote = 0;
        }
      } else if (c == '\'' || c == '"') {
        quote = c;
      } else if (c == '(' || c == '[' || c == '{') {
        depth++;
      } else if (c == ')' || c == ']' || c == '}') {
        depth--;
      } else if (c == ',' && depth == 0) {
        parts.add(args.substring(start, i));
        start = i + 1;
      }
    }
    if (start < args.length() || !parts.isEmpty()) {
      parts.add(args.substring(start));
    }
    return parts;
  }

  /** {@code raise_exception(message)}: the template refuses the conversation. */
  public static String raiseException(String message) {
    throw new TemplateException(message);
  }

  /** {@code strftime_now(format)}: the current local time in Python's {@code strftime} format. */
  public static String strftimeNow(String format) {
    return strftime(ZonedDateTime.now(), format);
  }

  static String strftime(ZonedDateTime t, String format) {
    StringBuilder out = new StringBuilder();
    for (int i = 0; i < format.length(); i++) {
      char c = format.charAt(i);
      if (c != '%' || i + 1 == format.length()) {
        out.append(c);
        continue;
      }
      char f = format.charAt(++i);
      switch (f) {
        case 'd' -> out.append(String.format("%02d", t.getDayOfMonth()));
        case 'm' -> out.append(String.format("%02d", t.getMonthValue()));
        case 'Y' -> out.append(t.getYear());
        case 'y' -> out.append(String.format("%02d", t.getYear() % 100));
        case 'H' -> out.append(String.format("%02d", t.getHour()));
        case 'M' -> out.append(String.format("%02d", t.getMinute()));
        case 'S' -> out.append(String.format("%02d", t.getSecond()));
        case 'b' -> out.append(t.getMonth().getDisplayName(TextStyle.SHORT, Locale.ENGLISH));
        case 'B' -> out.append(t.getMonth().getDisplayName(TextStyle.FULL, Locale.ENGLISH));
        case 'a' -> out.append(t.getDayOfWeek().getDisplayName(TextStyle.SHORT, Locale.ENGLISH));
        case 'A' -> out.append(t.getDayOfWeek().getDisplayName(TextStyle.FULL, Locale.ENGLISH));
        case 'j' -> out.append(String.format("%03d", t.getDayOfYear()));
        case '%' -> out.append('%');
        default -> out.append('%').append(f);
      }
    }
    return out.toString();
  }

  /** Python's {@code json.dumps(value)}: {@code ", "} and {@code ": "} separators, non-ASCII kept. */
  static String toJson(Object value) {
    return toJson(value, -1);
  }

  /**
   * Python's {@code json.dumps(value, indent=indent)}: with an indent of 0 or more, one member per
   * line and {@code ","} separators; below 0, one line.
   */
  static String toJson(Object value, int indent) {
    StringBuilder out = new StringBuilder();
    writeJson(value, out, indent, 0);
    return out.toString();
  }

  private static void newline(StringBuilder out, int indent, int depth) {
    out.append('\n').append(" ".repeat(indent * depth));
  }

  private static void writeJson(Object value, StringBuilder out, int indent, int depth) {
    switch (value) {
      case null -> out.append("null");
      case String s -> writeString(s, out);
      case Boolean b -> out.append(b ? "true" : "false");
      case Double d -> out.append(d);
      case Number n -> out.append(n);
      case Map<?, ?> m -> {
        if (m.isEmpty()) {
          out.append("{}");
          return;
        }
        out.append('{');
        boolean first = true;
        for (Map.Entry<?, ?> e : m.entrySet()) {
          if (!first) {
            out.append(indent >= 0 ? "," : ", ");
          }
          first = false;
          if (indent >= 0) {
            newline(out, indent, depth + 1);
          }
          writeString(String.valueOf(e.getKey()), out);
          out.append(": ");
          writeJson(e.getValue(), out, indent, depth + 1);
        }
        if (indent >= 0) {
          newline(out, indent, depth);
        }
        out.append('}');
      }
      case java.lang.Iterable<?> list -> {
        if (!list.iterator().hasNext()) {
          out.append("[]");
          return;
        }
        out.append('[');
        boolean first = true;
        for (Object o : list) {
          if (!first) {
            out.append(indent >= 0 ? "," : ", ");
          }
          first = false;
          if (indent >= 0) {
            newline(out, indent, depth + 1);
          }
          writeJson(o, out, indent, depth + 1);
        }
        if (indent >= 0) {
          newline(out, indent, depth);
        }
        out.append(']');
      }
      default -> writeString(value.toString(), out);
    }
  }

  private static void writeString(String s, StringBuilder out) {
    dev.tokenbus.protocol.JsonStrings.append(out, s, false);
  }

  /** The {@code tojson} filter, Python's spacing. */
  private static final class ToJson implements Filter {
    @Override
    public String getName() {
      return "tojson";
    }

    @Override
    public Object filter(Object var, JinjavaInterpreter interpreter, String... args) {
      return toJson(var);
    }

    @Override
    public Object filter(Object var, JinjavaInterpreter interpreter, Object[] args, Map<String, Object> kwargs) {
      Object indent = kwargs.get("indent");
      if (indent == null && args.length > 0) {
        indent = args[0];
      }
      return toJson(var, indent instanceof Number n ? n.intValue() : indent != null ? Integer.parseInt(indent.toString()) : -1);
    }
  }

  /** Jinja's {@code iterable} test, under which a string is iterable too (Jinjava's is not). */
  private static final class Iterable extends IsIterableExpTest {
    @Override
    public boolean evaluate(Object var, JinjavaInterpreter interpreter, Object... args) {
      return var instanceof String || super.evaluate(var, interpreter, args);
    }
  }

  /** Jinjava's resolver plus the Python string methods chat templates call. */
  private static final class PythonStrings extends ELResolver {
    private final ELResolver delegate = JinjavaInterpreterResolver.DEFAULT_RESOLVER_READ_WRITE;

    @Override
    public Object invoke(ELContext context, Object base, Object method, Class<?>[] types, Object[] params) {
      if (base instanceof String s && method != null) {
        Object result = call(s, method.toString(), params == null ? new Object[0] : params);
        if (result != null) {
          context.setPropertyResolved(true);
          return result;
        }
      }
      return delegate.invoke(context, base, method, types, params);
    }

    private static Object call(String s, String method, Object[] p) {
      String a = p.length > 0 && p[0] != null ? p[0].toString() : null;
      return switch (method) {
        case "startswith" -> a != null && s.startsWith(a);
        case "endswith" -> a != null && s.endsWith(a);
        case "strip" -> a == null ? s.strip() : stripRight(stripLeft(s, a), a);
        case "lstrip" -> a == null ? s.stripLeading() : stripLeft(s, a);
        case "rstrip" -> a == null ? s.stripTrailing() : stripRight(s, a);
        case "upper" -> s.toUpperCase(Locale.ROOT);
        case "lower" -> s.toLowerCase(Locale.ROOT);
        case "replace" -> p.length >= 2 ? s.replace(a, String.valueOf(p[1])) : null;
        case "split" -> a == null ? List.of(s.strip().split("\\s+")) : splitOn(s, a);
        default -> null;
      };
    }

    private static List<String> splitOn(String s, String separator) {
      List<String> parts = new java.util.ArrayList<>();
      int from = 0;
      int at;
      while (!separator.isEmpty() && (at = s.indexOf(separator, from)) >= 0) {
        parts.add(s.substring(from, at));
        from = at + separator.length();
      }
      parts.add(s.substring(from));
      return parts;
    }

    private static String stripLeft(String s, String chars) {
      int i = 0;
      while (i < s.length() && chars.indexOf(s.charAt(i)) >= 0) {
        i++;
      }
      return s.substring(i);
    }

    private static String stripRight(String s, String chars) {
      int i = s.length();
      while (i > 0 && chars.indexOf(s.charAt(i - 1)) >= 0) {
        i--;
      }
      return s.substring(0, i);
    }

    @Override
    public Class<?> getCommonPropertyType(ELContext context, Object base) {
      return delegate.getCommonPropertyType(context, base);
    }

    @Override
    public Iterator<FeatureDescriptor> getFeatureDescriptors(ELContext context, Object base) {
      return delegate.getFeatureDescriptors(context, base);
    }

    @Override
    public Class<?> getType(ELContext context, Object base, Object property) {
      return delegate.getType(context, base, property);
    }

    @Override
    public Object getValue(ELContext context, Object base, Object property) {
      return delegate.getValue(context, base, property);
    }

    @Override
    public boolean isReadOnly(ELContext context, Object base, Object property) {
      return delegate.isReadOnly(context, base, property);
    }

    @Override
    public void setValue(ELContext context, Object base, Object property, Object value) {
      delegate.setValue(context, base, property, value);
    }
  }
}
