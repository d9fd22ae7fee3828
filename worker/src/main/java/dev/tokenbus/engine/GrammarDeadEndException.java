package dev.tokenbus.engine;

/**
 * A sequence's grammar allows no token of the vocabulary where its generation has got to: the
 * grammar asks for text this model cannot spell. The request's doing, not the engine's: that
 * generation ends with this message, nothing else is affected and no stack trace is logged.
 */
final class GrammarDeadEndException extends IllegalStateException {

  GrammarDeadEndException(String message) {
    super(message);
  }
}
