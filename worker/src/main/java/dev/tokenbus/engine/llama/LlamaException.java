package dev.tokenbus.engine.llama;

/** A llama.cpp call failed, or the library could not be found, opened, or is not build b4916. */
public class LlamaException extends RuntimeException {
  public LlamaException(String message) {
    super(message);
  }

  public LlamaException(String message, Throwable cause) {
    super(message, cause);
  }
}
