package dev.tokenbus.engine.gguf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tokenbus.engine.gguf.TinyLlamaModel.Spec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.assertj.core.api.AbstractThrowableAssert;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every file here that the validator rejects would otherwise reach llama.cpp, and several of them (the ones marked
 * "kills the process") abort the JVM there (SIGABRT or SIGSEGV inside llama.cpp's loader or tokenizer).
 */
@Tag("engine")
class GgufValidatorTest {
  private static final String TOKENS = "tokenizer.ggml.tokens";
  private static final String LAST_TENSOR = "blk.1.ffn_down.weight";

  @TempDir
  Path dir;
  private Path file;
  private GgufLayout layout;

  @BeforeEach
  void writeValidModel() throws IOException {
    file = dir.resolve("model.gguf");
    layout = TinyLlamaModel.writer(Spec.defaults()).writeTo(file);
  }

  @Test
  void acceptsTheUnchangedModel() throws IOException {
    assertThat(GgufValidator.validate(file).vocabSize()).isEqualTo(355);
  }

  // --- file and header ---

  @Test
  void rejectsMissingFilesAndDirectories() {
    assertRejected(dir.resolve("absent.gguf"), "no such file");
    assertRejected(dir, "not a regular file");
  }

  @Test
  void rejectsEmptyAndTinyFiles() throws IOException {
    Path empty = Files.write(dir.resolve("empty.gguf"), new byte[0]);
    assertRejected(empty, "not a GGUF file (only 0 bytes)");
    Path magicOnly = Files.write(dir.resolve("magic.gguf"), "GGUF".getBytes());
    assertRejected(magicOnly, "truncated in the header");
  }

  @Test
  void rejectsBadMagic() throws IOException {
    GgufPatches.putAscii(file, 0, "GGUX");
    assertRejected(file, "not a GGUF file (magic 'GGUX', expected 'GGUF')");
  }

  @Test
  void rejectsVersion1() throws IOException {
    GgufPatches.putU32(file, 4, 1);
    assertRejected(file, "GGUF version 1 is no longer supported");
  }

  @Test
  void rejectsVersion4() throws IOException {
    GgufPatches.putU32(file, 4, 4);
    assertRejected(file, "unsupported GGUF version 4 (only versions 2 and 3 are supported)");
  }

  @Test
  void acceptsVersion2() throws IOException {
    GgufPatches.putU32(file, 4, 2);
    assertThat(GgufValidator.validate(file).version()).isEqualTo(2);
  }

  @Test
  void rejectsBigEndianFiles() throws IOException {
    GgufPatches.putU32(file, 4, Integer.reverseBytes(3));
    assertRejected(file, "big-endian GGUF");
  }

  @Test
  void rejectsCountsLargerThanTheFile() throws IOException {
    GgufPatches.putU64(file, 16, 1L << 50);
    assertRejected(file, "corrupt or truncated header: it claims 1125899906842624 key-value pairs");
  }

  // --- truncation ---

  @Test
  void rejectsFileTruncatedInTheKeyValuePairs() throws IOException {
    GgufPatches.truncate(file, (layout.metadataStart() + layout.tensorInfoStart()) / 2);
    assertRejected(file, "truncated in key-value pair #");
  }

  @Test
  void rejectsFileTruncatedRightAfterAKey() throws IOException {
    // Cut between the first key and its type: the message names the pair by key.
    GgufPatches.truncate(file, layout.metadataStart() + 8 + "general.architecture".length() + 2);
    assertRejected(file, "truncated in key-value pair #1 ('general.architecture'): needs 4 bytes");
  }

  @Test
  void rejectsFileTruncatedInTheTensorInfos() throws IOException {
    GgufPatches.truncate(file, layout.tensorInfoStart() + 10);
    assertRejected(file, "truncated in tensor info #1");
  }

  @Test
  void rejectsFileTruncatedInTheTensorData() throws IOException {
    GgufPatches.truncate(file, layout.fileSize() - 1);
    assertRejected(file, "truncated: tensor '" + LAST_TENSOR + "' ends at byte 487712 but the file has 487711 bytes");
  }

  @Test
  void rejectsFileTruncatedAtTheDataStartNamingTheFirstTensorThatDoesNotFit() throws IOException {
    GgufPatches.truncate(file, layout.dataStart());
    assertRejected(file, "truncated: tensor 'token_embd.weight' ends at byte");
  }

  @Test
  void ignoresTrailingBytes() throws IOException {
    GgufPatches.extend(file, layout.fileSize() + 1000);
    assertThat(GgufValidator.validate(file).fileSize()).isEqualTo(layout.fileSize() + 1000);
  }

  // --- lengths ---

  @Test
  void rejectsAStringLengthLargerThanTheFile() throws IOException {
    GgufPatches.putU64(file, layout.metadataStart(), 1L << 40); // length of the first key
    assertRejected(file, "corrupt length: key at byte 24 claims 1099511627776 bytes, more than the whole file");
  }

  @Test
  void rejectsAnUnsignedLengthOverflowingALong() throws IOException {
    GgufPatches.putU64(file, layout.metadataStart(), -1L);
    assertRejected(file, "claims 18446744073709551615 bytes");
  }

  @Test
  void rejectsAnArrayCountLargerThanTheFile() throws IOException {
    long tokensKey = GgufPatches.indexOf(file, TOKENS);
    GgufPatches.putU64(file, tokensKey + TOKENS.length() + 4 + 4, 1L << 40); // after type ARRAY + element type
    assertRejected(file, "corrupt length: array '" + TOKENS + "'");
  }

  // --- metadata that kills llama.cpp ---

  @Test
  void rejectsDuplicateToken() throws IOException {
    List<String> tokens = new ArrayList<>(TinyVocabulary.standard().tokens());
    tokens.set(300, tokens.get(299));
    write(TinyLlamaModel.writer(Spec.defaults()).putStringArray(TOKENS, tokens));
    assertRejected(file, "duplicate token '" + tokens.get(299) + "' at ids 299 and 300");
  }

  @Test
  void rejectsEmptyTokensArray() throws IOException {
    write(TinyLlamaModel.writer(Spec.defaults()).putStringArray(TOKENS, List.of()));
    assertRejected(file, "'" + TOKENS + "' is an empty array");
  }

  @Test
  void rejectsTokensThatAreNotStrings() throws IOException {
    write(TinyLlamaModel.writer(Spec.defaults()).putI32Array(TOKENS, new int[355]));
    assertRejected(file, "'" + TOKENS + "' must be an array of strings, but is an array of i32");
  }

  @Test
  void rejectsMissingByteToken() throws IOException {
    List<String> tokens = new ArrayList<>(TinyVocabulary.standard().tokens());
    tokens.set(TinyVocabulary.byteTokenId(0x80), "<0x80-gone>");
    write(TinyLlamaModel.writer(Spec.defaults()).putStringArray(TOKENS, tokens));
    assertRejected(file, "lacks the byte token <0x80>");
  }

  @Test
  void byteTokensAreOnlyRequiredForSentencePiece() throws IOException {
    List<String> tokens = new ArrayList<>(TinyVocabulary.standard().tokens());
    tokens.set(TinyVocabulary.byteTokenId(0x80), "<0x80-gone>");
    write(TinyLlamaModel.writer(Spec.defaults()).putStringArray(TOKENS, tokens)
        .putString("tokenizer.ggml.model", "gpt2"));
    assertThat(GgufValidator.validate(file).vocabSize()).isEqualTo(355);
  }

  @Test
  void rejectsScoresShorterThanTheVocabulary() throws IOException {
    write(TinyLlamaModel.writer(Spec.defaults()).putF32Array("tokenizer.ggml.scores", new float[354]));
    assertRejected(file, "'tokenizer.ggml.scores' has 354 entries but the vocabulary has 355 tokens");
  }

  @Test
  void rejectsScoresAndTokenTypesOfTheWrongType() throws IOException {
    write(TinyLlamaModel.writer(Spec.defaults())
        .putStringArray("tokenizer.ggml.scores", TinyVocabulary.standard().tokens()));
    assertRejected(file, "'tokenizer.ggml.scores' must be an array of f32, but is an array of string");

    write(TinyLlamaModel.writer(Spec.defaults()).putF32Array("tokenizer.ggml.token_type", new float[355]));
    assertRejected(file, "'tokenizer.ggml.token_type' must be an array of i32, but is an array of f32");
  }

  @Test
  void rejectsTokenTypesLongerThanTheVocabulary() throws IOException {
    write(TinyLlamaModel.writer(Spec.defaults()).putI32Array("tokenizer.ggml.token_type", new int[356]));
    assertRejected(file, "'tokenizer.ggml.token_type' has 356 entries");
  }

  @Test
  void rejectsBlockCountZero() throws IOException {
    write(TinyLlamaModel.writer(Spec.defaults()).putU32("llama.block_count", 0));
    assertRejected(file, "'llama.block_count' is 0; a model needs at least 1 block");
  }

  @Test
  void rejectsAlignmentThatIsNotU32() throws IOException {
    write(TinyLlamaModel.writer(Spec.defaults()).putU64("general.alignment", 32));
    assertRejected(file, "'general.alignment' must be a u32, but is a u64");
  }

  @Test
  void rejectsAlignmentThatIsNotAPowerOfTwo() throws IOException {
    write(TinyLlamaModel.writer(Spec.defaults()).putU32("general.alignment", 48));
    assertRejected(file, "'general.alignment' is 48, not a power of 2");
  }

  @Test
  void acceptsExplicitDefaultAlignment() throws IOException {
    write(TinyLlamaModel.writer(Spec.defaults()).putU32("general.alignment", 32));
    assertThat(GgufValidator.validate(file).tensorCount()).isEqualTo(21);
  }

  @Test
  void rejectsMissingArchitecture() throws IOException {
    write(TinyLlamaModel.writer(Spec.defaults()).remove("general.architecture"));
    assertRejected(file, "missing 'general.architecture'");
  }

  @Test
  void rejectsUnknownValueTypeAndNestedArrays() throws IOException {
    long typeOfFirstValue = layout.metadataStart() + 8 + "general.architecture".length();
    GgufPatches.putU32(file, typeOfFirstValue, 13);
    assertRejected(file, "unknown value type of 'general.architecture': 13");

    write(TinyLlamaModel.writer(Spec.defaults()));
    long tokensKey = GgufPatches.indexOf(file, TOKENS);
    GgufPatches.putU32(file, tokensKey + TOKENS.length() + 4, GgufValueType.ARRAY.id());
    assertRejected(file, "'" + TOKENS + "' is an array of arrays");
  }

  @Test
  void rejectsDuplicateKeys() throws IOException {
    // Both keys are 20 bytes long, so renaming one in place keeps the file well-formed otherwise.
    GgufPatches.putAscii(file, GgufPatches.indexOf(file, "llama.context_length"), "general.architecture");
    assertRejected(file, "duplicate key 'general.architecture'");
  }

  // --- tensor infos ---

  @Test
  void rejectsWrongTensorOffset() throws IOException {
    long typePosition = GgufPatches.tensorTypePosition(file, LAST_TENSOR, 2);
    GgufPatches.putU64(file, typePosition + 4, 64); // the offset follows the type
    assertRejected(file, "tensor '" + LAST_TENSOR + "' has offset 64, expected ");
  }

  @Test
  void rejectsMisalignedTensorOffset() throws IOException {
    long typePosition = GgufPatches.tensorTypePosition(file, LAST_TENSOR, 2);
    GgufPatches.putU64(file, typePosition + 4, 33);
    assertRejected(file, "has offset 33, not a multiple of the alignment 32");
  }

  @Test
  void rejectsTooManyDimensions() throws IOException {
    long dimsPosition = GgufPatches.indexOf(file, LAST_TENSOR) + LAST_TENSOR.length();
    GgufPatches.putU32(file, dimsPosition, 5);
    assertRejected(file, "tensor '" + LAST_TENSOR + "' has 5 dimensions; ggml supports 1 to 4");
  }

  @Test
  void rejectsTooLongTensorName() throws IOException {
    String name = "x".repeat(64);
    write(TinyLlamaModel.writer(Spec.defaults()).addTensor(name, GgmlType.F32, new long[] {1}, new float[1]));
    assertRejected(file, "tensor name at byte");
    assertRejected(file, "is 64 bytes long; ggml allows at most 63");
  }

  @Test
  void rejectsRowsThatAreNotWholeQuantizationBlocks() throws IOException {
    // blk.1.ffn_down.weight has rows of 128 values: fine for Q8_0 (blocks of 32), not for Q4_K (256).
    long typePosition = GgufPatches.tensorTypePosition(file, LAST_TENSOR, 2);
    GgufPatches.putU32(file, typePosition, GgmlType.Q4_K.id());
    assertRejected(file, "of type Q4_K has rows of 128 values, not a multiple of the block size 256");

    GgufPatches.putU32(file, typePosition, GgmlType.Q8_0.id());
    assertThat(GgufValidator.validate(file)).isNotNull(); // 64 rows x 4 blocks x 34 bytes fit in the F32 space
  }

  @Test
  void skipsTheSizeCheckForUnknownTensorTypes() throws IOException {
    // A type this code does not know may be newer than it: llama.cpp reports it if it cannot use it.
    GgufPatches.putU32(file, GgufPatches.tensorTypePosition(file, LAST_TENSOR, 2), 99);
    GgufPatches.truncate(file, layout.fileSize() - 1000);
    assertThat(GgufValidator.validate(file).tensorCount()).isEqualTo(21);
  }

  @Test
  void resumesOffsetChecksAfterATensorOfUnknownType() throws IOException {
    GgufPatches.putU32(file, GgufPatches.tensorTypePosition(file, "blk.0.ffn_down.weight", 2), 99);
    assertThat(GgufValidator.validate(file).tensorCount()).isEqualTo(21);

    GgufPatches.truncate(file, layout.fileSize() - 1);
    assertRejected(file, "truncated: tensor '" + LAST_TENSOR + "'");
  }

  @Test
  void validatesAFourGigabyteModelWithoutReadingItsData() throws IOException {
    // Make the last tensor [128, 8M] F32 (4 GiB) and grow the file to match; the file stays sparse.
    long rows = 8L * 1024 * 1024;
    long ne1 = GgufPatches.tensorTypePosition(file, LAST_TENSOR, 2) - 8;
    GgufPatches.putU64(file, ne1, rows);
    long lastOffset = layout.fileSize() - 128 * 64 * 4;
    long size = lastOffset + 128 * rows * 4;
    GgufPatches.extend(file, size);

    long start = System.nanoTime();
    GgufInfo info = GgufValidator.validate(file);
    long millis = (System.nanoTime() - start) / 1_000_000;

    assertThat(info.fileSize()).isEqualTo(size).isGreaterThan(4L << 30);
    assertThat(millis).isLessThan(2_000);
  }

  // --- a real model ---

  @Test
  void acceptsStories260K() throws IOException {
    Path models = Path.of(System.getProperty("tokenbus.shared.models", "../shared/models"));
    Path stories = models.resolve("stories260K.gguf");
    Assumptions.assumeTrue(Files.isRegularFile(stories), "no " + stories);

    GgufInfo info = GgufValidator.validate(stories);

    assertThat(info.architecture()).isEqualTo("llama");
    assertThat(info.vocabSize()).isEqualTo(512);
    assertThat(info.contextLength()).isEqualTo(2048);
    assertThat(info.blockCount()).isEqualTo(5);
    assertThat(info.embeddingLength()).isEqualTo(64);
    assertThat(info.chatTemplate()).isNull();
    assertThat(info.tensorCount()).isEqualTo(48);
    assertThat(info.fileSize()).isEqualTo(1_185_376);
  }

  @Test
  void knowsTheBlockGeometryOfCommonTypes() {
    assertThat(GgmlType.Q4_0.byteSize(64)).isEqualTo(36);
    assertThat(GgmlType.Q8_0.byteSize(32)).isEqualTo(34);
    assertThat(GgmlType.Q4_K.byteSize(512)).isEqualTo(288);
    assertThat(GgmlType.Q6_K.byteSize(256)).isEqualTo(210);
    assertThat(GgmlType.BF16.byteSize(3)).isEqualTo(6);
    assertThat(GgmlType.byId(4)).isNull(); // Q4_2, retired
    assertThat(Arrays.stream(GgmlType.values()).map(GgmlType::id).distinct().count())
        .isEqualTo(GgmlType.values().length);
  }

  private void write(GgufWriter writer) throws IOException {
    layout = writer.writeTo(file);
  }

  private static AbstractThrowableAssert<?, ?> assertRejected(Path file, String problem) {
    return assertThatThrownBy(() -> GgufValidator.validate(file))
        .isInstanceOf(GgufFormatException.class)
        .hasMessageStartingWith(file + ": ")
        .hasMessageContaining(problem);
  }
}
