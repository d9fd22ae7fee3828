package dev.tokenbus.gateway.api.responses;

import dev.tokenbus.gateway.toolcall.StreamedAnswer;
import dev.tokenbus.gateway.toolcall.ToolSpec;
import dev.tokenbus.protocol.TokenData;
import dev.tokenbus.toolcall.ParsedAnswer;
import dev.tokenbus.toolcall.ToolCall;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/**
 * Makes a response's {@code output} items from its tokens as they come: a thinking model's
 * reasoning (tokens the worker flags) as a {@code reasoning} item with one {@code reasoning_text}
 * part, the answer's text as one {@code message} item, and with tools, each call as a {@code function_call} item, as
 * {@link StreamedAnswer} (shared with the chat and Messages routes) decides: calls in a family's
 * own syntax stream as they are written (the item as soon as its name is complete, then its
 * arguments fragment by fragment); text that may still become a call is held back, then sent as
 * text once it cannot; a call in a looser form is read at the end. Each step is told to a
 * {@link Listener} (the stream's events); {@link #finish} gives the whole output. One instance per
 * response.
 */
final class OutputItems {

  /** What happens to the output, in order; a streaming response turns each into its events. */
  interface Listener {
    /** Item {@code index} begins ({@code item} as it is then: in progress, no text yet). */
    void added(int index, JsonObject item);

    /** Text for the message item {@code index}. */
    void text(int index, String itemId, String delta);

    /** Thinking for the reasoning item {@code index}. */
    void reasoning(int index, String itemId, String delta);

    /** Arguments for the function call item {@code index}. */
    void arguments(int index, String itemId, String delta);

    /** Item {@code index} is complete. */
    void done(int index, JsonObject item);
  }

  /** A listener for a response no one streams. */
  static final Listener SILENT = new Listener() {
    @Override
    public void added(int index, JsonObject item) {}

    @Override
    public void text(int index, String itemId, String delta) {}

    @Override
    public void reasoning(int index, String itemId, String delta) {}

    @Override
    public void arguments(int index, String itemId, String delta) {}

    @Override
    public void done(int index, JsonObject item) {}
  };

  /** The answer's reading when there are tools; null without. */
  private final StreamedAnswer answer;
  private final Listener listener;
  private final JsonArray output = new JsonArray();
  /** The message item being written (its index in {@link #output}), or -1. */
  private int message = -1;
  private final StringBuilder messageText = new StringBuilder();
  /** Index in {@link #output} of the first streamed call. */
  private int firstCall = -1;
  /** The reasoning item being written (its index in {@link #output}), or -1. */
  private int reasoning = -1;
  private final StringBuilder reasoningText = new StringBuilder();
  private int reasoningTokens;

  OutputItems(ToolSpec tools, Listener listener) {
    this.answer = tools == null ? null : new StreamedAnswer(tools);
    this.listener = listener;
  }

  void add(TokenData token) {
    if (token.reasoning()) {
      reasoningTokens++;
      appendReasoning(token.text());
      return;
    }
    if (answer == null) {
      appendText(token.text());
      return;
    }
    switch (answer.feed(token.text())) {
      case StreamedAnswer.Content c -> appendText(c.text());
      case StreamedAnswer.Calls c -> {
        for (int i = 0; i < c.deltas().size(); i++) {
          streamCall(c.deltas().getJsonObject(i));
        }
      }
      case StreamedAnswer.Held h -> { }
    }
  }

  /** How many of the tokens were thinking (the markers of the think block included). */
  int reasoningTokens() {
    return reasoningTokens;
  }

  /** Closes what is open and returns the output items, each complete. */
  JsonArray finish() {
    closeReasoning();
    if (answer != null && answer.holding()) {
      ParsedAnswer parsed = answer.parseHeld();
      appendText(parsed.content());
      closeMessage();
      for (ToolCall c : parsed.calls()) {
        int index = openCall(c.id(), c.name());
        listener.arguments(index, output.getJsonObject(index).getString("id"), c.arguments());
        output.getJsonObject(index).put("arguments", c.arguments());
      }
    }
    closeMessage();
    for (int i = 0; i < output.size(); i++) {
      JsonObject item = output.getJsonObject(i);
      if ("in_progress".equals(item.getString("status"))) {
        item.put("status", "completed");
        listener.done(i, item);
      }
    }
    return output;
  }

  private void appendText(String delta) {
    if (delta.isEmpty()) {
      return;
    }
    if (message < 0) {
      closeReasoning();
      message = output.size();
      JsonObject item = new JsonObject().put("id", Items.newId("msg_")).put("type", "message").put("status", "in_progress")
          .put("role", "assistant").put("content", new JsonArray());
      output.add(item);
      listener.added(message, item.copy());
    }
    messageText.append(delta);
    listener.text(message, output.getJsonObject(message).getString("id"), delta);
  }

  private void appendReasoning(String delta) {
    if (delta.isEmpty()) {
      return;
    }
    if (reasoning < 0) {
      closeMessage();
      reasoning = output.size();
      JsonObject item = new JsonObject().put("id", Items.newId("rs_")).put("type", "reasoning")
          .put("status", "in_progress").put("summary", new JsonArray()).put("content", new JsonArray());
      output.add(item);
      listener.added(reasoning, item.copy());
    }
    reasoningText.append(delta);
    listener.reasoning(reasoning, output.getJsonObject(reasoning).getString("id"), delta);
  }

  private void closeReasoning() {
    if (reasoning < 0) {
      return;
    }
    JsonObject item = output.getJsonObject(reasoning);
    item.put("status", "completed").put("content", new JsonArray().add(new JsonObject().put("type", "reasoning_text")
        .put("text", reasoningText.toString())));
    listener.done(reasoning, item);
    reasoning = -1;
    reasoningText.setLength(0);
  }

  private void closeMessage() {
    if (message < 0) {
      return;
    }
    JsonObject item = output.getJsonObject(message);
    item.put("status", "completed").put("content", new JsonArray().add(new JsonObject().put("type", "output_text")
        .put("text", messageText.toString()).put("annotations", new JsonArray())));
    listener.done(message, item);
    message = -1;
  }

  /** One of the reader's deltas: a call's start (with its id and name) or a fragment of its arguments. */
  private void streamCall(JsonObject delta) {
    JsonObject function = delta.getJsonObject("function");
    int index;
    if (delta.getString("id") != null) {
      index = openCall(delta.getString("id"), function.getString("name"));
      if (firstCall < 0) {
        firstCall = index;
      }
    } else {
      index = firstCall + delta.getInteger("index");
    }
    String fragment = function.getString("arguments", "");
    if (!fragment.isEmpty()) {
      JsonObject item = output.getJsonObject(index);
      item.put("arguments", item.getString("arguments") + fragment);
      listener.arguments(index, item.getString("id"), fragment);
    }
  }

  private int openCall(String callId, String name) {
    closeReasoning();
    closeMessage();
    int index = output.size();
    JsonObject item = new JsonObject().put("id", Items.newId("fc_")).put("type", "function_call").put("status", "in_progress")
        .put("call_id", callId).put("name", name).put("arguments", "");
    output.add(item);
    listener.added(index, item.copy());
    return index;
  }
}
