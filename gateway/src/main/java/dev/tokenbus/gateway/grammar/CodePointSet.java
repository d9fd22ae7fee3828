package dev.tokenbus.gateway.grammar;

import java.util.ArrayList;
import java.util.List;

/** A set of Unicode code points as sorted, disjoint, non-adjacent ranges; immutable. */
final class CodePointSet {

  static final int MAX = 0x10FFFF;
  static final CodePointSet EMPTY = new CodePointSet(new int[0]);

  /** Pairs: from0, to0, from1, to1, ... (inclusive). */
  private final int[] ranges;

  private CodePointSet(int[] ranges) {
    this.ranges = ranges;
  }

  static CodePointSet of(int from, int to) {
    return new CodePointSet(new int[] {from, to});
  }

  static CodePointSet of(int c) {
    return of(c, c);
  }

  CodePointSet union(CodePointSet other) {
    List<int[]> all = new ArrayList<>();
    for (int i = 0; i < ranges.length; i += 2) {
      all.add(new int[] {ranges[i], ranges[i + 1]});
    }
    for (int i = 0; i < other.ranges.length; i += 2) {
      all.add(new int[] {other.ranges[i], other.ranges[i + 1]});
    }
    all.sort((x, y) -> Integer.compare(x[0], y[0]));
    List<int[]> merged = new ArrayList<>();
    for (int[] r : all) {
      if (!merged.isEmpty() && r[0] <= merged.getLast()[1] + 1) {
        merged.getLast()[1] = Math.max(merged.getLast()[1], r[1]);
      } else {
        merged.add(r.clone());
      }
    }
    int[] out = new int[merged.size() * 2];
    for (int i = 0; i < merged.size(); i++) {
      out[2 * i] = merged.get(i)[0];
      out[2 * i + 1] = merged.get(i)[1];
    }
    return new CodePointSet(out);
  }

  CodePointSet complement() {
    int[] out = new int[ranges.length + 2];
    int n = 0;
    int next = 0;
    for (int i = 0; i < ranges.length; i += 2) {
      if (ranges[i] > next) {
        out[n++] = next;
        out[n++] = ranges[i] - 1;
      }
      next = ranges[i + 1] + 1;
    }
    if (next <= MAX) {
      out[n++] = next;
      out[n++] = MAX;
    }
    return new CodePointSet(java.util.Arrays.copyOf(out, n));
  }

  CodePointSet minus(CodePointSet other) {
    return complement().union(other).complement();
  }

  boolean contains(int c) {
    for (int i = 0; i < ranges.length; i += 2) {
      if (c >= ranges[i] && c <= ranges[i + 1]) {
        return true;
      }
    }
    return false;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof CodePointSet other && java.util.Arrays.equals(ranges, other.ranges);
  }

  @Override
  public int hashCode() {
    return java.util.Arrays.hashCode(ranges);
  }

  /** The smallest code point in the set, or -1 when empty. */
  int first() {
    return ranges.length == 0 ? -1 : ranges[0];
  }

  boolean isEmpty() {
    return ranges.length == 0;
  }

  /** A GBNF character class for this set, which must not be empty. */
  String toGbnf() {
    StringBuilder b = new StringBuilder("[");
    for (int i = 0; i < ranges.length; i += 2) {
      b.append(Gbnf.classChar(ranges[i]));
      if (ranges[i + 1] != ranges[i]) {
        b.append('-').append(Gbnf.classChar(ranges[i + 1]));
      }
    }
    return b.append(']').toString();
  }
}
