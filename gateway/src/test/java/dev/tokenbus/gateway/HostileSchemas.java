package dev.tokenbus.gateway;

import dev.tokenbus.gateway.grammar.SchemaCorpus;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Hostile JSON Schemas and {@code pattern}s, every one of them refused by the gateway, and the
 * requests that carry them to each place a schema is read: {@code json_schema} on
 * {@code /v1/generate} and the WebSocket, {@code response_format} on {@code /v1/completions} and
 * {@code /v1/chat/completions}, and a tool's {@code parameters} when a call is required. Depth and
 * size bombs, repetition bombs, contradictory bounds, {@code $ref} cycles, and the valid schemas
 * of {@link SchemaCorpus} with one reachable part replaced by one of those. Each fits a 64 KiB
 * body. Drawn from the caller's seeded {@link Random}.
 */
final class HostileSchemas {

  /** What a schema was made to exercise. */
  enum Kind { DEEP_PATTERN, LONG_PATTERN, REPEAT_BOMB, DEEP_SCHEMA, DEEP_JSON, CONTRADICTION, BREADTH, REF_CYCLE,
    HUGE_GRAMMAR, MUTATED }

  /** A request: where it goes and its body. */
  record Request(String route, byte[] body) {}

  private static final String MARK = "{\"$hostile\":0}";

  private HostileSchemas() {}

  /** An HTTP request carrying a hostile schema to one of the routes that read one. */
  static Request request(Random rng) {
    String schema = schema(rng, Kind.values()[rng.nextInt(Kind.values().length)]);
    JsonArray messages = new JsonArray().add(new JsonObject().put("role", "user").put("content", "hi"));
    JsonObject mark = new JsonObject(MARK);
    JsonObject toolChoice = new JsonObject().put("type", "function").put("function", new JsonObject().put("name", "f"));
    Request r = switch (rng.nextInt(6)) {
      case 0 -> new Request("/v1/generate", bytes(new JsonObject().put("prompt", "hi").put("max_tokens", 2)
          .put("json_schema", mark)));
      case 1 -> new Request("/v1/completions", bytes(new JsonObject().put("prompt", "hi").put("max_tokens", 2)
          .put("response_format", new JsonObject().put("type", "json_object").put("schema", mark))));
      case 2 -> new Request("/v1/chat/completions", bytes(new JsonObject().put("messages", messages).put("max_tokens", 2)
          .put("response_format", new JsonObject().put("type", "json_schema").put("json_schema",
              new JsonObject().put("name", "x").put("strict", true).put("schema", mark)))));
      case 4 -> new Request("/v1/responses", bytes(new JsonObject().put("input", "hi").put("max_output_tokens", 2)
          .put("text", new JsonObject().put("format", new JsonObject().put("type", "json_schema").put("name", "x")
              .put("strict", true).put("schema", mark)))));
      case 5 -> new Request("/v1/responses", bytes(new JsonObject().put("input", "hi").put("max_output_tokens", 2)
          .put("tool_choice", rng.nextBoolean() ? "required" : new JsonObject().put("type", "function").put("name", "f"))
          .put("tools", new JsonArray().add(new JsonObject().put("type", "function").put("name", "f")
              .put("parameters", mark)))));
      default -> new Request("/v1/chat/completions", bytes(new JsonObject().put("messages", messages)
          .put("max_tokens", 2).put("tool_choice", rng.nextBoolean() ? "required" : toolChoice)
          .put("tools", new JsonArray().add(new JsonObject().put("type", "function").put("function",
              new JsonObject().put("name", "f").put("parameters", mark))))));
    };
    return new Request(r.route(), new String(r.body(), StandardCharsets.UTF_8).replace(MARK, schema)
        .getBytes(StandardCharsets.UTF_8));
  }

  /** A WebSocket {@code generate} frame carrying a hostile {@code json_schema}. */
  static String frame(Random rng) {
    String schema = schema(rng, Kind.values()[rng.nextInt(Kind.values().length)]);
    return "{\"type\":\"generate\",\"id\":\"s\",\"prompt\":\"hi\",\"max_tokens\":2,\"json_schema\":" + schema + "}";
  }

  private static byte[] bytes(JsonObject o) {
    return o.encode().getBytes(StandardCharsets.UTF_8);
  }

  /** A schema of {@code kind}, as JSON text (a depth bomb cannot be a JsonObject). */
  static String schema(Random rng, Kind kind) {
    return switch (kind) {
      case DEEP_PATTERN -> string(nested(logUniform(rng, 33, 8_000), pick(rng, "(", "(?:", "(?<g>"), pick(rng, "a",
          "[0-9]", "\\\\d", "."), pick(rng, ")", ")*", ")?", "){1,2}", "|b)")));
      case LONG_PATTERN -> string("^" + repeatTo(pick(rng, "a", "[a-z]", "\\\\d", ".", "(ab|c)", "x?"),
          4097 + rng.nextInt(25_000)) + "$");
      case REPEAT_BOMB -> string(repeatBomb(rng));
      case DEEP_SCHEMA -> {
        int depth = 65 + rng.nextInt(60);
        yield switch (rng.nextInt(4)) {
          case 0 -> nested(depth, "{\"type\":\"object\",\"properties\":{\"a\":", "{\"type\":\"null\"}", "}}");
          case 1 -> nested(depth, "{\"type\":\"array\",\"items\":", "{\"type\":\"null\"}", "}");
          case 2 -> nested(depth, "{\"anyOf\":[", "{\"type\":\"null\"}", "]}");
          default -> nested(depth, "{\"allOf\":[", "{\"type\":\"integer\"}", "]}");
        };
      }
      case DEEP_JSON -> {
        int depth = logUniform(rng, 257, 10_000);
        String inner = rng.nextBoolean() ? nested(depth, "[", "1", "]") : nested(depth, "{\"a\":", "1", "}");
        yield "{\"type\":\"object\",\"" + pick(rng, "x-deep", "default", "properties", "description") + "\":" + inner + "}";
      }
      case CONTRADICTION -> contradiction(rng);
      case BREADTH -> breadth(rng);
      case REF_CYCLE -> pick(rng, "{\"$ref\":\"#\"}",
          "{\"$defs\":{\"a\":{\"$ref\":\"#/$defs/a\"}},\"$ref\":\"#/$defs/a\"}",
          "{\"$defs\":{\"a\":{\"$ref\":\"#/$defs/b\"},\"b\":{\"allOf\":[{\"$ref\":\"#/$defs/a\"}]}},\"$ref\":\"#/$defs/a\"}",
          "{\"$defs\":{\"e\":{\"anyOf\":[{\"type\":\"null\"},{\"$ref\":\"#/$defs/e\"}]}},\"type\":\"object\","
              + "\"properties\":{\"v\":{\"$ref\":\"#/$defs/e\"}},\"required\":[\"v\"]}",
          "{\"type\":\"object\",\"properties\":{\"v\":{\"$ref\":\"#/$defs/missing\"}}}",
          "{\"type\":\"object\",\"properties\":{\"v\":{\"$ref\":\"https://example.com/s.json\"}}}");
      case HUGE_GRAMMAR -> {
        // Each '.' is a class with a dozen escapes: about 430 characters of grammar per byte of pattern.
        StringBuilder p = new StringBuilder("{\"type\":\"object\",\"properties\":{");
        int n = 1 + rng.nextInt(12);
        for (int i = 0; i < n; i++) {
          p.append(i > 0 ? "," : "").append("\"p").append(i).append("\":").append(string("^" + ".".repeat(700
              + rng.nextInt(3300)) + "$"));
        }
        yield p.append("}}").toString();
      }
      case MUTATED -> mutated(rng);
    };
  }

  private static String string(String pattern) {
    return "{\"type\":\"string\",\"pattern\":\"" + pattern + "\"}";
  }

  private static String repeatBomb(Random rng) {
    int a = 2 + rng.nextInt(1999);
    int b = Math.min(2000, 2001 / a + 1 + rng.nextInt(50));
    return switch (rng.nextInt(6)) {
      case 0 -> "^(a{" + a + "}){" + b + "}$";
      case 1 -> "(?:[0-9]{0," + a + "}x){1," + b + "}";
      case 2 -> "^((ab{" + (2 + rng.nextInt(20)) + "}){" + (2 + rng.nextInt(20)) + "}){" + (501 + rng.nextInt(1500))
          + "}$";
      case 3 -> "a{" + (2001 + rng.nextInt(7998)) + "}";
      case 4 -> "a{" + a + "}{" + b + "}";
      default -> "^.{" + (b + 1 + rng.nextInt(99)) + "," + b + "}$";
    };
  }

  private static String contradiction(Random rng) {
    int lo = 1 + rng.nextInt(5000);
    int below = rng.nextInt(lo);
    return switch (rng.nextInt(11)) {
      case 0 -> "{\"type\":\"string\",\"minLength\":" + lo + ",\"maxLength\":" + below + "}";
      case 1 -> "{\"type\":\"integer\",\"minimum\":" + lo + ",\"maximum\":" + below + "}";
      case 2 -> "{\"type\":\"integer\",\"exclusiveMinimum\":" + lo + ",\"exclusiveMaximum\":" + (lo + rng.nextInt(2)) + "}";
      case 3 -> "{\"type\":\"number\",\"minimum\":" + lo + ",\"maximum\":" + below + "}";
      case 4 -> "{\"type\":\"array\",\"minItems\":" + lo + ",\"maxItems\":" + below + "}";
      case 5 -> "{\"type\":\"array\",\"items\":false,\"minItems\":" + lo + "}";
      case 6 -> "{\"type\":\"array\",\"prefixItems\":[{\"type\":\"null\"}],\"items\":false,\"minItems\":" + (1 + lo) + "}";
      case 7 -> pick(rng, "{\"type\":[]}", "{\"enum\":[]}", "{\"anyOf\":[]}",
          "{\"type\":\"object\",\"properties\":{\"a\":false}}",
          "{\"type\":\"object\",\"properties\":{\"a\":false},\"required\":[\"a\"]}");
      case 8 -> string(pick(rng, "^[^\\\\s\\\\S]$", "^a{" + lo + "," + below + "}$", "[z-a]", "(?=a)b", "\\\\1(a)"));
      case 9 -> "{\"type\":\"string\",\"minLength\":" + (100_001 + lo) + "}";
      default -> "{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"integer\"}},\"required\":[\"b\"],"
          + "\"additionalProperties\":false}";
    };
  }

  private static String breadth(Random rng) {
    int n;
    StringBuilder b = new StringBuilder();
    switch (rng.nextInt(5)) {
      case 0 -> {
        n = 1025 + rng.nextInt(3000);
        b.append("{\"enum\":[");
        for (int i = 0; i < n; i++) {
          b.append(i > 0 ? "," : "").append(i);
        }
        b.append("]}");
      }
      case 1 -> {
        n = 129 + rng.nextInt(800);
        b.append("{\"anyOf\":[");
        for (int i = 0; i < n; i++) {
          b.append(i > 0 ? "," : "").append("{\"const\":").append(i).append('}');
        }
        b.append("]}");
      }
      case 2 -> {
        n = 257 + rng.nextInt(1500);
        b.append("{\"type\":\"object\",\"properties\":{");
        for (int i = 0; i < n; i++) {
          b.append(i > 0 ? "," : "").append("\"p").append(i).append("\":{}");
        }
        b.append("}}");
      }
      case 3 -> {
        n = 257 + rng.nextInt(3000);
        b.append("{\"type\":\"array\",\"items\":false,\"prefixItems\":[");
        for (int i = 0; i < n; i++) {
          b.append(i > 0 ? "," : "").append("{}");
        }
        b.append("]}");
      }
      default -> {
        n = 2 + rng.nextInt(5000);
        b.append("{\"type\":[");
        for (int i = 0; i < n; i++) {
          b.append(i > 0 ? "," : "").append("\"string\"");
        }
        b.append("]}");
      }
    }
    return b.toString();
  }

  /** A schema of the corpus with one part a value is generated from replaced by a hostile one. */
  private static String mutated(Random rng) {
    List<Map.Entry<String, JsonObject>> corpus = new ArrayList<>(SchemaCorpus.bounded().entrySet());
    corpus.addAll(SchemaCorpus.unbounded().entrySet());
    JsonObject schema = corpus.get(rng.nextInt(corpus.size())).getValue().copy();
    List<Runnable> places = new ArrayList<>();
    collect(schema, places);
    // Not a $ref cycle: below a property it recurses through "{", which is a grammar (if one without end).
    List<Kind> kinds = new ArrayList<>(List.of(Kind.values()));
    kinds.removeAll(List.of(Kind.MUTATED, Kind.REF_CYCLE));
    Kind inner = kinds.get(rng.nextInt(kinds.size()));
    if (places.isEmpty() || rng.nextInt(8) == 0) {
      return schema(rng, inner);
    }
    places.get(rng.nextInt(places.size())).run();
    return schema.encode().replace(MARK, schema(rng, inner));
  }

  /** The places in {@code schema} whose sub-schema is converted: each, when run, puts the marker there. */
  private static void collect(JsonObject schema, List<Runnable> places) {
    if (schema.getValue("properties") instanceof JsonObject props) {
      for (String name : props.fieldNames()) {
        places.add(() -> props.put(name, new JsonObject(MARK)));
        if (props.getValue(name) instanceof JsonObject child) {
          collect(child, places);
        }
      }
    }
    if (schema.getValue("items") instanceof JsonObject items) {
      places.add(() -> schema.put("items", new JsonObject(MARK)));
      collect(items, places);
    }
    for (String key : List.of("anyOf", "prefixItems")) {
      if (schema.getValue(key) instanceof JsonArray branches) {
        for (int i = 0; i < branches.size(); i++) {
          int at = i;
          places.add(() -> branches.set(at, new JsonObject(MARK)));
          if (branches.getValue(i) instanceof JsonObject child) {
            collect(child, places);
          }
        }
      }
    }
  }

  private static String nested(int depth, String open, String inner, String close) {
    return open.repeat(depth) + inner + close.repeat(depth);
  }

  private static int logUniform(Random rng, int lo, int hi) {
    return (int) Math.round(Math.exp(Math.log(lo) + rng.nextDouble() * (Math.log(hi) - Math.log(lo))));
  }

  /** {@code unit} (JSON string text) repeated until its decoded text is at least {@code chars} long. */
  private static String repeatTo(String unit, int chars) {
    return unit.repeat(chars / unit.replace("\\\\", "\\").length() + 1);
  }

  private static String pick(Random rng, String... options) {
    return options[rng.nextInt(options.length)];
  }
}
