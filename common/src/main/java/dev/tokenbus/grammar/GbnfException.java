package dev.tokenbus.grammar;

/**
 * A GBNF grammar that {@link GbnfCheck} refuses. The message names the problem (and where it is).
 * {@link #limit()} tells the two kinds apart: a grammar llama.cpp would refuse as well (a syntax
 * error, an undefined rule, no {@code root}, left recursion), or one it would accept but choke on
 * (too deep, too large, a repetition whose maximum is below its minimum).
 */
public final class GbnfException extends IllegalArgumentException {

  private final boolean limit;

  GbnfException(String message, boolean limit) {
    super(message);
    this.limit = limit;
  }

  /** Whether this is one of tokenbus's bounds rather than something llama.cpp refuses too. */
  public boolean limit() {
    return limit;
  }
}
