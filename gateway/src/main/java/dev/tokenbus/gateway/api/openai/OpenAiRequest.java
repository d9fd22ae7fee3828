package dev.tokenbus.gateway.api.openai;

import static dev.tokenbus.gateway.json.Fields.bool;
import static dev.tokenbus.gateway.json.Fields.integer;
import static dev.tokenbus.gateway.json.Fields.kind;
import static dev.tokenbus.gateway.json.Fields.string;

import dev.tokenbus.gateway.api.ChatMessages;
import dev.tokenbus.gateway.api.GenerateParameters;
import dev.tokenbus.gateway.api.ReasoningFormat;
import dev.tokenbus.gateway.api.ReasoningParameters;
import dev.tokenbus.gateway.api.StructuredOutput;
import dev.tokenbus.gateway.toolcall.ToolCallGrammar;
import dev.tokenbus.gateway.toolcall.ToolSpec;
import dev.tokenbus.protocol.ChatMessage;
import dev.tokenbus.protocol.GenerationRequest;
import dev.tokenbus.protocol.RequestValidationException;
import dev.tokenbus.protocol.StreamConfig;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;

/**
 * A {@code /v1/chat/completions} or {@code /v1/completions} body, read strictly: a known field
 * of the wrong type is a 400 naming it, unknown fields are ignored. Sampling fields are read by
 * {@link GenerateParameters}, as for {@code /v1/generate} (so its extras, such as {@code top_k},
 * work here too); this class adds what OpenAI names differently and refuses what it cannot do.
 *
 * @param chat the chat route (messages) or the completions route (prompt)
 * @param prompt the completion's prompt as text, or null when it is {@code promptTokens} (or a chat)
 * @param promptTokens the completion's prompt as token ids, or empty
 * @param logprobs whether each token's log-probability is reported
 * @param includeUsage {@code stream_options.include_usage}: a last chunk with the usage
 * @param tools the chat's tools, or null for a plain answer (no tools, or {@code tool_choice: none})
 * @param reasoning the chat's thinking fields (where the answer puts the reasoning, the template's variables);
 *     for a completion, the gateway's format and no variables
 */
public record OpenAiRequest(boolean chat, String prompt, List<Integer> promptTokens, List<ChatMessage> messages,
    StreamConfig config, boolean stream, boolean includeUsage, boolean logprobs, String model, ToolSpec tools,
    ReasoningParameters reasoning) {

  static final int UNLIMITED = GenerateParameters.UNLIMITED;

  public GenerationRequest toRequest(String id) {
    if (chat) {
      return GenerationRequest.chat(id, messages, tools != null ? tools.tools() : List.of(), config)
          .withTemplateArgs(reasoning.templateArgs());
    }
    return prompt != null ? new GenerationRequest(id, prompt, config)
        : GenerationRequest.tokens(id, promptTokens, config);
  }

  /** A chat body, with the gateway's defaults for the thinking fields. */
  public static OpenAiRequest chat(JsonObject body, ReasoningParameters.Defaults defaults) {
    refuseUnsupported(body);
    ToolSpec tools = ToolSpec.parse(body, bool(body, "parallel_tool_calls", true));
    List<ChatMessage> messages = ChatMessages.parse(required(body, "messages"));
    boolean logprobs = bool(body, "logprobs", false);
    int top = integer(body, "top_logprobs", 0);
    if (body.getValue("top_logprobs") != null && !logprobs) {
      throw new RequestValidationException("top_logprobs", "top_logprobs needs logprobs set to true");
    }
    Integer limit = optionalInteger(body, "max_completion_tokens");
    if (limit == null) {
      limit = optionalInteger(body, "max_tokens");
    }
    StreamConfig.Builder builder = withResponseFormat(GenerateParameters.configBuilder(body), body)
        .maxTokens(limit != null ? limit : UNLIMITED).topLogprobs(top);
    ReasoningParameters reasoning = ReasoningParameters.parse(body, defaults, builder);
    if (tools != null) {
      ToolCallGrammar.constrain(builder, tools, body.getValue("grammar") != null, "response_format or json_schema",
          ToolCallGrammar.FUNCTION_PARAMETERS);
    }
    StreamConfig config = builder.build().validate();
    return new OpenAiRequest(true, null, List.of(), messages, config, bool(body, "stream", false), includeUsage(body),
        logprobs, string(body, "model"), tools, reasoning);
  }

  /** A completions body; a thinking model's reasoning goes where the gateway's format says. */
  public static OpenAiRequest completion(JsonObject body, ReasoningParameters.Defaults defaults) {
    refuseUnsupported(body);
    if (body.getValue("best_of") != null && integer(body, "best_of", 1) != 1) {
      throw new RequestValidationException("best_of", "best_of other than 1 is not supported");
    }
    if (bool(body, "echo", false)) {
      throw new RequestValidationException("echo", "echo is not supported");
    }
    if (body.getValue("suffix") != null) {
      throw new RequestValidationException("suffix", "suffix is not supported: text is only continued, never"
          + " inserted before a suffix");
    }
    Object prompt = completionPrompt(required(body, "prompt"));
    if (body.getValue("top_logprobs") != null) {
      throw new RequestValidationException("top_logprobs", "completions take the number of alternatives as logprobs"
          + " (0 to " + StreamConfig.MAX_TOP_LOGPROBS + "), not top_logprobs");
    }
    // Completions take logprobs as the number of alternatives (0..20); present means reported.
    Integer top = optionalInteger(body, "logprobs");
    Integer limit = optionalInteger(body, "max_tokens");
    if (top != null && (top < 0 || top > StreamConfig.MAX_TOP_LOGPROBS)) {
      throw new RequestValidationException("logprobs", "logprobs must be between 0 and " + StreamConfig.MAX_TOP_LOGPROBS
          + ", got " + top);
    }
    StreamConfig.Builder builder = withResponseFormat(GenerateParameters.configBuilder(body), body)
        .maxTokens(limit != null ? limit : UNLIMITED).topLogprobs(top != null ? top : 0);
    ReasoningFormat format = defaults.applyTo(body, builder);
    StreamConfig config = builder.build().validate();
    return new OpenAiRequest(false, prompt instanceof String text ? text : null,
        prompt instanceof String ? List.of() : GenerateParameters.tokenIds((JsonArray) prompt), List.of(), config,
        bool(body, "stream", false), includeUsage(body), top != null, string(body, "model"), null,
        new ReasoningParameters(format, new JsonObject()));
  }

  /**
   * OpenAI's forms of one prompt: a string, token ids ({@code [1, 2, 3]}), or either alone in an
   * array ({@code ["text"]}, {@code [[1, 2, 3]]}); more than one prompt would be a batch (n > 1).
   *
   * @return the text, or the array of token ids
   */
  private static Object completionPrompt(Object value) {
    if (value instanceof JsonArray a && !a.isEmpty() && (a.getValue(0) instanceof String
        || a.getValue(0) instanceof JsonArray)) {
      if (a.size() > 1) {
        throw new RequestValidationException("prompt", "only one prompt per request is supported (an array of "
            + a.size() + " prompts was given)");
      }
      value = a.getValue(0);
    }
    if (value instanceof JsonArray tokens) {
      return tokens;
    }
    if (!(value instanceof String p)) {
      throw new RequestValidationException("prompt", "prompt must be a string or an array of token ids, got "
          + kind(value));
    }
    if (p.isEmpty()) {
      throw new RequestValidationException("prompt", "prompt must not be empty");
    }
    return p;
  }

  /** Checks of fields both routes share: {@code n}, {@code user}, {@code stream_options}. */
  private static void refuseUnsupported(JsonObject body) {
    if (body.getValue("n") != null) {
      int n = integer(body, "n", 1);
      if (n < 1) {
        throw new RequestValidationException("n", "n must be at least 1, got " + n);
      }
      if (n > 1) {
        throw new RequestValidationException("n", "n > 1 is not supported: ask once per choice");
      }
    }
    string(body, "user"); // accepted and ignored, but it must be a string
  }

  /** {@code response_format} (json_object, json_schema) as the grammar the worker enforces. */
  private static StreamConfig.Builder withResponseFormat(StreamConfig.Builder config, JsonObject body) {
    String grammar = StructuredOutput.responseFormat(body);
    return grammar == null ? config : config.grammar(grammar);
  }

  private static boolean includeUsage(JsonObject body) {
    Object v = body.getValue("stream_options");
    if (v == null) {
      return false;
    }
    if (!(v instanceof JsonObject o)) {
      throw new RequestValidationException("stream_options", "stream_options must be an object, got " + kind(v));
    }
    try {
      return bool(o, "include_usage", false);
    } catch (RequestValidationException e) {
      throw new RequestValidationException("stream_options.include_usage", "stream_options." + e.getMessage());
    }
  }

  private static Object required(JsonObject body, String key) {
    Object v = body.getValue(key);
    if (v == null) {
      throw new RequestValidationException(key, key + " is required");
    }
    return v;
  }

  private static Integer optionalInteger(JsonObject body, String key) {
    return body.getValue(key) == null ? null : integer(body, key, 0);
  }
}
