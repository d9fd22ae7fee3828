package dev.tokenbus.engine;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.tokenbus.engine.gguf.TinyLlamaModel;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Models for tests: the generated tiny model (always there) and the trained ones in ../shared/models (when present). */
public final class TestModels {

  /** A ChatML chat template as models ship it (Jinja); llama.cpp recognises it by its markers. */
  public static final String CHATML_TEMPLATE = "{% for m in messages %}{{ '<|im_start|>' + m['role'] + '\\n'"
      + " + m['content'] + '<|im_end|>\\n' }}{% endfor %}{% if add_generation_prompt %}"
      + "{{ '<|im_start|>assistant\\n' }}{% endif %}";

  private TestModels() {}

  /** The generated model with {@link #CHATML_TEMPLATE} as its chat template. */
  public static Path tinyChat() {
    return tiny(TinyLlamaModel.Spec.defaults().withChatTemplate(CHATML_TEMPLATE));
  }

  /** The generated model of the default spec: random weights, printable-ASCII output, no EOS unless triggered. */
  public static Path tiny() {
    return tiny(TinyLlamaModel.Spec.defaults());
  }

  public static Path tiny(TinyLlamaModel.Spec spec) {
    try {
      return TinyLlamaModel.cached(spec);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** stories260K.gguf from ../shared/models; the calling test is skipped when it is absent. */
  public static Path stories260k() {
    Path p = sharedModels().resolve("stories260K.gguf");
    assumeTrue(Files.isRegularFile(p), "stories260K.gguf is not in " + sharedModels() + "; skipping");
    return p;
  }

  static Path sharedModels() {
    String configured = System.getProperty("tokenbus.shared.models");
    return configured != null ? Path.of(configured) : Path.of("..", "..", "shared", "models");
  }
}
