package dev.tokenbus.gateway.api;

import static dev.tokenbus.gateway.json.Fields.bool;
import static dev.tokenbus.gateway.json.Fields.kind;
import static dev.tokenbus.gateway.json.Fields.string;

import dev.tokenbus.protocol.RequestValidationException;
import dev.tokenbus.protocol.StreamConfig;
import dev.tokenbus.protocol.TemplateArgs;
import io.vertx.core.json.JsonObject;

/**
 * A chat request's fields about thinking, as llama-server and vLLM take them:
 * {@code chat_template_kwargs} (variables for the model's chat template), {@code enable_thinking}
 * (a shortcut for the variable of that name) and {@code reasoning_effort} (OpenAI's levels, passed to
 * the template); with the gateway's defaults for {@code reasoning_budget} (thinking tokens before
 * the worker closes the block) and {@code reasoning_format} (where the answer puts the reasoning).
 * Shared by the routes that chat.
 *
 * @param format where the answer puts the reasoning (or that it is not split)
 * @param templateArgs the variables for the chat template, checked
 */
public record ReasoningParameters(ReasoningFormat format, JsonObject templateArgs) {

  /**
   * The gateway's defaults, from its settings.
   *
   * @param format {@code --reasoning-format}
   * @param budget {@code --reasoning-budget}: thinking tokens per request that gives none
   */
  public record Defaults(ReasoningFormat format, int budget) {

    public Defaults {
      if (format == null) {
        throw new IllegalArgumentException("reasoning-format must be reasoning_content, reasoning or none");
      }
      if (budget < StreamConfig.UNLIMITED_REASONING || budget > StreamConfig.MAX_REASONING_BUDGET) {
        throw new IllegalArgumentException("reasoning-budget must be -1 (unlimited), 0 (no thinking) or up to "
            + StreamConfig.MAX_REASONING_BUDGET + " tokens, got " + budget);
      }
    }

    /**
     * The format a body asks for, or this default; the default budget and split go on {@code config}
     * where the body gives none ({@link GenerateParameters#configBuilder} has read the ones it gives).
     */
    public ReasoningFormat applyTo(JsonObject body, StreamConfig.Builder config) {
      if (body.getValue("reasoning_budget") == null) {
        config.reasoningBudget(budget);
      }
      ReasoningFormat f = GenerateParameters.reasoningFormat(body, format);
      config.separateReasoning(f.separates());
      return f;
    }

    /** Reasoning in {@code reasoning_content}, no budget. */
    public static Defaults standard() {
      return new Defaults(ReasoningFormat.REASONING_CONTENT, StreamConfig.UNLIMITED_REASONING);
    }
  }

  /**
   * The chat fields of {@code body}, over {@code config} read by {@link GenerateParameters#configBuilder}
   * (which reads {@code reasoning_budget} and {@code reasoning_format}, as every route does); the
   * gateway's defaults go on {@code config} where the body gives none.
   */
  public static ReasoningParameters parse(JsonObject body, Defaults defaults, StreamConfig.Builder config) {
    ReasoningFormat format = defaults.applyTo(body, config);
    Object kwargs = body.getValue("chat_template_kwargs");
    if (kwargs != null && !(kwargs instanceof JsonObject)) {
      throw new RequestValidationException("chat_template_kwargs", "chat_template_kwargs must be an object, got "
          + kind(kwargs));
    }
    JsonObject args = TemplateArgs.checked((JsonObject) kwargs);
    if (body.getValue("enable_thinking") != null && !args.containsKey("enable_thinking")) {
      args.put("enable_thinking", bool(body, "enable_thinking", true));
    }
    return new ReasoningParameters(format, TemplateArgs.withEffort(args, string(body, "reasoning_effort")));
  }
}
