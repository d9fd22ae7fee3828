package dev.tokenbus.engine;

import dev.tokenbus.protocol.TokenData;
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
  private final HeldTokens held = new HeldTokens();
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
    held.add(token);
    int at = held.earliestMatch(stops);
    if (at >= 0) {
      matched = true;
      String text = held.text().toString();
      matchedSequence = stops.stream().filter(stop -> text.startsWith(stop, at)).findFirst().orElseThrow();
      return cutAt(at);
    }
    return held.release(held.text().length() - held.longestPartialMatch(stops));
  }

  /** Releases everything held, when the generation ends for another reason. */
  List<TokenData> flush() {
    return held.flush();
  }

  boolean matched() {
    return matched;
  }

  /** The stop sequence that matched (the earliest in the text; of two there, the first given), or null. */
  String matchedSequence() {
    return matchedSequence;
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
    held.flush();
    return out;
  }
}
