package dev.tokenbus.protocol;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Variables a request hands to its model's chat template ({@code chat_template_kwargs}, as
 * llama-server and vLLM take them), such as {@code enable_thinking} or {@code reasoning_effort}.
 * Bounded, and never one of the variables the worker sets itself.
 */
public final class TemplateArgs {

  /** The most characters the arguments may take, as JSON. */
  public static final int MAX_CHARS = 16 * 1024;
  /** The deepest nesting of objects and arrays below the arguments object. */
  public static final int MAX_DEPTH = 8;
  /** Variables the worker sets for every rendering: a request may not replace them. */
  public static final Set<String> RESERVED = Set.of("messages", "tools", "add_generation_prompt", "bos_token",
      "eos_token", "raise_exception", "strftime_now", "tools_in_user_message", "documents");
  /** OpenAI's {@code reasoning_effort} values. */
  public static final List<String> EFFORTS = List.of("none", "minimal", "low", "medium", "high");

  private static final String PARAM = "chat_template_kwargs";

  private TemplateArgs() {}

  /**
   * {@code args} checked: an object within {@link #MAX_CHARS} and {@link #MAX_DEPTH}, whose keys are
   * template identifiers and none of {@link #RESERVED}.
   *
   * @throws RequestValidationException naming {@code chat_template_kwargs} otherwise
   */
  public static JsonObject checked(JsonObject args) {
    if (args == null) {
      return new JsonObject();
    }
    for (Map.Entry<String, Object> e : args) {
      String key = e.getKey();
      if (!key.matches("[A-Za-z_][A-Za-z0-9_]{0,63}")) {
        throw new RequestValidationException(PARAM, PARAM + " keys must be template variable names (letters, digits"
            + " and _, at most 64), got '" + (key.length() > 64 ? key.substring(0, 64) + "…" : key) + "'");
      }
      if (RESERVED.contains(key)) {
        throw new RequestValidationException(PARAM, PARAM + " may not set '" + key + "': the server sets it");
      }
      checkDepth(e.getValue(), 1);
    }
    if (args.encode().length() > MAX_CHARS) {
      throw new RequestValidationException(PARAM, PARAM + " must take at most " + MAX_CHARS + " characters as JSON");
    }
    return args.copy();
  }

  /**
   * The arguments with {@code reasoning_effort} (one of {@link #EFFORTS}, or null for none) added as
   * a variable of the same name; {@code none} also sets {@code enable_thinking} to false unless
   * {@code args} sets it. Values the arguments give themselves win.
   *
   * @throws RequestValidationException naming {@code reasoning_effort} for another value
   */
  public static JsonObject withEffort(JsonObject args, String effort) {
    if (effort == null) {
      return args;
    }
    if (!EFFORTS.contains(effort)) {
      throw new RequestValidationException("reasoning_effort", "reasoning_effort must be one of " + EFFORTS
          + ", got '" + (effort.length() > 32 ? effort.substring(0, 32) + "…" : effort) + "'");
    }
    JsonObject out = args.copy();
    if (!out.containsKey("reasoning_effort")) {
      out.put("reasoning_effort", effort);
    }
    if (effort.equals("none") && !out.containsKey("enable_thinking")) {
      out.put("enable_thinking", false);
    }
    return out;
  }

  private static void checkDepth(Object value, int depth) {
    if (!(value instanceof JsonObject) && !(value instanceof JsonArray)) {
      return;
    }
    if (depth > MAX_DEPTH) {
      throw new RequestValidationException(PARAM, PARAM + " may nest at most " + MAX_DEPTH + " levels deep");
    }
    if (value instanceof JsonObject o) {
      for (Map.Entry<String, Object> e : o) {
        checkDepth(e.getValue(), depth + 1);
      }
    } else {
      for (Object v : (JsonArray) value) {
        checkDepth(v, depth + 1);
      }
    }
  }
}
