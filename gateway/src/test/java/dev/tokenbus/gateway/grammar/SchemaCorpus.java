package dev.tokenbus.gateway.grammar;

import io.vertx.core.json.JsonObject;
import java.util.LinkedHashMap;
import java.util.Map;

/** JSON Schemas covering what the converter supports, by name; shared by the grammar and route tests. */
public final class SchemaCorpus {

  private SchemaCorpus() {}

  /**
   * Schemas whose every document is short: a grammar for them ends within a few hundred tokens
   * whatever the model prefers, so the output is complete JSON.
   */
  public static Map<String, JsonObject> bounded() {
    Map<String, JsonObject> m = new LinkedHashMap<>();
    m.put("person", new JsonObject("""
        {"type":"object","properties":{"name":{"type":"string","maxLength":20},"age":{"type":"integer","minimum":0,"maximum":120},
         "happy":{"type":"boolean"}},"required":["name","age","happy"],"additionalProperties":false}"""));
    m.put("optional-properties", new JsonObject("""
        {"type":"object","properties":{"a":{"type":"integer"},"b":{"type":"string","maxLength":8},"c":{"type":"null"},
         "d":{"type":"boolean"}},"required":["c"],"additionalProperties":false}"""));
    m.put("all-optional", new JsonObject("""
        {"type":"object","properties":{"x":{"type":"integer","minimum":-5,"maximum":5},"y":{"type":"number","minimum":-1,"maximum":1}},
         "additionalProperties":false}"""));
    m.put("enum-and-const", new JsonObject("""
        {"type":"object","properties":{"color":{"type":"string","enum":["red","green","blue"]},
         "kind":{"const":"fixed"},"mixed":{"enum":[1,"two",null,true,{"k":[3]}]}},"required":["color","kind","mixed"]}"""));
    m.put("string-lengths", new JsonObject("""
        {"type":"object","properties":{"short":{"type":"string","minLength":2,"maxLength":5},"exact":{"type":"string","minLength":3,"maxLength":3}},
         "required":["short","exact"]}"""));
    m.put("pattern", new JsonObject("""
        {"type":"object","properties":{"code":{"type":"string","pattern":"^[A-Z]{3}-\\\\d{2,4}$"},
         "phone":{"type":"string","pattern":"^\\\\+?[0-9]{3}( [0-9]{3}){2}$"},"word":{"type":"string","pattern":"^(cat|dog)s?$"}},
         "required":["code","phone","word"]}"""));
    m.put("formats", new JsonObject("""
        {"type":"object","properties":{"d":{"type":"string","format":"date"},"t":{"type":"string","format":"time"},
         "dt":{"type":"string","format":"date-time"},"id":{"type":"string","format":"uuid"},"mail":{"type":"string","format":"email"},
         "ip":{"type":"string","format":"ipv4"}},"required":["d","t","dt","id","mail","ip"]}"""));
    m.put("numbers", new JsonObject("""
        {"type":"object","properties":{"i":{"type":"integer","exclusiveMinimum":10,"exclusiveMaximum":1000},
         "n":{"type":"number","minimum":-2.0,"maximum":3},"neg":{"type":"integer","minimum":-300,"maximum":-7},
         "big":{"type":"integer","minimum":1000000},"any":{"type":"number"}},"required":["i","n","neg","big","any"]}"""));
    m.put("arrays", new JsonObject("""
        {"type":"object","properties":{"tags":{"type":"array","items":{"type":"string","maxLength":6},"minItems":1,"maxItems":3},
         "pair":{"type":"array","prefixItems":[{"type":"integer","maximum":9,"minimum":0},{"type":"boolean"}],"items":false,"minItems":2},
         "none":{"type":"array","maxItems":0}},"required":["tags","pair","none"]}"""));
    m.put("any-of-and-nullable", new JsonObject("""
        {"type":"object","properties":{"v":{"anyOf":[{"type":"integer","minimum":0,"maximum":9},{"type":"string","enum":["none"]}]},
         "maybe":{"type":["string","null"],"maxLength":4}},"required":["v","maybe"],"additionalProperties":false}"""));
    m.put("refs-and-nesting", new JsonObject("""
        {"$defs":{"point":{"type":"object","properties":{"x":{"type":"integer","minimum":0,"maximum":99},
         "y":{"type":"integer","minimum":0,"maximum":99}},"required":["x","y"],"additionalProperties":false}},
         "type":"object","properties":{"from":{"$ref":"#/$defs/point"},"to":{"$ref":"#/$defs/point"},
         "meta":{"type":"object","properties":{"label":{"type":"string","maxLength":10}},"required":["label"]}},
         "required":["from","to","meta"],"additionalProperties":false}"""));
    m.put("top-level-array", new JsonObject("""
        {"type":"array","items":{"type":"object","properties":{"ok":{"type":"boolean"}},"required":["ok"]},"minItems":2,"maxItems":2}"""));
    return m;
  }

  /**
   * Schemas with unbounded strings or maps: valid whenever the model closes them, which a trained
   * model writing prose inside a string may not do before max_tokens (finish_reason length).
   */
  public static Map<String, JsonObject> unbounded() {
    Map<String, JsonObject> m = new LinkedHashMap<>();
    m.put("map", new JsonObject("""
        {"type":"object","additionalProperties":{"type":"integer","minimum":0,"maximum":5},"title":"counts"}"""));
    m.put("free-object", new JsonObject("""
        {"type":"object"}"""));
    m.put("plain-string", new JsonObject("""
        {"type":"object","properties":{"text":{"type":"string"}},"required":["text"]}"""));
    // Each node is bounded, but not how deep they nest: a model may keep opening kids.
    m.put("recursive", new JsonObject("""
        {"$defs":{"node":{"type":"object","properties":{"v":{"type":"integer","minimum":0,"maximum":9},
         "kids":{"type":"array","items":{"$ref":"#/$defs/node"},"maxItems":2}},"required":["v","kids"],"additionalProperties":false}},
         "$ref":"#/$defs/node"}"""));
    return m;
  }
}
