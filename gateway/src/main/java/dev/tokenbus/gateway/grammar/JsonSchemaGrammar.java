package dev.tokenbus.gateway.grammar;

import dev.tokenbus.grammar.GbnfCheck;
import dev.tokenbus.grammar.GbnfException;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;

/**
 * Converts a JSON Schema into a GBNF grammar whose every sentence is JSON that validates against
 * the schema. What OpenAI's strict structured outputs accept is covered: objects ({@code properties},
 * {@code required}, {@code additionalProperties}), strings ({@code enum}, {@code const},
 * {@code pattern}, {@code minLength}/{@code maxLength}, the formats {@code date}, {@code time},
 * {@code date-time}, {@code uuid}, {@code email}, {@code ipv4}), integers and numbers with bounds,
 * booleans, null, arrays ({@code items}, {@code prefixItems}, {@code minItems}/{@code maxItems}),
 * {@code anyOf}, type lists, {@code $ref} to {@code $defs}/{@code definitions} (recursion included)
 * and nested objects. Any keyword the grammar could not enforce is refused with
 * {@link UnsupportedSchemaException} naming it; annotations ({@code title}, {@code description},
 * {@code default}, {@code examples}, {@code $schema}, {@code $id}, {@code $comment}, {@code x-*}) are ignored.
 *
 * <p>Generated JSON is compact: no whitespace between its tokens. Properties come in
 * the schema's order; optional ones may be left out. Numbers have no exponent.
 *
 * <p>Every input is bounded where it is read, so that no schema can make the conversion, or the
 * engine that parses its grammar, run out of stack, memory or time: nesting ({@value #MAX_DEPTH}
 * levels), properties and tuple items per schema ({@value #MAX_PROPERTIES}), {@code enum} values
 * ({@value #MAX_ENUM}), {@code anyOf} branches ({@value #MAX_BRANCHES}), patterns (see
 * {@link RegexGrammar}), the grammar's size and what its repetitions expand to (see {@link Gbnf}).
 * A {@code $ref} that comes back to itself before any character is written (a left recursion
 * through {@code $ref}, {@code anyOf} or {@code allOf}) is refused, as are bounds that leave
 * nothing to generate ({@code minItems} above {@code maxItems}, and the like).
 */
public final class JsonSchemaGrammar {

  private static final Set<String> ANNOTATIONS = Set.of("title", "description", "default", "examples", "$schema",
      "$id", "$comment", "deprecated", "readOnly", "writeOnly", "$defs", "definitions", "contentEncoding",
      "contentMediaType", "strict", "name");
  private static final Map<String, Set<String>> KEYWORDS = Map.of(
      "object", Set.of("properties", "required", "additionalProperties"),
      "string", Set.of("minLength", "maxLength", "pattern", "format"),
      "integer", Set.of("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"),
      "number", Set.of("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"),
      "array", Set.of("items", "minItems", "maxItems", "prefixItems"),
      "boolean", Set.of(),
      "null", Set.of());
  private static final Set<String> GENERAL = Set.of("type", "enum", "const", "anyOf", "allOf", "$ref");

  /** How deep a schema may nest before it is refused (each level is a rule; recursion through $ref is fine). */
  private static final int MAX_DEPTH = 64;
  /** The most {@code properties} (or {@code prefixItems}) one schema may declare. */
  static final int MAX_PROPERTIES = 256;
  /** The most values one {@code enum} may list. */
  static final int MAX_ENUM = 1024;
  /** The most branches one {@code anyOf} may have. */
  static final int MAX_BRANCHES = 128;

  private final Gbnf g = new Gbnf();
  private JsonObject document;
  private final Map<String, String> refRules = new HashMap<>();
  /** The references being converted since the last character a value must begin with: one seen again is a left recursion. */
  private Set<String> leftEdge = new HashSet<>();
  /** The schema being converted, for an error about the grammar as a whole. */
  private String at = "#";

  private JsonSchemaGrammar(JsonObject document) {
    this.document = document;
  }

  /** The grammar of the JSON values {@code schema} accepts. */
  public static String forSchema(JsonObject schema) {
    JsonSchemaGrammar c = new JsonSchemaGrammar(schema);
    return c.bounded(() -> {
      c.g.define("root", c.value(schema, "#", "root", 0));
      return checked(c.g.render());
    });
  }

  /** The grammar of any JSON object (OpenAI's {@code json_object} mode). */
  public static String anyObject() {
    JsonSchemaGrammar c = new JsonSchemaGrammar(new JsonObject());
    c.g.define("root", c.anyObjectRule());
    return c.g.render();
  }

  /**
   * A converter for callers that build their own start rule around schema values (tool calls):
   * {@link #valueRule} for each schema, then {@link #render}.
   */
  public static JsonSchemaGrammar builder() {
    return new JsonSchemaGrammar(new JsonObject());
  }

  /** A rule for the values of {@code schema} ({@code $ref}s resolve inside it); returns the rule name. */
  public String valueRule(JsonObject schema, String hint) {
    document = schema;
    refRules.clear();
    leftEdge.clear();
    return bounded(() -> g.add(hint, value(schema, "#", hint, 0)));
  }

  /** Adds {@code root ::= body} and returns the grammar text. */
  public String render(String rootBody) {
    return bounded(() -> {
      g.define("root", rootBody);
      return checked(g.render());
    });
  }

  /**
   * The finished grammar, checked as the worker will check it ({@link GbnfCheck}): one it refuses
   * is this schema's error, naming the problem (a {@code pattern} such as {@code (()+)+} makes a rule
   * that repeats what may match nothing, which llama.cpp would follow without end).
   */
  private static String checked(String grammar) {
    try {
      GbnfCheck.check(grammar);
      return grammar;
    } catch (GbnfException e) {
      throw new UnsupportedSchemaException("#", "the grammar it makes cannot be enforced: " + e.getMessage());
    }
  }

  /** Runs a step of the conversion, reporting a grammar that grows past its bounds as this schema's error. */
  private String bounded(Supplier<String> step) {
    try {
      return step.get();
    } catch (Gbnf.TooLarge e) {
      throw new UnsupportedSchemaException(at, "the schema is too large to enforce: " + e.getMessage());
    }
  }

  /** A literal for a caller's start rule. */
  public static String literal(String text) {
    return Gbnf.literal(text);
  }

  private Gbnf grammar() {
    return g;
  }

  // ---- values

  private String value(Object schemaValue, String path, String hint, int depth) {
    if (depth > MAX_DEPTH) {
      throw new UnsupportedSchemaException(path, "nests deeper than " + MAX_DEPTH + " levels");
    }
    at = path;
    if (schemaValue instanceof Boolean b) {
      if (!b) {
        throw new UnsupportedSchemaException(path, "the schema false accepts nothing");
      }
      return anyValueRule();
    }
    if (!(schemaValue instanceof JsonObject schema)) {
      throw new UnsupportedSchemaException(path, "a schema must be an object or a boolean");
    }
    checkKeywords(schema, path);
    if (schema.containsKey("$ref")) {
      if (schema.fieldNames().stream().anyMatch(k -> !ANNOTATIONS.contains(k) && !k.startsWith("x-") && !k.equals("$ref"))) {
        throw new UnsupportedSchemaException(path, "$ref next to other constraints is not supported");
      }
      return ref(schema.getValue("$ref"), path, depth);
    }
    if (schema.containsKey("const")) {
      return constant(schema.getValue("const"), path);
    }
    if (schema.containsKey("enum")) {
      Object e = schema.getValue("enum");
      if (!(e instanceof JsonArray values) || values.isEmpty()) {
        throw new UnsupportedSchemaException(path + "/enum", "enum must be a non-empty array");
      }
      if (values.size() > MAX_ENUM) {
        throw new UnsupportedSchemaException(path + "/enum", "enum lists " + values.size() + " values; at most "
            + MAX_ENUM + " are supported");
      }
      List<String> alternatives = new ArrayList<>();
      for (Object v : values) {
        alternatives.add(constantBody(v, path + "/enum"));
      }
      return group(String.join(" | ", alternatives));
    }
    if (schema.containsKey("anyOf")) {
      return anyOf(schema, "anyOf", path, hint, depth);
    }
    if (schema.containsKey("allOf")) {
      Object all = schema.getValue("allOf");
      if (!(all instanceof JsonArray a) || a.size() != 1) {
        throw new UnsupportedSchemaException(path + "/allOf", "allOf is supported with exactly one schema");
      }
      return value(a.getValue(0), path + "/allOf/0", hint, depth + 1);
    }
    Object type = schema.getValue("type");
    if (type == null) {
      return inferredType(schema, path, hint, depth);
    }
    if (type instanceof JsonArray types) {
      if (types.isEmpty()) {
        throw new UnsupportedSchemaException(path + "/type", "an empty list of types accepts nothing");
      }
      if (new HashSet<>(types.getList()).size() != types.size()) {
        throw new UnsupportedSchemaException(path + "/type", "the list of types names a type twice");
      }
      List<String> alternatives = new ArrayList<>();
      for (Object t : types) {
        alternatives.add(typed(schema, typeName(t, path), path, hint, depth));
      }
      return group(String.join(" | ", alternatives));
    }
    return typed(schema, typeName(type, path), path, hint, depth);
  }

  private String inferredType(JsonObject schema, String path, String hint, int depth) {
    for (Map.Entry<String, Set<String>> e : KEYWORDS.entrySet()) {
      if (e.getValue().stream().anyMatch(schema::containsKey)) {
        return typed(schema, e.getKey(), path, hint, depth);
      }
    }
    return anyValueRule();
  }

  private static String typeName(Object t, String path) {
    if (!(t instanceof String s) || !KEYWORDS.containsKey(s)) {
      throw new UnsupportedSchemaException(path + "/type", "unknown type " + Json.encode(t));
    }
    return s;
  }

  private void checkKeywords(JsonObject schema, String path) {
    Set<String> allowed = new LinkedHashSet<>(GENERAL);
    Object type = schema.getValue("type");
    List<Object> types = type instanceof JsonArray a ? a.getList() : type == null ? List.copyOf(KEYWORDS.keySet())
        : List.of(type);
    for (Object t : types) {
      Set<String> k = t instanceof String s ? KEYWORDS.get(s) : null;
      if (k != null) {
        allowed.addAll(k);
      }
    }
    for (String key : schema.fieldNames()) {
      if (!allowed.contains(key) && !ANNOTATIONS.contains(key) && !key.startsWith("x-")) {
        boolean known = KEYWORDS.values().stream().anyMatch(s -> s.contains(key));
        throw new UnsupportedSchemaException(path + "/" + key, known
            ? key + " does not apply to type " + Json.encode(type)
            : "the keyword " + key + " is not supported");
      }
    }
  }

  private String typed(JsonObject schema, String type, String path, String hint, int depth) {
    return switch (type) {
      case "object" -> object(schema, path, hint, depth);
      case "array" -> array(schema, path, hint, depth);
      case "string" -> string(schema, path, hint);
      case "integer" -> integer(schema, path);
      case "number" -> number(schema, path);
      case "boolean" -> grammar().shared("boolean", "(\"true\" | \"false\")");
      case "null" -> grammar().shared("null", "\"null\"");
      default -> throw new UnsupportedSchemaException(path, "unknown type " + type);
    };
  }

  private String anyOf(JsonObject schema, String key, String path, String hint, int depth) {
    Object v = schema.getValue(key);
    if (!(v instanceof JsonArray branches) || branches.isEmpty()) {
      throw new UnsupportedSchemaException(path + "/" + key, key + " must be a non-empty array of schemas");
    }
    if (schema.containsKey("type") || schema.containsKey("properties")) {
      throw new UnsupportedSchemaException(path, key + " next to type or properties is not supported: put them in each branch");
    }
    if (branches.size() > MAX_BRANCHES) {
      throw new UnsupportedSchemaException(path + "/" + key, key + " has " + branches.size() + " branches; at most "
          + MAX_BRANCHES + " are supported");
    }
    List<String> alternatives = new ArrayList<>();
    for (int i = 0; i < branches.size(); i++) {
      String branch = value(branches.getValue(i), path + "/" + key + "/" + i, hint + "-" + i, depth + 1);
      alternatives.add(grammar().add(hint + "-" + i, branch));
    }
    return group(String.join(" | ", alternatives));
  }

  private String ref(Object ref, String path, int depth) {
    if (!(ref instanceof String r) || !r.startsWith("#")) {
      throw new UnsupportedSchemaException(path + "/$ref", "only local references (#/$defs/...) are supported, got "
          + Json.encode(ref));
    }
    if (leftEdge.contains(r)) {
      throw new UnsupportedSchemaException(path + "/$ref", "the reference " + r + " comes back to itself before any"
          + " value is written (through $ref, anyOf or allOf): it would never end");
    }
    String existing = refRules.get(r);
    if (existing != null) {
      return existing;
    }
    Object target = resolve(r, path);
    String name = grammar().reserve("ref-" + r.substring(r.lastIndexOf('/') + 1));
    refRules.put(r, name);
    leftEdge.add(r);
    grammar().define(name, value(target, r, name, depth + 1));
    leftEdge.remove(r);
    return name;
  }

  private Object resolve(String ref, String path) {
    Object node = document;
    if (ref.equals("#")) {
      return node;
    }
    if (!ref.startsWith("#/")) {
      throw new UnsupportedSchemaException(path + "/$ref", "unsupported reference " + ref);
    }
    for (String part : ref.substring(2).split("/")) {
      String key = part.replace("~1", "/").replace("~0", "~");
      if (node instanceof JsonObject o && o.containsKey(key)) {
        node = o.getValue(key);
      } else {
        throw new UnsupportedSchemaException(path + "/$ref", "the reference " + ref + " points to nothing");
      }
    }
    return node;
  }

  private String constant(Object v, String path) {
    return constantBody(v, path);
  }

  private static String constantBody(Object v, String path) {
    if (v instanceof Double d && (d.isNaN() || d.isInfinite())) {
      throw new UnsupportedSchemaException(path, "a non-finite number is not JSON");
    }
    return Gbnf.literal(Json.encode(v));
  }

  // ---- objects

  /** Converts what comes after a value's first character ({@code {}, {@code [}): no longer at the left edge. */
  private String inside(Supplier<String> conversion) {
    Set<String> outer = leftEdge;
    leftEdge = new HashSet<>();
    try {
      return conversion.get();
    } finally {
      leftEdge = outer;
    }
  }

  private String object(JsonObject schema, String path, String hint, int depth) {
    return inside(() -> objectInside(schema, path, hint, depth));
  }

  private String objectInside(JsonObject schema, String path, String hint, int depth) {
    Object p = schema.getValue("properties");
    if (p != null && !(p instanceof JsonObject)) {
      throw new UnsupportedSchemaException(path + "/properties", "properties must be an object");
    }
    JsonObject properties = p == null ? new JsonObject() : (JsonObject) p;
    if (properties.size() > MAX_PROPERTIES) {
      throw new UnsupportedSchemaException(path + "/properties", "declares " + properties.size() + " properties; at most "
          + MAX_PROPERTIES + " are supported");
    }
    Set<String> required = new LinkedHashSet<>();
    Object r = schema.getValue("required");
    if (r != null) {
      if (!(r instanceof JsonArray ra)) {
        throw new UnsupportedSchemaException(path + "/required", "required must be an array of names");
      }
      for (Object name : ra) {
        if (!(name instanceof String s)) {
          throw new UnsupportedSchemaException(path + "/required", "required must be an array of names");
        }
        required.add(s);
      }
    }
    Object additional = schema.getValue("additionalProperties");
    for (String name : required) {
      if (!properties.containsKey(name)) {
        if (Boolean.FALSE.equals(additional)) {
          throw new UnsupportedSchemaException(path + "/required", "the required property " + name
              + " is not in properties, and additionalProperties is false");
        }
        throw new UnsupportedSchemaException(path + "/required", "the required property " + name
            + " has no schema in properties");
      }
    }
    if (properties.isEmpty()) {
      if (additional instanceof JsonObject valueSchema) {
        String v = grammar().add(hint + "-value", value(valueSchema, path + "/additionalProperties", hint + "-value",
            depth + 1));
        return map(v);
      }
      if (Boolean.FALSE.equals(additional)) {
        return "\"{\" \"}\"";
      }
      return anyObjectRule();
    }
    if (additional != null && !(additional instanceof Boolean) && !(additional instanceof JsonObject)) {
      throw new UnsupportedSchemaException(path + "/additionalProperties", "must be a boolean or a schema");
    }
    // Only the declared properties are generated: valid whatever additionalProperties allows.
    List<String> names = new ArrayList<>(properties.fieldNames());
    List<String> members = new ArrayList<>();
    for (String name : names) {
      String v = value(properties.getValue(name), path + "/properties/" + name, hint + "-" + name, depth + 1);
      String vRule = grammar().add(hint + "-" + name, v);
      members.add(grammar().add(hint + "-" + name + "-kv", Gbnf.literal(Json.encode(name)) + " \":\" " + vRule));
    }
    // first[i]: members i.. with none written yet; after[i]: members i.. after some were written.
    // null stands for "nothing left", which only the empty text matches.
    int n = names.size();
    String[] first = new String[n + 1];
    String[] after = new String[n + 1];
    for (int i = n - 1; i >= 0; i--) {
      boolean req = required.contains(names.get(i));
      String kv = members.get(i);
      String tail = after[i + 1] == null ? "" : " " + after[i + 1];
      String next = "\",\" " + kv + tail;
      after[i] = grammar().add(hint + "-after-" + i, req ? next
          : after[i + 1] == null ? "(" + next + ")?" : "(" + next + ") | " + after[i + 1]);
      String start = kv + tail;
      first[i] = grammar().add(hint + "-first-" + i, req ? start
          : first[i + 1] == null ? "(" + start + ")?" : "(" + start + ") | " + first[i + 1]);
    }
    return "\"{\" " + first[0] + " \"}\"";
  }

  private String map(String valueRule) {
    String string = stringRule();
    String kv = grammar().add("map-kv", string + " \":\" " + valueRule);
    return "\"{\" (" + kv + " (\",\" " + kv + ")*)? \"}\"";
  }

  // ---- arrays

  private String array(JsonObject schema, String path, String hint, int depth) {
    return inside(() -> arrayInside(schema, path, hint, depth));
  }

  private String arrayInside(JsonObject schema, String path, String hint, int depth) {
    Integer min = count(schema, "minItems", path);
    Integer max = count(schema, "maxItems", path);
    int lo = min == null ? 0 : min;
    if (max != null && max < lo) {
      throw new UnsupportedSchemaException(path, "maxItems is below minItems");
    }
    Object prefix = schema.getValue("prefixItems");
    Object items = schema.getValue("items");
    if (prefix != null) {
      return tuple(prefix, items, lo, max, path, hint, depth);
    }
    if (Boolean.FALSE.equals(items)) {
      if (lo > 0) {
        throw new UnsupportedSchemaException(path, "minItems is above 0 while items is false: no array is valid");
      }
      return "\"[\" \"]\"";
    }
    String item = items == null || Boolean.TRUE.equals(items) ? anyValueRule()
        : grammar().add(hint + "-item", value(items, path + "/items", hint + "-item", depth + 1));
    String more = "(\",\" " + item + ")";
    String list;
    if (max != null && max == 0) {
      list = "";
    } else {
      list = item + " " + grammar().repeat(more, Math.max(lo - 1, 0), max == null ? null : max - 1);
      if (lo == 0) {
        list = "(" + list + ")?";
      }
    }
    return "\"[\" " + list + " \"]\"";
  }

  /** {@code prefixItems} (with {@code items} false): the tuple, or a prefix of it from lo to max items long. */
  private String tuple(Object prefix, Object items, int lo, Integer max, String path, String hint, int depth) {
    if (!(prefix instanceof JsonArray pa)) {
      throw new UnsupportedSchemaException(path + "/prefixItems", "prefixItems must be an array of schemas");
    }
    if (pa.size() > MAX_PROPERTIES) {
      throw new UnsupportedSchemaException(path + "/prefixItems", "prefixItems lists " + pa.size()
          + " schemas; at most " + MAX_PROPERTIES + " are supported");
    }
    if (!Boolean.FALSE.equals(items) && items != null) {
      throw new UnsupportedSchemaException(path + "/items", "items next to prefixItems is supported only as false");
    }
    if (lo > pa.size()) {
      throw new UnsupportedSchemaException(path, "minItems is above the number of prefixItems with items false");
    }
    List<String> prefixRules = new ArrayList<>();
    for (int i = 0; i < pa.size(); i++) {
      prefixRules.add(grammar().add(hint + "-" + i, value(pa.getValue(i), path + "/prefixItems/" + i, hint + "-" + i,
          depth + 1)));
    }
    // From the last item back: rest[i] is items i.. of the tuple, optional where the array may end before i.
    int hi = max == null ? prefixRules.size() : Math.min(max, prefixRules.size());
    String rest = null;
    for (int i = hi - 1; i >= 0; i--) {
      String fromI = (i > 0 ? "\",\" " : "") + prefixRules.get(i) + (rest == null ? "" : " " + rest);
      rest = grammar().add(hint + "-from-" + i, i >= lo ? "(" + fromI + ")?" : fromI);
    }
    return "\"[\" " + (rest == null ? "" : rest + " ") + "\"]\"";
  }

  private static Integer count(JsonObject schema, String key, String path) {
    Object v = schema.getValue(key);
    if (v == null) {
      return null;
    }
    if (!(v instanceof Number n) || n.doubleValue() != Math.rint(n.doubleValue()) || n.doubleValue() < 0
        || n.doubleValue() > 100_000) {
      throw new UnsupportedSchemaException(path + "/" + key, key + " must be an integer from 0 to 100000");
    }
    return n.intValue();
  }

  // ---- strings

  private String string(JsonObject schema, String path, String hint) {
    Integer min = count(schema, "minLength", path);
    Integer max = count(schema, "maxLength", path);
    if (min != null && max != null && max < min) {
      throw new UnsupportedSchemaException(path, "maxLength is below minLength");
    }
    Object pattern = schema.getValue("pattern");
    Object format = schema.getValue("format");
    if (pattern != null) {
      if (!(pattern instanceof String p)) {
        throw new UnsupportedSchemaException(path + "/pattern", "pattern must be a string");
      }
      if (min != null || max != null || format != null) {
        throw new UnsupportedSchemaException(path, "pattern together with minLength, maxLength or format is not supported");
      }
      return "\"\\\"\" " + group(RegexGrammar.convert(p, path + "/pattern", grammar(), hint)) + " \"\\\"\"";
    }
    if (format != null) {
      if (min != null || max != null) {
        throw new UnsupportedSchemaException(path, "format together with minLength or maxLength is not supported");
      }
      return "\"\\\"\" " + format(format, path) + " \"\\\"\"";
    }
    if (min == null && max == null) {
      return stringRule();
    }
    String ch = grammar().shared("char", JsonChars.of(JsonChars.ANY));
    return "\"\\\"\" " + grammar().repeat(ch, min == null ? 0 : min, max) + " \"\\\"\"";
  }

  private String stringRule() {
    String ch = grammar().shared("char", JsonChars.of(JsonChars.ANY));
    return grammar().shared("string", "\"\\\"\" " + ch + "* \"\\\"\"");
  }

  private String format(Object format, String path) {
    if (!(format instanceof String f)) {
      throw new UnsupportedSchemaException(path + "/format", "format must be a string");
    }
    Gbnf r = grammar();
    String two = "[0-9]{2}";
    return switch (f) {
      case "date" -> date();
      case "time" -> time();
      case "date-time" -> r.shared("date-time", date() + " \"T\" " + time());
      case "uuid" -> r.shared("uuid", "[0-9a-fA-F]{8} \"-\" [0-9a-fA-F]{4} \"-\" [0-9a-fA-F]{4} \"-\" [0-9a-fA-F]{4} \"-\" "
          + "[0-9a-fA-F]{12}");
      // Bounded, so that a model cannot wander inside one forever: every address it allows is valid.
      // Validators check the top-level domain against IANA's list: common ones only.
      case "email" -> r.shared("email", "[a-zA-Z0-9_+]{1,16} (\".\" [a-zA-Z0-9_+]{1,16}){0,2} \"@\" " + label()
          + " (\".\" " + label() + "){0,2} \".\" (\"com\" | \"org\" | \"net\" | \"edu\" | \"io\" | \"dev\" | \"app\""
          + " | \"ai\" | \"info\" | \"de\" | \"uk\" | \"fr\" | \"nl\" | \"jp\" | \"ca\" | \"au\" | \"us\" | \"ch\")");
      case "ipv4" -> r.shared("ipv4", octet() + " \".\" " + octet() + " \".\" " + octet() + " \".\" " + octet());
      default -> throw new UnsupportedSchemaException(path + "/format", "the format " + f
          + " is not supported (date, time, date-time, uuid, email and ipv4 are)");
    };
  }

  private String date() {
    return grammar().shared("date", "[0-9]{4} \"-\" ((\"01\" | \"03\" | \"05\" | \"07\" | \"08\" | \"10\" | \"12\") \"-\" "
        + "(\"0\" [1-9] | [12] [0-9] | \"3\" [01]) | (\"04\" | \"06\" | \"09\" | \"11\") \"-\" (\"0\" [1-9] | [12] [0-9] | \"30\")"
        + " | \"02\" \"-\" (\"0\" [1-9] | \"1\" [0-9] | \"2\" [0-8]))");
  }

  private String time() {
    return grammar().shared("time", "([01] [0-9] | \"2\" [0-3]) \":\" [0-5] [0-9] \":\" [0-5] [0-9] (\".\" [0-9]{1,6})? "
        // Offsets within ±18:00 (java.time's range); no "-00:00", which validators often refuse.
        + "(\"Z\" | \"+\" (\"0\" [0-9] | \"1\" [0-7]) \":\" [0-5] [0-9] | \"-\" (\"0\" [1-9] | \"1\" [0-7]) \":\" [0-5] [0-9]"
        + " | [+\\x2D] \"18:00\")");
  }

  private String label() {
    return grammar().shared("hostname-label", "[a-zA-Z0-9] ([a-zA-Z0-9\\x2D]{0,30} [a-zA-Z0-9])?");
  }

  private String octet() {
    return grammar().shared("ipv4-octet", "(\"25\" [0-5] | \"2\" [0-4] [0-9] | \"1\" [0-9] [0-9] | [1-9] [0-9] | [0-9])");
  }

  // ---- numbers

  private String integer(JsonObject schema, String path) {
    Long lo = bound(schema, "minimum", path, true);
    Long hi = bound(schema, "maximum", path, false);
    Long xlo = bound(schema, "exclusiveMinimum", path, true);
    Long xhi = bound(schema, "exclusiveMaximum", path, false);
    if (xlo != null) {
      lo = lo == null ? xlo + 1 : Math.max(lo, xlo + 1);
    }
    if (xhi != null) {
      hi = hi == null ? xhi - 1 : Math.min(hi, xhi - 1);
    }
    if (lo != null && hi != null && lo > hi) {
      throw new UnsupportedSchemaException(path, "the bounds leave no integer");
    }
    if (lo == null && hi == null) {
      return grammar().shared("integer", "\"-\"? (\"0\" | [1-9] [0-9]{0,15})");
    }
    return group(IntegerRanges.range(lo, hi));
  }

  /** An integer bound (a fractional one rounded inward); null when absent. */
  private static Long bound(JsonObject schema, String key, String path, boolean lower) {
    Object v = schema.getValue(key);
    if (v == null) {
      return null;
    }
    if (!(v instanceof Number n) || !Double.isFinite(n.doubleValue())) {
      throw new UnsupportedSchemaException(path + "/" + key, key + " must be a number");
    }
    double d = n.doubleValue();
    if (Math.abs(d) >= IntegerRanges.UNBOUNDED_HIGH) {
      throw new UnsupportedSchemaException(path + "/" + key, key + " beyond ±" + IntegerRanges.UNBOUNDED_HIGH
          + " is not supported");
    }
    return (long) (lower ? Math.ceil(d) : Math.floor(d));
  }

  private String number(JsonObject schema, String path) {
    Double lo = real(schema, "minimum", path);
    Double hi = real(schema, "maximum", path);
    for (String key : List.of("exclusiveMinimum", "exclusiveMaximum")) {
      if (schema.containsKey(key)) {
        throw new UnsupportedSchemaException(path + "/" + key, key + " on a number is not supported (use minimum/maximum,"
            + " or an integer)");
      }
    }
    if (lo == null && hi == null) {
      return grammar().shared("number", "\"-\"? (\"0\" | [1-9] [0-9]{0,15}) (\".\" [0-9]{1,15})?");
    }
    for (Double b : new Double[] {lo, hi}) {
      if (b != null && (b != Math.rint(b) || Math.abs(b) >= IntegerRanges.UNBOUNDED_HIGH)) {
        throw new UnsupportedSchemaException(path, "number bounds must be whole numbers (got " + b + ")");
      }
    }
    if (lo != null && hi != null && lo > hi) {
      throw new UnsupportedSchemaException(path, "minimum is above maximum");
    }
    List<String> alternatives = new ArrayList<>();
    // Negative part: -y with |hi| <= y <= |lo| (y > 0).
    if (lo == null || lo < 0) {
      long from = hi != null && hi < 0 ? (long) -hi : 0;
      Long to = lo == null ? null : (long) -lo;
      alternatives.add("\"-\" " + group(decimal(from, to)));
    }
    if (hi == null || hi >= 0) {
      long from = lo != null && lo > 0 ? lo.longValue() : 0;
      Long to = hi == null ? null : hi.longValue();
      alternatives.add(decimal(from, to));
    }
    return group(String.join(" | ", alternatives));
  }

  /** Decimals y with from <= y <= to (to null: unbounded), 0 <= from. */
  private static String decimal(long from, Long to) {
    String frac = "(\".\" [0-9]{1,15})?";
    if (to == null) {
      return group(IntegerRanges.range(from, null)) + " " + frac;
    }
    String whole = Gbnf.literal(Long.toString(to)) + " (\".\" \"0\"{1,15})?";
    if (to == from) {
      return group(whole);
    }
    return "(" + group(IntegerRanges.range(from, to - 1)) + " " + frac + " | " + whole + ")";
  }

  private static Double real(JsonObject schema, String key, String path) {
    Object v = schema.getValue(key);
    if (v == null) {
      return null;
    }
    if (!(v instanceof Number n) || !Double.isFinite(n.doubleValue())) {
      throw new UnsupportedSchemaException(path + "/" + key, key + " must be a number");
    }
    return n.doubleValue();
  }

  // ---- any JSON

  private String anyValueRule() {
    Gbnf r = grammar();
    if (!r.has("value")) {
      r.reserve("value");
      String string = stringRule();
      String number = grammar().shared("number", "\"-\"? (\"0\" | [1-9] [0-9]{0,15}) (\".\" [0-9]{1,15})?");
      String object = anyObjectRule();
      String array = r.shared("array", "\"[\" (value (\",\" value)*)? \"]\"");
      r.define("value", "(" + object + " | " + array + " | " + string + " | " + number
          + " | (\"true\" | \"false\" | \"null\"))");
    }
    return "value";
  }

  private String anyObjectRule() {
    Gbnf r = grammar();
    if (!r.has("object")) {
      r.reserve("object");
      String string = stringRule();
      anyValueRule();
      r.define("object", "\"{\" (" + string + " \":\" value (\",\" " + string
          + " \":\" value)*)? \"}\"");
    }
    return "object";
  }

  private static String group(String expression) {
    return "(" + expression + ")";
  }
}
