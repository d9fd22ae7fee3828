package dev.tokenbus.http.structured;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A GBNF grammar under construction (llama.cpp's grammar format): named rules, and the escaping of
 * literals and character classes. Rule names are made unique; {@code root} is the start rule.
 */
final class Gbnf {

  private final Map<String, String> rules = new LinkedHashMap<>();

  /** Adds a rule named like {@code hint} (made a valid, unique name) and returns its name. */
  String add(String hint, String body) {
    String name = unique(hint);
    rules.put(name, body);
    return name;
  }

  /** Reserves a name for a rule whose body is given later with {@link #define} (for recursion). */
  String reserve(String hint) {
    String name = unique(hint);
    rules.put(name, null);
    return name;
  }

  void define(String name, String body) {
    rules.put(name, body);
  }

  /** Adds a rule under exactly {@code name} unless it exists: for shared primitives. */
  String shared(String name, String body) {
    rules.putIfAbsent(name, body);
    return name;
  }

  boolean has(String name) {
    return rules.containsKey(name);
  }

  private String unique(String hint) {
    String base = hint.replaceAll("[^a-zA-Z0-9-]+", "-").replaceAll("^-+|-+$", "").toLowerCase();
    if (base.isEmpty()) {
      base = "r";
    }
    String name = base;
    for (int i = 2; rules.containsKey(name); i++) {
      name = base + "-" + i;
    }
    return name;
  }

  /** The grammar text, {@code root} first. */
  String render() {
    StringBuilder out = new StringBuilder();
    String root = rules.get("root");
    if (root != null) {
      out.append("root ::= ").append(root).append('\n');
    }
    for (Map.Entry<String, String> e : rules.entrySet()) {
      if (!e.getKey().equals("root")) {
        if (e.getValue() == null) {
          throw new IllegalStateException("rule " + e.getKey() + " was reserved but never defined");
        }
        out.append(e.getKey()).append(" ::= ").append(e.getValue()).append('\n');
      }
    }
    return out.toString();
  }

  /** A GBNF string literal matching exactly {@code text}. */
  static String literal(String text) {
    StringBuilder b = new StringBuilder("\"");
    text.codePoints().forEach(c -> {
      switch (c) {
        case '"' -> b.append("\\\"");
        case '\\' -> b.append("\\\\");
        case '\n' -> b.append("\\n");
        case '\r' -> b.append("\\r");
        case '\t' -> b.append("\\t");
        default -> {
          if (c < 0x20 || c == 0x7F) {
            b.append(String.format("\\x%02X", c));
          } else {
            b.appendCodePoint(c);
          }
        }
      }
    });
    return b.append('"').toString();
  }

  /** One code point inside a character class: letters and digits as they are, anything else escaped. */
  static String classChar(int c) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) {
      return String.valueOf((char) c);
    }
    if (c <= 0xFF) {
      return String.format("\\x%02X", c);
    }
    if (c <= 0xFFFF) {
      return String.format("\\u%04X", c);
    }
    return String.format("\\U%08X", c);
  }
}
