package dev.tokenbus.protocol;

/**
 * A JSON string literal appended to a {@link StringBuilder}: quotes, backslashes and control
 * characters escaped ({@code \n}, {@code \r}, {@code \t}, {@code \b}, {@code \f}, else a
 * backslash, {@code u00} and two hex digits), everything else as it is. The gateway writes
 * Jackson's upper-case hex (what {@code JsonObject.encode()} writes), a chat template Python's
 * lower-case one ({@code tojson}).
 */
public final class JsonStrings {

  private static final char[] UPPER = "0123456789ABCDEF".toCharArray();
  private static final char[] LOWER = "0123456789abcdef".toCharArray();

  private JsonStrings() {}

  /** Appends {@code s} as a JSON string; returns {@code out}. */
  public static StringBuilder append(StringBuilder out, String s, boolean upperCaseHex) {
    char[] hex = upperCaseHex ? UPPER : LOWER;
    out.append('"');
    int start = 0;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c >= 0x20 && c != '"' && c != '\\') {
        continue;
      }
      out.append(s, start, i);
      switch (c) {
        case '"' -> out.append("\\\"");
        case '\\' -> out.append("\\\\");
        case '\n' -> out.append("\\n");
        case '\r' -> out.append("\\r");
        case '\t' -> out.append("\\t");
        case '\b' -> out.append("\\b");
        case '\f' -> out.append("\\f");
        default -> out.append("\\u00").append(hex[c >> 4]).append(hex[c & 0xF]);
      }
      start = i + 1;
    }
    return out.append(s, start, s.length()).append('"');
  }
}
