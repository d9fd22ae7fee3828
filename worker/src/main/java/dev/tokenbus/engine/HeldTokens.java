package dev.tokenbus.engine;

import dev.tokenbus.protocol.TokenData;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * Tokens held back while their text, read across token boundaries, may still turn out to spell one
 * of a set of patterns (stop sequences, a think block's markers). The text of the held tokens is
 * kept joined, so that a pattern split over tokens, even one byte per token, is found.
 */
final class HeldTokens {

  private final ArrayDeque<TokenData> tokens = new ArrayDeque<>();
  private final StringBuilder text = new StringBuilder();

  void add(TokenData token) {
    tokens.addLast(token);
    text.append(token.text());
  }

  boolean isEmpty() {
    return tokens.isEmpty();
  }

  /** The held tokens' text, joined. */
  CharSequence text() {
    return text;
  }

  /** The oldest held token, taken out. */
  TokenData removeFirst() {
    TokenData t = tokens.removeFirst();
    text.delete(0, t.text().length());
    return t;
  }

  /** Puts a token back in front (its text first). */
  void addFirst(TokenData token) {
    tokens.addFirst(token);
    text.insert(0, token.text());
  }

  /** Where the earliest occurrence of any of {@code patterns} starts in the held text, or -1. */
  int earliestMatch(List<String> patterns) {
    int best = -1;
    for (String s : patterns) {
      int i = text.indexOf(s);
      if (i >= 0 && (best < 0 || i < best)) {
        best = i;
      }
    }
    return best;
  }

  /** Length of the longest suffix of the held text that is a proper prefix of one of {@code patterns}. */
  int longestPartialMatch(List<String> patterns) {
    int best = 0;
    int len = text.length();
    for (String s : patterns) {
      for (int k = Math.min(s.length() - 1, len); k > best; k--) {
        if (endsWithPrefix(s, k)) {
          best = k;
          break;
        }
      }
    }
    return best;
  }

  private boolean endsWithPrefix(String pattern, int k) {
    int offset = text.length() - k;
    for (int i = 0; i < k; i++) {
      if (text.charAt(offset + i) != pattern.charAt(i)) {
        return false;
      }
    }
    return true;
  }

  /** Takes out the held tokens whose text ends at or before {@code safeLength} characters, in order. */
  List<TokenData> release(int safeLength) {
    List<TokenData> out = new ArrayList<>();
    int consumed = 0;
    while (!tokens.isEmpty() && consumed + tokens.peekFirst().text().length() <= safeLength) {
      TokenData t = tokens.removeFirst();
      consumed += t.text().length();
      out.add(t);
    }
    text.delete(0, consumed);
    return out;
  }

  /** Takes out everything held, in order. */
  List<TokenData> flush() {
    List<TokenData> out = new ArrayList<>(tokens);
    tokens.clear();
    text.setLength(0);
    return out;
  }
}
