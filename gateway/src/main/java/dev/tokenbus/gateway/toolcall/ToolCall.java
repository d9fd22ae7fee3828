package dev.tokenbus.gateway.toolcall;

import io.vertx.core.json.JsonObject;

/**
 * One call the model made: the function's name and its arguments as JSON text (as OpenAI sends
 * them), with the call's id.
 */
public record ToolCall(String id, String name, String arguments) {

  /** OpenAI's {@code tool_calls[]} entry. */
  public JsonObject toJson() {
    return new JsonObject().put("id", id).put("type", "function")
        .put("function", new JsonObject().put("name", name).put("arguments", arguments));
  }
}
