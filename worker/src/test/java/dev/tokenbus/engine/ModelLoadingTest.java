package dev.tokenbus.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tokenbus.engine.gguf.GgufWriter;
import dev.tokenbus.engine.gguf.TinyLlamaModel;
import dev.tokenbus.protocol.GenerationRequest;
import dev.tokenbus.protocol.StreamConfig;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Bad model files get a clear error, never a crashed JVM, and a good engine keeps serving meanwhile. */
@Tag("engine")
class ModelLoadingTest {

  @TempDir
  Path dir;

  private static EngineConfig config(Path model) {
    return EngineConfig.forModel(model).withThreads(1).withSlots(1).withContextPerSequence(128);
  }

  @Test
  void missingFile() {
    Path missing = dir.resolve("nope.gguf");
    assertThatThrownBy(() -> LlamaEngine.start(config(missing)))
        .isInstanceOf(ModelLoadException.class).hasMessageContaining(missing.toString());
  }

  @Test
  void truncatedFile() throws IOException {
    Path file = Files.copy(TestModels.tiny(), dir.resolve("cut.gguf"));
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
      ch.truncate(ch.size() - 1000);
    }
    assertThatThrownBy(() -> LlamaEngine.start(config(file)))
        .isInstanceOf(ModelLoadException.class).hasMessageContaining("cut.gguf").hasMessageContaining("truncated");
  }

  @Test
  void notAGgufFile() throws IOException {
    Path file = Files.writeString(dir.resolve("text.gguf"), "this is not a model");
    assertThatThrownBy(() -> LlamaEngine.start(config(file)))
        .isInstanceOf(ModelLoadException.class).hasMessageContaining("text.gguf");
  }

  @Test
  void fileThatOnlyLlamaCppRejectsReportsItsReason() throws IOException {
    // Passes the Java pre-check (well-formed GGUF), but a required key is missing: llama.cpp
    // returns NULL, and its logged reason must reach the exception.
    GgufWriter w = TinyLlamaModel.writer(TinyLlamaModel.Spec.defaults());
    w.remove("llama.block_count");
    Path file = dir.resolve("no-blocks.gguf");
    w.writeTo(file);
    assertThatThrownBy(() -> LlamaEngine.start(config(file)))
        .isInstanceOf(ModelLoadException.class).hasMessageContaining("llama.block_count");
  }

  @Test
  void aFailedLoadDoesNotDisturbARunningEngine() throws IOException {
    try (LlamaEngine good = LlamaEngine.start(config(TestModels.tiny()))) {
      RecordingSink sink = new RecordingSink();
      good.submit(new GenerationRequest("bg", "still here", StreamConfig.defaults().withTemperature(0)
          .withMaxTokens(100)), sink);
      Path bad = Files.writeString(dir.resolve("bad.gguf"), "GGUF-but-not-really");
      assertThatThrownBy(() -> LlamaEngine.start(config(bad))).isInstanceOf(ModelLoadException.class);
      assertThat(sink.await().usage().completionTokens()).isEqualTo(100);
    }
  }
}
