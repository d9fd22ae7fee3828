package dev.tokenbus.gateway.api;

import dev.tokenbus.gateway.grammar.JsonSchemaGrammar;
import dev.tokenbus.gateway.grammar.UnsupportedSchemaException;
import dev.tokenbus.gateway.json.Fields;
import dev.tokenbus.protocol.RequestValidationException;
import io.vertx.core.json.JsonObject;

/**
 * Reads a request's output constraint into the GBNF grammar the worker enforces: the native
 * {@code grammar} (GBNF, passed through: {@code StreamConfig.validate} checks it, the worker
 * parses it) or {@code json_schema} (a JSON Schema), and OpenAI's {@code response_format}
 * ({@code text}, {@code json_object}, {@code json_schema}). At most one may be given.
 */
public final class StructuredOutput {

  private StructuredOutput() {}

  /** The native fields {@code grammar} and {@code json_schema}: a grammar, or null for neither. */
  public static String nativeGrammar(JsonObject body) {
    String grammar = Fields.string(body, "grammar");
    Object schema = body.getValue("json_schema");
    if (grammar != null && schema != null) {
      throw new RequestValidationException("grammar", "give either grammar or json_schema, not both");
    }
    if (grammar != null) {
      if (grammar.isBlank()) {
        throw new RequestValidationException("grammar", "grammar must be a non-empty GBNF grammar");
      }
      return grammar;
    }
    if (schema == null) {
      return null;
    }
    if (!(schema instanceof JsonObject s)) {
      throw new RequestValidationException("json_schema", "json_schema must be a JSON Schema object, got "
          + Fields.kind(schema));
    }
    return JsonSchemaGrammar.forSchema(s);
  }

  /**
   * OpenAI's {@code response_format}: null for none or {@code text}, else the grammar of a JSON
   * object ({@code json_object}) or of the given schema ({@code json_schema}).
   */
  public static String responseFormat(JsonObject body) {
    Object v = body.getValue("response_format");
    if (v == null) {
      return null;
    }
    if (!(v instanceof JsonObject format)) {
      throw new RequestValidationException("response_format", "response_format must be an object, got "
          + Fields.kind(v));
    }
    String type = Fields.string(format, "type");
    if (type == null) {
      throw new RequestValidationException("response_format.type", "response_format.type is required");
    }
    String grammar = switch (type) {
      case "text" -> null;
      case "json_object" -> format.getValue("schema") instanceof JsonObject s ? schema(s, "response_format")
          : JsonSchemaGrammar.anyObject();
      case "json_schema" -> {
        Object js = format.getValue("json_schema");
        if (!(js instanceof JsonObject spec)) {
          throw new RequestValidationException("response_format.json_schema",
              "response_format.json_schema must be an object with the schema");
        }
        Object schema = spec.getValue("schema");
        if (schema == null) {
          yield JsonSchemaGrammar.anyObject();
        }
        if (!(schema instanceof JsonObject s)) {
          throw new RequestValidationException("response_format.json_schema.schema",
              "response_format.json_schema.schema must be a JSON Schema object");
        }
        yield schema(s, "response_format");
      }
      default -> throw new RequestValidationException("response_format.type", "response_format.type must be text,"
          + " json_object or json_schema, got " + type);
    };
    if (grammar != null && (body.getValue("grammar") != null || body.getValue("json_schema") != null)) {
      throw new RequestValidationException("response_format", "give response_format, grammar or json_schema, not several");
    }
    return grammar;
  }

  private static String schema(JsonObject schema, String param) {
    try {
      return JsonSchemaGrammar.forSchema(schema);
    } catch (UnsupportedSchemaException e) {
      throw e.forParam(param);
    }
  }
}
