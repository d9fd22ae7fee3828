package dev.tokenbus.gateway.grammar;

import dev.tokenbus.protocol.RequestValidationException;

/**
 * A JSON Schema (or a part of one) that cannot be turned into a grammar: the request is refused
 * with 400, naming where in the schema and what, rather than generating unconstrained output.
 */
public final class UnsupportedSchemaException extends RequestValidationException {

  private final String detail;

  UnsupportedSchemaException(String schemaPath, String detail) {
    this("json_schema", schemaPath, detail);
  }

  private UnsupportedSchemaException(String param, String schemaPath, String detail) {
    super(param, "JSON Schema at " + (schemaPath.isEmpty() ? "#" : schemaPath) + ": " + detail);
    this.detail = schemaPath + "\u0000" + detail;
  }

  /** The same error reported against another request field (e.g. {@code response_format}, {@code tools}). */
  public UnsupportedSchemaException forParam(String param) {
    int split = detail.indexOf('\u0000');
    return new UnsupportedSchemaException(param, detail.substring(0, split), detail.substring(split + 1));
  }
}
