package dev.tokenbus.gateway.api.openai;

import dev.tokenbus.gateway.toolcall.StreamedAnswer;
import dev.tokenbus.gateway.toolcall.ToolSpec;
import dev.tokenbus.protocol.TokenData;
import dev.tokenbus.toolcall.ParsedAnswer;
import dev.tokenbus.toolcall.ToolCall;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/**
 * {@code /v1/chat/completions} with tools: the answer's tool calls become {@code tool_calls}
 * ({@code finish_reason: "tool_calls"}), in the message of a whole response or as
 * {@code delta.tool_calls} chunks of a stream (each call with its index, id, name and arguments).
 * What is content, a streamed call or held back is decided by {@link StreamedAnswer}; this class
 * only shapes it as OpenAI's chunks. One instance per response.
 */
final class ToolCallFormat implements AnswerShape {

  private final ChatFormat chat;
  private final ToolSpec spec;
  private final StreamedAnswer answer;

  ToolCallFormat(ChatFormat chat, ToolSpec spec) {
    this.chat = chat;
    this.spec = spec;
    this.answer = new StreamedAnswer(spec);
  }

  @Override
  public String chunkObject() {
    return chat.chunkObject();
  }

  @Override
  public String responseObject() {
    return chat.responseObject();
  }

  @Override
  public String idPrefix() {
    return chat.idPrefix();
  }

  @Override
  public JsonObject openingChoice() {
    return chat.openingChoice();
  }

  /**
   * Null while the text is held back (no chunk is sent for this token). Reasoning passes as it
   * comes; only the answer's text is read for calls.
   */
  @Override
  public JsonObject tokenChoice(TokenData token, String finishReason) {
    if (chat.isReasoning(token)) {
      if (finishReason == null || !answer.holding()) {
        return chat.tokenChoice(token, finishReason);
      }
      // The generation ended inside the thinking with answer text held: that text and the finish, then this.
      JsonObject choice = heldChoice(finishReason);
      if (!token.text().isEmpty()) {
        choice.getJsonObject("delta").put(chat.reasoningField(), token.text());
      }
      return choice;
    }
    return switch (answer.feed(token.text())) {
      case StreamedAnswer.Content c -> chat.tokenChoice(token.withText(c.text()), finishReason);
      case StreamedAnswer.Calls c -> c.deltas().isEmpty() && finishReason == null ? null
          : callsChoice(c.deltas(), finishReason);
      case StreamedAnswer.Held h -> finishReason == null ? null : heldChoice(finishReason);
    };
  }

  @Override
  public JsonObject finishChoice(String finishReason) {
    if (answer.streamedCalls() > 0) {
      return callsChoice(new JsonArray(), finishReason);
    }
    return answer.holding() ? heldChoice(finishReason) : chat.finishChoice(finishReason);
  }

  /** A chunk of streamed call deltas; a stream that called tools ends with {@code tool_calls}. */
  private static JsonObject callsChoice(JsonArray deltas, String finishReason) {
    JsonObject delta = new JsonObject();
    if (!deltas.isEmpty()) {
      delta.put("tool_calls", deltas);
    }
    return new JsonObject().put("index", 0).put("delta", delta).put("logprobs", null)
        .put("finish_reason", "stop".equals(finishReason) ? "tool_calls" : finishReason);
  }

  private JsonObject heldChoice(String finishReason) {
    ParsedAnswer parsed = answer.parseHeld();
    JsonObject delta = new JsonObject();
    if (!parsed.content().isEmpty()) {
      delta.put("content", parsed.content());
    }
    if (!parsed.calls().isEmpty()) {
      JsonArray calls = new JsonArray();
      for (int i = 0; i < parsed.calls().size(); i++) {
        calls.add(parsed.calls().get(i).toJson().put("index", i));
      }
      delta.put("tool_calls", calls);
    }
    return new JsonObject().put("index", 0).put("delta", delta).put("logprobs", null)
        .put("finish_reason", finish(parsed, finishReason));
  }

  private static String finish(ParsedAnswer parsed, String finishReason) {
    return !parsed.calls().isEmpty() && "stop".equals(finishReason) ? "tool_calls" : finishReason;
  }

  @Override
  public Collector collector() {
    Collector inner = chat.collector();
    StringBuilder text = new StringBuilder();
    return new Collector() {
      @Override
      public void add(TokenData token) {
        inner.add(token);
        if (!chat.isReasoning(token)) {
          text.append(token.text());
        }
      }

      @Override
      public JsonObject choice(String finishReason) {
        JsonObject choice = inner.choice(finishReason);
        ParsedAnswer parsed = StreamedAnswer.parse(text.toString(), spec);
        if (parsed.calls().isEmpty()) {
          return choice;
        }
        JsonArray calls = new JsonArray();
        for (ToolCall c : parsed.calls()) {
          calls.add(c.toJson());
        }
        choice.getJsonObject("message").put("content", parsed.content().isEmpty() ? null : parsed.content())
            .put("tool_calls", calls);
        return choice.put("finish_reason", finish(parsed, finishReason));
      }
    };
  }
}
