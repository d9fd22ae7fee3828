package dev.tokenbus.gateway.grammar;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Every recursive or expanding part of a JSON Schema is bounded where it is read: deep and long
 * patterns, repetition bombs, deep, broad and self-referring schemas, bounds that leave nothing to
 * generate and grammars that would grow without end are refused with an
 * {@link UnsupportedSchemaException} naming where, at once and without deep recursion; large but
 * sane bounds give a grammar llama.cpp enforces exactly.
 */
class SchemaBoundsTest {

  private static final Duration PROMPTLY = Duration.ofSeconds(5);

  private static JsonObject pattern(String regex) {
    return new JsonObject().put("type", "object").put("properties", new JsonObject()
        .put("x", new JsonObject().put("type", "string").put("pattern", regex))).put("required", new JsonArray().add("x"));
  }

  /** The conversion of {@code schema} fails promptly with an error at {@code where} that says {@code what}. */
  private static void refused(JsonObject schema, String where, String what) {
    long t0 = System.nanoTime();
    assertThatThrownBy(() -> JsonSchemaGrammar.forSchema(schema)).as("%.200s", schema.encode())
        .isInstanceOf(UnsupportedSchemaException.class)
        .hasMessageContaining("JSON Schema at " + where + ":").hasMessageContaining(what);
    assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(PROMPTLY);
  }

  private static String nested(int depth, String open, String inner, String close) {
    return open.repeat(depth) + inner + close.repeat(depth);
  }

  @Test
  void deeplyNestedGroupsAreRefusedWithoutRecursingOncePerGroup() {
    // Within the length bound, the depth bound refuses them; past it (3,000 groups and more), the length.
    for (int depth : new int[] {33, 500, 1_000, 2_000}) {
      refused(pattern(nested(depth, "(", "a", ")")), "#/properties/x/pattern", "groups nested deeper than 32 levels");
      refused(pattern("^" + nested(Math.min(depth, 1_000), "(", "[0-9]", ")*") + "$"), "#/properties/x/pattern",
          "groups nested deeper than 32 levels");
    }
    for (int depth : new int[] {3_000, 5_000, 100_000}) {
      refused(pattern(nested(depth, "(", "a", ")")), "#/properties/x/pattern", "at most 4096 are supported");
    }
    assertThat(JsonSchemaGrammar.forSchema(pattern("^" + nested(32, "(", "a", ")") + "$"))).contains("root");
  }

  @Test
  void patternsWhoseGrammarLlamaCppWouldFollowWithoutEndAreRefused() {
    // A repeated group that may match nothing is a rule that can start with itself: llama.cpp refuses
    // that when it sees it, and when the group is empty only through other rules, it misses it and
    // recurses until the worker dies (bin/fuzz found these).
    refused(pattern("(()+)+"), "#", "can start with itself");
    refused(pattern("(a*)*"), "#", "can start with itself");
    refused(pattern("x((b?)*)+"), "#", "can start with itself");
    // Optional groups in optional groups: ever more ways to the next character.
    refused(pattern("(((a?){0,9}){0,9}){0,9}"), "#", "ways at once");
    assertThat(JsonSchemaGrammar.forSchema(pattern("^(ab*)*c?$"))).contains("root");
  }

  @Test
  void longPatternsAreRefused() {
    refused(pattern("a".repeat(RegexGrammar.MAX_LENGTH + 1)), "#/properties/x/pattern",
        "is 4097 characters long; at most 4096 are supported");
    assertThat(JsonSchemaGrammar.forSchema(pattern("^" + "ab".repeat(1000) + "$"))).contains("root");
  }

  @Test
  void repetitionBombsAreRefused() {
    Map<String, String> bombs = Map.of(
        "(a{50}){50}", "up to 2500 times",
        "((x{10}){10}){30}", "up to 3000 times",
        "(?:(?:a{0,45})+){0,45}", "up to 2025 times",
        "a{0,9999}", "up to 9999 times",
        "[a-z]{2001}", "up to 2001 times",
        "a{1000}{1000}", "a quantifier with nothing to repeat",
        "a{3,2}", "maximum below minimum");
    bombs.forEach((regex, what) -> refused(pattern(regex), "#/properties/x/pattern", what));
    // Repetitions that stay within the bound are converted.
    assertThat(JsonSchemaGrammar.forSchema(pattern("^(a{40}){50}[0-9]{2000}$"))).contains("{2000}");
  }

  @Test
  void repetitionsExpandToABoundedTotal() {
    JsonObject properties = new JsonObject();
    for (int i = 0; i < 30; i++) {
      properties.put("p" + i, new JsonObject().put("type", "string").put("pattern", "^[a-z]{2000}$"));
    }
    refused(new JsonObject().put("type", "object").put("properties", properties), "#/properties/p25",
        "would expand to more than 50000 copies");
    JsonObject lengths = new JsonObject();
    // Written in blocks, a length up to 100,000 expands to about 3,200 copies: the 16th passes 50,000.
    for (int i = 0; i < 20; i++) {
      lengths.put("s" + i, new JsonObject().put("type", "string").put("maxLength", 100_000));
    }
    refused(new JsonObject().put("type", "object").put("properties", lengths), "#/properties/s15",
        "would expand to more than 50000 copies");
  }

  @Test
  void aGrammarThatWouldBeHugeIsRefused() {
    // Each '.' is a class with a dozen escapes: 4,000 of them make a grammar of about 1.6 MB per
    // property; 100 properties (a 400 KB schema) gave a grammar of 160 MB before it was bounded.
    JsonObject properties = new JsonObject();
    for (int i = 0; i < 100; i++) {
      properties.put("p" + i, new JsonObject().put("type", "string").put("pattern", "^" + ".".repeat(4000) + "$"));
    }
    refused(new JsonObject().put("type", "object").put("properties", properties), "#/properties/p0",
        "grammar would be larger than 262144 characters");
  }

  @Test
  void deepBroadAndSelfReferringSchemasAreRefused() {
    refused(new JsonObject(nested(65, "{\"type\":\"array\",\"items\":", "{\"type\":\"integer\"}", "}")),
        "#" + "/items".repeat(65), "nests deeper than 64 levels");
    JsonObject enumBomb = new JsonObject().put("enum", new JsonArray(java.util.stream.IntStream.range(0, 1025)
        .boxed().toList()));
    refused(enumBomb, "#/enum", "at most 1024");
    List<Object> branches = new ArrayList<>();
    for (int i = 0; i < 129; i++) {
      branches.add(new JsonObject().put("const", i));
    }
    refused(new JsonObject().put("anyOf", new JsonArray(branches)), "#/anyOf", "at most 128");
    JsonObject many = new JsonObject();
    for (int i = 0; i < 257; i++) {
      many.put("p" + i, new JsonObject().put("type", "boolean"));
    }
    refused(new JsonObject().put("type", "object").put("properties", many), "#/properties", "at most 256");
    List<Object> tuple = new ArrayList<>();
    for (int i = 0; i < 5000; i++) {
      tuple.add(new JsonObject().put("type", "null"));
    }
    refused(new JsonObject().put("type", "array").put("prefixItems", new JsonArray(tuple)).put("items", false),
        "#/prefixItems", "at most 256");
    refused(new JsonObject("{\"type\":[\"string\",\"string\"]}"), "#/type", "names a type twice");
    // $ref cycles that write nothing before coming back: the grammar could never end.
    refused(new JsonObject("{\"$ref\":\"#\"}"), "#/$ref", "comes back to itself");
    refused(new JsonObject("{\"$defs\":{\"a\":{\"$ref\":\"#/$defs/b\"},\"b\":{\"allOf\":[{\"$ref\":\"#/$defs/a\"}]}},"
        + "\"$ref\":\"#/$defs/a\"}"), "#/$defs/b/allOf/0/$ref", "comes back to itself");
    refused(new JsonObject("{\"$defs\":{\"e\":{\"anyOf\":[{\"type\":\"integer\"},{\"$ref\":\"#/$defs/e\"}]}},"
        + "\"type\":\"object\",\"properties\":{\"v\":{\"$ref\":\"#/$defs/e\"}}}"), "#/$defs/e/anyOf/1/$ref",
        "comes back to itself");
    // Recursion through a value's first character is fine (SchemaCorpus "recursive").
    assertThat(JsonSchemaGrammar.forSchema(SchemaCorpus.unbounded().get("recursive"))).contains("ref-node");
  }

  @Test
  void boundsThatLeaveNothingToGenerateAreRefused() {
    Map<String, String> contradictions = Map.of(
        "{\"type\":\"string\",\"minLength\":5,\"maxLength\":4}", "maxLength is below minLength",
        "{\"type\":\"integer\",\"minimum\":10,\"maximum\":9}", "the bounds leave no integer",
        "{\"type\":\"integer\",\"exclusiveMinimum\":3,\"exclusiveMaximum\":4}", "the bounds leave no integer",
        "{\"type\":\"number\",\"minimum\":2,\"maximum\":1}", "minimum is above maximum",
        "{\"type\":\"array\",\"minItems\":3,\"maxItems\":2}", "maxItems is below minItems",
        "{\"type\":\"array\",\"items\":false,\"minItems\":1}", "no array is valid",
        "{\"type\":\"array\",\"prefixItems\":[{\"type\":\"null\"}],\"items\":false,\"minItems\":2}",
        "minItems is above the number of prefixItems");
    contradictions.forEach((schema, what) -> refused(new JsonObject(schema), "#", what));
    refused(new JsonObject("{\"type\":\"string\",\"pattern\":\"^[^\\\\s\\\\S]$\"}"), "#/pattern",
        "a character class that matches nothing");
  }

  @Test
  void largeLengthsAreWrittenSoThatLlamaCppEnforcesThem() {
    // llama.cpp takes x{m,n} with n > 2000 as x{m,}: no count above 2000 may reach it.
    for (int[] bounds : new int[][] {{0, 2001}, {0, 100_000}, {2500, 2500}, {4321, 9876}, {1999, 45_678}}) {
      String grammar = JsonSchemaGrammar.forSchema(new JsonObject().put("type", "string").put("minLength", bounds[0])
          .put("maxLength", bounds[1]));
      Matcher counts = Pattern.compile("\\{(\\d+)(?:,(\\d*))?}").matcher(grammar);
      while (counts.find()) {
        for (int g = 1; g <= 2; g++) {
          if (counts.group(g) != null && !counts.group(g).isEmpty()) {
            assertThat(Integer.parseInt(counts.group(g))).as(grammar).isLessThanOrEqualTo(Gbnf.MAX_REPEAT);
          }
        }
      }
    }
  }

  @Test
  void blockRepetitionsMatchExactlyTheCountsAsked() {
    Integer[][] cases = {{0, 2001}, {0, 5000}, {3, 4002}, {2001, 2001}, {2500, 7999}, {1000, 3000}, {0, 2000},
        {7, null}, {4500, null}, {0, 100_000}, {0, 0}, {12_345, 12_345}};
    for (Integer[] c : cases) {
      int min = c[0];
      Integer max = c[1];
      Gbnf g = new Gbnf();
      g.define("root", g.repeat("a", min, max));
      // The grammar uses only a, groups, | and counts (and at most one rule besides root): as a
      // Java regex, it must take exactly min..max a's.
      Map<String, String> rules = new java.util.HashMap<>();
      for (String line : g.render().split("\n")) {
        rules.put(line.substring(0, line.indexOf(" ::= ")), line.substring(line.indexOf(" ::= ") + 5));
      }
      String gbnf = rules.get("root");
      if (rules.containsKey("repeat")) {
        gbnf = gbnf.replace("repeat", "(" + rules.get("repeat") + ")");
      }
      Pattern asRegex = Pattern.compile(gbnf.replace("\"\"", "").replace(" ", ""));
      int top = max == null ? min + 3000 : max;
      for (int n : new int[] {0, Math.max(min - 1, 0), min, min + 1, (min + top) / 2, Math.max(top - 1, 0), top,
          top + 1}) {
        boolean expected = n >= min && (max == null || n <= max);
        assertThat(asRegex.matcher("a".repeat(n)).matches()).as("%s for %d", gbnf, n).isEqualTo(expected);
      }
    }
  }
}
