package dev.tokenbus.engine.gguf;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenbus.engine.EngineConfig;
import dev.tokenbus.engine.LlamaEngine;
import dev.tokenbus.engine.RecordingSink;
import dev.tokenbus.protocol.GenerationRequest;
import dev.tokenbus.protocol.StreamConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The benchmark model has a small real model's shape, and llama.cpp loads it and generates with it. */
@Tag("engine")
class BenchModelTest {

  @TempDir
  Path dir;

  @Test
  void hasTheShapeOfASmallRealModel() {
    TinyLlamaModel.Spec spec = BenchModel.small();
    assertThat(spec.layers()).isBetween(20, 30);
    assertThat(spec.embd()).isBetween(512, 1024);
    assertThat(spec.f16Matrices()).isTrue();
    assertThat(BenchModel.parameters(spec)).isBetween(50_000_000L, 150_000_000L);
  }

  @Test
  void parameterCountMatchesTheWrittenTensors() throws Exception {
    // A scaled-down shape through the same writer: the count is the file's, not a formula's guess.
    TinyLlamaModel.Spec spec = BenchModel.small().withLayers(2).withEmbd(64).withHeads(4, 2).withFf(96);
    Path file = TinyLlamaModel.write(spec, dir.resolve("shape.gguf"));
    long f16Bytes = Files.size(file);
    long matrices = BenchModel.parameters(spec) - (spec.layers() * 2L + 1) * spec.embd(); // norms are F32
    long norms = (spec.layers() * 2L + 1) * spec.embd();
    assertThat(f16Bytes).isGreaterThan(matrices * 2 + norms * 4).isLessThan(matrices * 2 + norms * 4 + 64 * 1024);
  }

  @Test
  void loadsAndGenerates() throws Exception {
    Path file = TinyLlamaModel.cached(BenchModel.small(), dir);
    assertThat(Files.size(file)).isGreaterThan(100_000_000L);
    try (LlamaEngine engine = LlamaEngine.start(EngineConfig.forModel(file).withSlots(1).withContextPerSequence(64)
        .withThreads(1))) {
      RecordingSink sink = new RecordingSink();
      engine.submit(new GenerationRequest("bench-small", "Once upon a time",
          StreamConfig.defaults().withMaxTokens(3).withTemperature(0)), sink);
      assertThat(sink.await(java.time.Duration.ofSeconds(120)).usage().completionTokens()).isBetween(1, 3);
    }
  }
}
