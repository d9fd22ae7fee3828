package dev.tokenbus.engine;

import dev.tokenbus.protocol.TokenData;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * Finds stop sequences in the streamed text, across token boundaries. Tokens whose text could be
 * the start of a stop sequence are held back; once the text can no longer match they are released
 * unchanged, and when it does match, the token where the match starts is cut there and the rest is
 * dropped, so the stop text itself is never emitted.
 */
final class StopSequenceMatcher {

  private final List<String> stops;
  private final ArrayDeque<TokenData> held = new ArrayDeque<>();
  private final StringBuilder heldText = new StringBuilder();
  private boolean matched;
  private String matchedSequence;

  StopSequenceMatcher(List<String> stops) {
    this.stops = List.copyOf(stops);
  }

  /**
   * Adds a token; returns the tokens that may be emitted now, in order. After a match, the last
   * one returned is the (possibly cut) token where the stop sequence began, and {@link #matched()} is true.
   */
  List<TokenData> offer(TokenData token) {
    held.addLast(token);
    heldText.append(token.text());
    int at = earliestMatch();
    if (at >= 0) {
      matched = true;
      return cutAt(at);
    }
    return release(heldText.length() - longestPartialMatch());
  }

  /** Releases everything held, when the generation ends for another reason. */
  List<TokenData> flush() {
    List<TokenData> out = new ArrayList<>(held);
    held.clear();
    heldText.setLength(0);
    return out;
  }

  boolean matched() {
    return matched;
  }

  /** The stop sequence that matched (the earliest in the text; of two there, the first given), or null. */
  String matchedSequence() {
    return matchedSequence;
  }

  private int earliestMatch() {
    int best = -1;
    for (String s : stops) {
      int i = heldText.indexOf(s);
      if (i >= 0 && (best < 0 || i < best)) {
        best = i;
        matchedSequence = s;
      }
    }
    return best;
  }

  /** Length of the longest suffix of the held text that is a proper prefix of some stop sequence. */
  private int longestPartialMatch() {
    int best = 0;
    int len = heldText.length();
    for (String s : stops) {
      for (int k = Math.min(s.length() - 1, len); k > best; k--) {
        if (endsWithPrefix(heldText, s, k)) {
          best = k;
          break;
        }
      }
    }
    return best;
  }

  private static boolean endsWithPrefix(StringBuilder text, String stop, int k) {
    int offset = text.length() - k;
    for (int i = 0; i < k; i++) {
      if (text.charAt(offset + i) != stop.charAt(i)) {
        return false;
      }
    }
    return true;
  }

  /** Releases the held tokens that end at or before {@code safeLength} characters. */
  private List<TokenData> release(int safeLength) {
    List<TokenData> out = new ArrayList<>();
    int consumed = 0;
    while (!held.isEmpty() && consumed + held.peekFirst().text().length() <= safeLength) {
      TokenData t = held.removeFirst();
      consumed += t.text().length();
      out.add(t);
    }
    heldText.delete(0, consumed);
    return out;
  }

  private List<TokenData> cutAt(int at) {
    List<TokenData> out = new ArrayList<>();
    int start = 0;
    while (!held.isEmpty()) {
      TokenData t = held.removeFirst();
      int end = start + t.text().length();
      if (end <= at) {
        out.add(t);
      } else {
        out.add(t.withText(t.text().substring(0, at - start)));
        break;
      }
      start = end;
    }
    held.clear();
    heldText.setLength(0);
    return out;
  }
}
