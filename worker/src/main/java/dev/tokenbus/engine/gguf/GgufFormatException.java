package dev.tokenbus.engine.gguf;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A file that is not a GGUF model llama.cpp can safely be handed. The message is {@code "<path>: <problem>"}.
 */
public final class GgufFormatException extends IOException {
  private static final long serialVersionUID = 1L;

  private final transient Path file;
  private final String problem;

  public GgufFormatException(Path file, String problem) {
    super(file + ": " + problem);
    this.file = file;
    this.problem = problem;
  }

  public Path file() {
    return file;
  }

  /** The message without the path. */
  public String problem() {
    return problem;
  }
}
