package dev.tokenbus.protocol;

import io.vertx.core.json.JsonObject;

/**
 * A function the model may call: its name, what it does, and the JSON Schema of its arguments.
 *
 * @param name 1 to 64 letters, digits, {@code _}, {@code .} or {@code -}
 * @param description what it does, for the model; may be null
 * @param parameters the JSON Schema of its arguments (an object schema)
 */
public record Tool(String name, String description, JsonObject parameters) {

  public Tool {
    if (name == null || name.isEmpty()) {
      throw new RequestValidationException("tools", "a tool needs a name");
    }
    parameters = parameters == null ? new JsonObject() : parameters.copy();
  }

  @Override
  public JsonObject parameters() {
    return parameters.copy();
  }

  /** OpenAI's form, {@code {"type":"function","function":{"name","description","parameters"}}}, as templates take it. */
  public JsonObject toJson() {
    JsonObject f = new JsonObject().put("name", name);
    if (description != null) {
      f.put("description", description);
    }
    f.put("parameters", parameters.copy());
    return new JsonObject().put("type", "function").put("function", f);
  }

  /** A tool from {@link #toJson()}'s form; a malformed one is a {@link RequestValidationException}. */
  public static Tool fromJson(JsonObject json) {
    if (!(json.getValue("function") instanceof JsonObject f) || !(f.getValue("name") instanceof String name)
        || !(f.getValue("description") == null || f.getValue("description") instanceof String)
        || !(f.getValue("parameters") == null || f.getValue("parameters") instanceof JsonObject)) {
      throw new RequestValidationException("tools", "a tool needs a function with a string name");
    }
    return new Tool(name, f.getString("description"), f.getJsonObject("parameters"));
  }
}
