package dev.tokenbus.engine;

/** The model file is missing, corrupt, or llama.cpp refused it. */
public class ModelLoadException extends RuntimeException {
  public ModelLoadException(String message, Throwable cause) {
    super(message, cause);
  }

  public ModelLoadException(String message) {
    super(message);
  }
}
