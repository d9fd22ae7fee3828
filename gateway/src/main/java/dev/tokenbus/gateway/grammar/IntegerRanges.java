package dev.tokenbus.gateway.grammar;

import java.util.ArrayList;
import java.util.List;

/**
 * GBNF for the decimal integers of a range, exactly: no leading zeros, no "-0". Works digit by digit:
 * a range of numbers of the same length splits at the first digit where its ends differ.
 */
final class IntegerRanges {

  /** Numbers of more digits are not generated: they would overflow a 64-bit integer anyway. */
  static final int MAX_DIGITS = 18;
  static final long UNBOUNDED_HIGH = 999_999_999_999_999_999L;

  private IntegerRanges() {}

  /**
   * An expression matching exactly the integers in {@code [lo, hi]}; null bounds are open. Both
   * ends must lie within ±{@link #UNBOUNDED_HIGH}.
   */
  static String range(Long lo, Long hi) {
    long a = lo == null ? -UNBOUNDED_HIGH : lo;
    long b = hi == null ? UNBOUNDED_HIGH : hi;
    if (a > b) {
      throw new IllegalArgumentException("empty range " + a + ".." + b);
    }
    List<String> alternatives = new ArrayList<>();
    if (a < 0) {
      // -x for x in [max(1, -b), -a]
      long from = Math.max(1, b < 0 ? -b : 1);
      alternatives.add("\"-\" " + group(nonNegative(from, -a)));
    }
    if (b >= 0) {
      alternatives.add(nonNegative(Math.max(0, a), b));
    }
    return alternatives.size() == 1 ? alternatives.get(0) : "(" + String.join(" | ", alternatives) + ")";
  }

  /** Integers in [a, b], 0 <= a <= b. */
  static String nonNegative(long a, long b) {
    List<String> alternatives = new ArrayList<>();
    String sa = Long.toString(a);
    String sb = Long.toString(b);
    for (int len = sa.length(); len <= sb.length(); len++) {
      String low = len == sa.length() ? sa : "1" + "0".repeat(len - 1);
      String high = len == sb.length() ? sb : "9".repeat(len);
      alternatives.add(sameLength(low, high));
    }
    return alternatives.size() == 1 ? alternatives.get(0) : "(" + String.join(" | ", alternatives) + ")";
  }

  /** Digit strings of one length from {@code low} to {@code high} (low <= high). */
  private static String sameLength(String low, String high) {
    int n = low.length();
    if (n == 0) {
      return "\"\"";
    }
    if (low.equals(high)) {
      return Gbnf.literal(low);
    }
    if (low.substring(1).chars().allMatch(c -> c == '0') && high.substring(1).chars().allMatch(c -> c == '9')) {
      return digits(low.charAt(0), high.charAt(0)) + anyDigits(n - 1);
    }
    char l = low.charAt(0);
    char h = high.charAt(0);
    if (l == h) {
      return Gbnf.literal(String.valueOf(l)) + " " + group(sameLength(low.substring(1), high.substring(1)));
    }
    List<String> alternatives = new ArrayList<>();
    alternatives.add(Gbnf.literal(String.valueOf(l)) + " " + group(sameLength(low.substring(1), "9".repeat(n - 1))));
    if (h - l > 1) {
      alternatives.add(digits((char) (l + 1), (char) (h - 1)) + anyDigits(n - 1));
    }
    alternatives.add(Gbnf.literal(String.valueOf(h)) + " " + group(sameLength("0".repeat(n - 1), high.substring(1))));
    return "(" + String.join(" | ", alternatives) + ")";
  }

  private static String digits(char from, char to) {
    return from == to ? Gbnf.literal(String.valueOf(from)) : "[" + from + "-" + to + "]";
  }

  private static String anyDigits(int n) {
    return n == 0 ? "" : n == 1 ? " [0-9]" : " [0-9]{" + n + "}";
  }

  private static String group(String expression) {
    return expression.startsWith("(") || !expression.contains(" ") ? expression : "(" + expression + ")";
  }
}
