package dev.tokenbus.gateway.grammar;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SchemaValidatorsConfig;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import io.vertx.core.json.JsonObject;
import java.util.Set;

/** Validates JSON text against a JSON Schema (draft 2020-12, formats asserted) with networknt's validator. */
public final class SchemaCheck {

  private static final ObjectMapper MAPPER = new ObjectMapper();

  private SchemaCheck() {}

  /** The validation errors of {@code json} against {@code schema}; empty when it validates. Unparsable JSON is an error. */
  public static Set<ValidationMessage> errors(JsonObject schema, String json) {
    SchemaValidatorsConfig config = SchemaValidatorsConfig.builder().formatAssertionsEnabled(true).build();
    JsonSchema s = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012).getSchema(schema.encode(), config);
    JsonNode node;
    try {
      node = MAPPER.readTree(json);
    } catch (Exception e) {
      throw new AssertionError("not JSON: " + json, e);
    }
    return s.validate(node);
  }
}
