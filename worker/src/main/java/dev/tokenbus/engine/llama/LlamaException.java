package dev.tokenbus.engine.llama;

/** A llama.cpp call failed, or the library could not be found, opened, or is not the release its profile expects. */
public class LlamaException extends RuntimeException {
  public LlamaException(String message) {
    super(message);
  }

  public LlamaException(String message, Throwable cause) {
    super(message, cause);
  }
}
