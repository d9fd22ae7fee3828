package dev.tokenbus.engine.llama;

/** A GBNF grammar that llama.cpp cannot parse: the request's fault, answered with 400. */
public final class InvalidGrammarException extends IllegalArgumentException {

  public InvalidGrammarException(String message) {
    super(message);
  }
}
