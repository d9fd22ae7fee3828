package dev.tokenbus.engine.gguf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tokenbus.engine.gguf.TinyLlamaModel.Spec;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@Tag("engine")
class TinyLlamaModelTest {
  @TempDir
  Path dir;

  @Test
  void defaultModelValidatesAndMatchesItsSpec() throws IOException {
    Path file = TinyLlamaModel.write(Spec.defaults(), dir.resolve("tiny.gguf"));

    GgufInfo info = GgufValidator.validate(file);

    assertThat(info.version()).isEqualTo(3);
    assertThat(info.architecture()).isEqualTo("llama");
    assertThat(info.name()).isEqualTo("tokenbus-tiny");
    assertThat(info.contextLength()).isEqualTo(2048);
    assertThat(info.blockCount()).isEqualTo(2);
    assertThat(info.embeddingLength()).isEqualTo(64);
    assertThat(info.vocabSize()).isEqualTo(TinyLlamaModel.VOCAB_SIZE).isEqualTo(355);
    assertThat(info.chatTemplate()).isNull();
    assertThat(info.tensorCount()).isEqualTo(3 + 2 * 9);
    // Header 9,760 bytes and data 477,952: 119.5 K F32 parameters, each tensor padded to 32 bytes.
    assertThat(info.fileSize()).isEqualTo(487_712).isEqualTo(Files.size(file));
  }

  @Test
  void writesEveryIntegerKeyAsU32() throws IOException {
    Path file = TinyLlamaModel.write(Spec.defaults(), dir.resolve("tiny.gguf"));
    GgufStructure gguf = GgufWriterTest.readStructure(file);

    for (String key : List.of("llama.context_length", "llama.embedding_length", "llama.block_count",
        "llama.feed_forward_length", "llama.attention.head_count", "llama.attention.head_count_kv",
        "llama.rope.dimension_count", "tokenizer.ggml.bos_token_id", "tokenizer.ggml.eos_token_id",
        "tokenizer.ggml.unknown_token_id")) {
      assertThat(gguf.entry(key).type()).as(key).isEqualTo(GgufValueType.UINT32);
    }
    assertThat(gguf.entry("llama.attention.head_count_kv").integer()).isEqualTo(2L);
    assertThat(gguf.entry("llama.rope.dimension_count").integer()).isEqualTo(16L);
    assertThat(gguf.entry("tokenizer.ggml.bos_token_id").integer()).isEqualTo((long) TinyLlamaModel.BOS);
    assertThat(gguf.entry("tokenizer.ggml.eos_token_id").integer()).isEqualTo((long) TinyLlamaModel.EOS);
    assertThat(gguf.entry("llama.attention.layer_norm_rms_epsilon").type()).isEqualTo(GgufValueType.FLOAT32);
    assertThat(gguf.string("tokenizer.ggml.model")).isEqualTo("llama");
    assertThat(gguf.metadata()).doesNotContainKeys("general.alignment", "tokenizer.chat_template");
  }

  @Test
  void sameSpecGivesIdenticalBytesAndAnotherSeedDoesNot() throws IOException {
    Path first = TinyLlamaModel.write(Spec.defaults(), dir.resolve("a.gguf"));
    Path second = TinyLlamaModel.write(Spec.defaults(), dir.resolve("b.gguf"));
    Path reseeded = TinyLlamaModel.write(Spec.defaults().withSeed(43), dir.resolve("c.gguf"));

    assertThat(Files.mismatch(first, second)).isEqualTo(-1);
    assertThat(Files.size(reseeded)).isEqualTo(Files.size(first));
    assertThat(Files.mismatch(first, reseeded)).isNotEqualTo(-1);
  }

  @Test
  void chatTemplateIsWrittenOnlyWhenAsked() throws IOException {
    String template = "{% for m in messages %}<|{{ m.role }}|>{{ m.content }}{% endfor %}";
    Path file = TinyLlamaModel.write(Spec.defaults().withChatTemplate(template), dir.resolve("chat.gguf"));

    assertThat(GgufValidator.validate(file).chatTemplate()).isEqualTo(template);
  }

  @Test
  void otherShapesAndF16MatricesValidate() throws IOException {
    Spec bigger = Spec.defaults().withLayers(4).withEmbd(128).withContextLength(512).withName("bigger");
    GgufInfo info = GgufValidator.validate(TinyLlamaModel.write(bigger, dir.resolve("big.gguf")));
    assertThat(info).extracting(GgufInfo::blockCount, GgufInfo::embeddingLength, GgufInfo::contextLength,
        GgufInfo::name, GgufInfo::tensorCount).containsExactly(4, 128, 512, "bigger", 3L + 4 * 9);

    Path f16 = TinyLlamaModel.write(Spec.defaults().withF16Matrices(true), dir.resolve("f16.gguf"));
    assertThat(GgufValidator.validate(f16).fileSize()).isEqualTo(249_376);
    GgufStructure gguf = GgufWriterTest.readStructure(f16);
    for (TensorInfo tensor : gguf.tensors()) {
      GgmlType expected = tensor.dims().length == 1 ? GgmlType.F32 : GgmlType.F16; // norms stay F32
      assertThat(tensor.typeId()).as(tensor.name()).isEqualTo(expected.id());
    }
  }

  @Test
  void specRejectsShapesLlamaCannotRun() {
    Spec spec = Spec.defaults();
    assertThatThrownBy(() -> spec.withEmbd(66)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("multiple of heads");
    assertThatThrownBy(() -> spec.withEmbd(12)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("even");
    assertThatThrownBy(() -> spec.withHeads(4, 3)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> spec.withLayers(0)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void vocabularyIsSentencePieceWithByteFallbackAndClosedPrefixes() {
    TinyVocabulary vocab = TinyVocabulary.standard();
    List<String> tokens = vocab.tokens();
    int[] types = vocab.types();

    assertThat(tokens).hasSize(355).doesNotHaveDuplicates();
    assertThat(tokens.subList(0, 3)).containsExactly("<unk>", "<s>", "</s>");
    assertThat(types[0]).isEqualTo(TinyVocabulary.TYPE_UNKNOWN);
    assertThat(types[1]).isEqualTo(TinyVocabulary.TYPE_CONTROL);
    assertThat(types[2]).isEqualTo(TinyVocabulary.TYPE_CONTROL);
    assertThat(tokens.get(3)).isEqualTo("<0x00>");
    assertThat(tokens.get(3 + 0xAB)).isEqualTo("<0xAB>");
    assertThat(tokens.get(258)).isEqualTo("<0xFF>");
    assertThat(types[3 + 0xAB]).isEqualTo(TinyVocabulary.TYPE_BYTE);
    assertThat(tokens.get(TinyLlamaModel.EOS_TRIGGER_TOKEN)).isEqualTo("<0x03>");
    assertThat(vocab.idOf("\u2581")).isEqualTo(TinyVocabulary.FIRST_NORMAL);
    assertThat(vocab.idOf("\u2581hello")).isPositive();
    assertThat(vocab.idOf("\u2581world")).isPositive();
    for (int id = TinyVocabulary.FIRST_NORMAL; id < tokens.size(); id++) {
      String piece = tokens.get(id);
      assertThat(types[id]).isEqualTo(TinyVocabulary.TYPE_NORMAL);
      assertThat(piece).startsWith("\u2581").isEqualTo(piece.toLowerCase());
      // SPM only merges into pieces that exist, so every shorter prefix must be there too.
      if (!piece.equals("\u2581")) {
        assertThat(tokens).as("prefix of " + piece).contains(piece.substring(0, piece.length() - 1));
      }
    }
  }

  @Test
  void weightsKeepEosAndJunkBytesOutAndLetByte03TriggerEos() throws IOException {
    Path file = TinyLlamaModel.write(Spec.defaults(), dir.resolve("tiny.gguf"));
    Tensors tensors = new Tensors(file);
    TinyVocabulary vocab = TinyVocabulary.standard();
    int embd = 64;

    float[] embeddings = tensors.f32("token_embd.weight");
    float[] output = tensors.f32("output.weight");
    for (int token = 0; token < vocab.size(); token++) {
      int row = token * embd;
      assertThat(embeddings[row]).isEqualTo(1f);
      assertThat(embeddings[row + 1]).isEqualTo(token == TinyLlamaModel.EOS_TRIGGER_TOKEN ? 10f : 0f);
      assertThat(output[row + 1]).isEqualTo(token == TinyLlamaModel.EOS ? 30f : 0f);
      if (vocab.isSuppressed(token)) {
        assertThat(output[row]).isEqualTo(-100f);
        for (int column = 2; column < embd; column++) {
          assertThat(output[row + column]).isZero();
        }
      } else {
        assertThat(output[row]).isZero();
      }
    }
    assertThat(vocab.isSuppressed(TinyVocabulary.byteTokenId(0x1F))).isTrue();
    assertThat(vocab.isSuppressed(TinyVocabulary.byteTokenId(0x20))).isFalse();
    assertThat(vocab.isSuppressed(TinyVocabulary.byteTokenId(0x7E))).isFalse();
    assertThat(vocab.isSuppressed(TinyVocabulary.byteTokenId(0x7F))).isTrue();
    assertThat(vocab.isSuppressed(TinyVocabulary.byteTokenId(0xE2))).isTrue();

    for (int layer = 0; layer < 2; layer++) {
      assertZeroRows(tensors.f32("blk." + layer + ".attn_output.weight"), 64);
      assertZeroRows(tensors.f32("blk." + layer + ".ffn_down.weight"), 128);
      assertThat(tensors.f32("blk." + layer + ".attn_norm.weight")).containsOnly(1f);
    }
    assertThat(tensors.f32("output_norm.weight")).containsOnly(1f);
  }

  /** Output rows 0 and 1 (the fixed channels) are zero; row 2 is not. */
  private static void assertZeroRows(float[] rows, int fanIn) {
    for (int i = 0; i < 2 * fanIn; i++) {
      assertThat(rows[i]).isZero();
    }
    assertThat(rows[2 * fanIn]).isNotZero();
  }

  @Test
  void writeReplacesAtomicallyAndLeavesNoTemporaryFiles() throws IOException {
    Path file = dir.resolve("model.gguf");
    Files.writeString(file, "old contents");

    TinyLlamaModel.write(Spec.defaults(), file);

    GgufValidator.validate(file);
    try (Stream<Path> files = Files.list(dir)) {
      assertThat(files).containsExactly(file);
    }
  }

  @Test
  void cachedWritesOnceAndReuses() throws IOException {
    Spec spec = Spec.defaults().withSeed(7);
    Path first = TinyLlamaModel.cached(spec, dir);
    FileTime written = Files.getLastModifiedTime(first);
    Files.setLastModifiedTime(first, FileTime.fromMillis(written.toMillis() - 60_000));

    Path again = TinyLlamaModel.cached(spec, dir);
    Path other = TinyLlamaModel.cached(spec.withSeed(8), dir);

    assertThat(again).isEqualTo(first);
    assertThat(Files.getLastModifiedTime(again).toMillis()).isEqualTo(written.toMillis() - 60_000);
    assertThat(other).isNotEqualTo(first);
    assertThat(first.getFileName().toString()).matches("tiny-[0-9a-f]{16}\\.gguf");
  }

  @Test
  void cachedIsSafeWhenManyCallersRace() throws Exception {
    Spec spec = Spec.defaults().withName("race");
    int callers = 8;
    CountDownLatch start = new CountDownLatch(1);
    List<Future<Path>> results = new ArrayList<>();
    try (ExecutorService pool = Executors.newFixedThreadPool(callers)) {
      for (int i = 0; i < callers; i++) {
        Callable<Path> call = () -> {
          start.await();
          Path file = TinyLlamaModel.cached(spec, dir);
          GgufValidator.validate(file); // never a partial file
          return file;
        };
        results.add(pool.submit(call));
      }
      start.countDown();
      var paths = new HashSet<Path>();
      for (Future<Path> result : results) {
        paths.add(result.get());
      }
      assertThat(paths).hasSize(1);
    }
    try (Stream<Path> files = Files.list(dir)) {
      assertThat(files).hasSize(1);
    }
  }

  @Test
  void defaultCacheLivesInTheTemporaryDirectory() throws IOException {
    Path file = TinyLlamaModel.cached(Spec.defaults());
    assertThat(file.getParent()).isEqualTo(Path.of(System.getProperty("java.io.tmpdir"), "tokenbus-models"));
    assertThat(GgufValidator.validate(file).vocabSize()).isEqualTo(TinyLlamaModel.VOCAB_SIZE);
  }

  @Test
  void mainWritesTheDefaultModel() throws IOException {
    Path file = dir.resolve("cli.gguf");
    TinyLlamaModel.main(new String[] {file.toString()});
    assertThat(Files.mismatch(file, TinyLlamaModel.write(Spec.defaults(), dir.resolve("api.gguf")))).isEqualTo(-1);

    Path seeded = dir.resolve("seeded.gguf");
    TinyLlamaModel.main(new String[] {seeded.toString(), "--seed", "9", "--f16"});
    assertThat(Files.mismatch(seeded, TinyLlamaModel.write(
        Spec.defaults().withSeed(9).withF16Matrices(true), dir.resolve("api9.gguf")))).isEqualTo(-1);
  }

  /** Reads F32 tensor data back from a written file. */
  private static final class Tensors {
    private final GgufStructure gguf;
    private final ByteBuffer bytes;

    Tensors(Path file) throws IOException {
      gguf = GgufWriterTest.readStructure(file);
      bytes = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
    }

    float[] f32(String name) {
      TensorInfo tensor = gguf.tensors().stream().filter(t -> t.name().equals(name)).findFirst().orElseThrow();
      assertThat(tensor.typeId()).isEqualTo(GgmlType.F32.id());
      long start = TensorLayoutCheck.alignUp(gguf.tensorInfoEnd(), GgufWriter.ALIGNMENT) + tensor.offset();
      float[] values = new float[Math.toIntExact(tensor.elements())];
      for (int i = 0; i < values.length; i++) {
        values[i] = bytes.getFloat(Math.toIntExact(start + 4L * i));
      }
      return values;
    }
  }
}
