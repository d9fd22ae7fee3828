package dev.tokenbus.engine;

import dev.tokenbus.protocol.StreamConfig;
import dev.tokenbus.protocol.TokenData;
import java.util.ArrayList;
import java.util.List;

/**
 * Splits one generation's text into thinking and answer ({@link TokenData#reasoning}) by its
 * model's {@link ReasoningSyntax}, across token boundaries: tokens whose text may be the start of a
 * marker are held back ({@link HeldTokens}, as stop sequences are), the markers' text is dropped
 * (the tokens that spell them carry empty text, flagged as thinking, so indices stay consecutive), and the tokens after a
 * marker carry its side's flag. A block may open only before any answer text, and only once.
 * Where one token's text holds both the end of a marker and text of the other side, that text moves
 * to the next token. Whitespace around the thinking (after a marker, and before the closing one)
 * is dropped too, as llama-server trims it, so the reasoning and the answer start with their text.
 * It also counts thinking tokens against the request's reasoning budget.
 *
 * <p>With {@code separate} off, tokens pass unchanged (no flag, markers left in the text); only the
 * counting is done.
 */
final class ReasoningSplitter {

  /** The index that marks a replayed token (see {@link #replay}), which is never emitted. */
  private static final int REPLAYED = -1;

  private final ReasoningSyntax syntax;
  private final boolean separate;
  private final int budget;
  private final HeldTokens held = new HeldTokens();
  private boolean reasoning;
  private boolean opensAllowed;
  private int reasoningTokens;
  private boolean closeForced;
  /** Whitespace is dropped from released text until some other character comes (after a marker). */
  private boolean trimLeading;
  /** Text after a marker that ended inside a token which also held text before it: goes to the next token. */
  private String pending = "";

  /**
   * @param startsInside whether the prompt opened the block (generation starts in the thinking)
   */
  ReasoningSplitter(ReasoningSyntax syntax, boolean startsInside, StreamConfig config) {
    this.syntax = syntax;
    this.separate = config.separateReasoning();
    this.budget = config.reasoningBudget();
    this.reasoning = startsInside;
    this.opensAllowed = !startsInside;
    this.trimLeading = startsInside;
  }

  /**
   * Takes the text of a token generated before a resumed stream, as if it had been offered: the
   * state goes on from it, but the token, already emitted, never comes out again.
   */
  void replay(String text) {
    offer(new TokenData(REPLAYED, text, -1, 0.0, List.of(), false, null));
  }

  /** Adds a token; returns the tokens that may be emitted now, in order, each flagged. */
  List<TokenData> offer(TokenData token) {
    if (reasoning) {
      reasoningTokens++;
    }
    TokenData t = pending.isEmpty() ? token : token.withText(pending + token.text());
    pending = "";
    held.add(t.withReasoning(reasoning));
    List<TokenData> out = new ArrayList<>();
    scan(out);
    out.removeIf(emitted -> emitted.index() == REPLAYED);
    return separate ? out : List.of(token);
  }

  /** Releases everything held, when the generation ends. */
  List<TokenData> flush() {
    List<TokenData> out = held.flush();
    if (!pending.isEmpty() && !out.isEmpty()) {
      int last = out.size() - 1;
      out.set(last, out.get(last).withText(out.get(last).text() + pending));
    }
    pending = "";
    out.removeIf(emitted -> emitted.index() == REPLAYED);
    return separate ? out : List.of();
  }

  /** Whether the thinking has used up its budget and the block is still open: time to close it. */
  boolean closeDue() {
    return reasoning && budget != StreamConfig.UNLIMITED_REASONING && reasoningTokens >= budget && !closeForced;
  }

  /**
   * Thinking tokens past the budget: on a resumed stream, the closing marker's tokens written before
   * it moved (the worker writes them from the moment the budget is spent).
   */
  int pastBudget() {
    return reasoningTokens - budget;
  }

  /** The worker is writing the closing marker itself (once per generation). */
  void closing() {
    closeForced = true;
  }

  /** Whether the text now is thinking. */
  boolean reasoning() {
    return reasoning;
  }

  private List<String> markers() {
    return reasoning ? List.of(syntax.close()) : opensAllowed ? syntax.openers() : List.of();
  }

  private void scan(List<TokenData> out) {
    while (true) {
      List<String> markers = markers();
      int at = markers.isEmpty() ? -1 : held.earliestMatch(markers);
      if (at < 0) {
        int safe = held.text().length() - held.longestPartialMatch(markers);
        if (reasoning) { // whitespace may be the end of the thinking: held until more comes
          safe = withoutTrailingWhitespace(held.text().subSequence(0, safe));
        }
        for (TokenData t : held.release(safe)) {
          out.add(trimmed(t));
        }
        return;
      }
      String marker = longestAt(markers, at);
      int start = marker.equals(syntax.close()) ? withoutTrailingWhitespace(held.text().subSequence(0, at)) : at;
      consume(start, at + marker.length(), !marker.equals(syntax.answerStart()), out);
      reasoning = marker.equals(syntax.open());
      opensAllowed = false;
      trimLeading = true;
      for (TokenData t : held.flush()) {
        held.add(t.withReasoning(reasoning));
      }
    }
  }

  /** A released token, its leading whitespace dropped right after a marker. */
  private TokenData trimmed(TokenData t) {
    if (trimLeading) {
      String text = t.text().stripLeading();
      trimLeading = text.isEmpty();
      t = t.withText(text);
    }
    if (!t.reasoning() && !t.text().isBlank()) {
      opensAllowed = false;
    }
    return t;
  }

  private static int withoutTrailingWhitespace(CharSequence text) {
    int n = text.length();
    while (n > 0 && Character.isWhitespace(text.charAt(n - 1))) {
      n--;
    }
    return n;
  }

  private String longestAt(List<String> markers, int at) {
    String best = null;
    for (String m : markers) {
      if (held.text().length() - at >= m.length() && held.text().subSequence(at, at + m.length()).equals(m)
          && (best == null || m.length() > best.length())) {
        best = m;
      }
    }
    return best;
  }

  /**
   * Emits the held tokens up to the marker at [{@code start}, {@code end}), its own tokens with empty
   * text, flagged as thinking when the marker opens or closes it ({@code thinkingMarker}).
   */
  private void consume(int start, int end, boolean thinkingMarker, List<TokenData> out) {
    int pos = 0;
    while (pos < end) {
      TokenData t = held.removeFirst();
      String text = t.text();
      int tokenEnd = pos + text.length();
      String before = pos < start ? text.substring(0, Math.min(text.length(), start - pos)) : "";
      if (tokenEnd > end) {
        String after = text.substring(end - pos);
        if (before.isEmpty()) {
          held.addFirst(t.withText(after)); // the token starts the other side
        } else {
          out.add(t.withText(before));
          carry(after);
        }
      } else {
        out.add(before.isEmpty() ? t.withText("").withReasoning(thinkingMarker) : t.withText(before));
      }
      pos = tokenEnd;
    }
  }

  /** Text of the other side left in a token that was emitted for this one: into the next token. */
  private void carry(String after) {
    if (held.isEmpty()) {
      pending = after;
    } else {
      TokenData next = held.removeFirst();
      held.addFirst(next.withText(after + next.text()));
    }
  }
}
