package dev.tokenbus.engine.gguf;

import java.util.Arrays;
import java.util.Random;

/**
 * Seeded random weights for {@link TinyLlamaModel}, shaped so that the model never emits EOS or junk bytes by chance
 * and emits EOS for sure after byte 0x03.
 *
 * <p>Two residual channels carry no noise: attn_output and ffn_down never write to them (their output rows are zero).
 * <ul>
 *   <li>Channel 0 is 1.0 for every token, so after RMS norm it is always positive; output rows of suppressed tokens
 *       are {@code [-100, 0, ...]}, which pushes their logits far below every allowed token's.</li>
 *   <li>Channel 1 is 10 only for byte token 0x03; EOS's output row reads it with weight +30, beating its -100.</li>
 * </ul>
 * A random model without this hits EOS often: 14 of 60 greedy runs and about a fifth of sampled ones ended within
 * 64 tokens (per-step p(EOS) up to 4.6%); with it, none of 660 runs did (p(EOS) at most 2e-22).
 */
final class TinyLlamaWeights {
  static final int CONSTANT_CHANNEL = 0;
  static final int EOS_TRIGGER_CHANNEL = 1;
  static final float SUPPRESSED_LOGIT_WEIGHT = -100f;
  static final float EOS_TRIGGER_EMBEDDING = 10f;
  static final float EOS_TRIGGER_WEIGHT = 30f;

  private final TinyLlamaModel.Spec spec;
  private final TinyVocabulary vocab;
  private final Random random;

  private TinyLlamaWeights(TinyLlamaModel.Spec spec, TinyVocabulary vocab) {
    this.spec = spec;
    this.vocab = vocab;
    this.random = new Random(spec.seed());
  }

  /** Adds every tensor llama.cpp's llama architecture needs. The order fixes both the random draws and the file layout. */
  static void addTo(GgufWriter writer, TinyLlamaModel.Spec spec, TinyVocabulary vocab) {
    new TinyLlamaWeights(spec, vocab).addAll(writer);
  }

  private void addAll(GgufWriter writer) {
    int embd = spec.embd();
    int vocabSize = vocab.size();
    int qWidth = spec.heads() * spec.headDim();
    int kvWidth = spec.kvHeads() * spec.headDim();

    matrix(writer, "token_embd.weight", embd, vocabSize, tokenEmbeddings());
    norm(writer, "output_norm.weight");
    matrix(writer, "output.weight", embd, vocabSize, outputProjection());
    for (int layer = 0; layer < spec.layers(); layer++) {
      String block = "blk." + layer + ".";
      norm(writer, block + "attn_norm.weight");
      matrix(writer, block + "attn_q.weight", embd, qWidth, projection(embd, qWidth));
      matrix(writer, block + "attn_k.weight", embd, kvWidth, projection(embd, kvWidth));
      matrix(writer, block + "attn_v.weight", embd, kvWidth, projection(embd, kvWidth));
      matrix(writer, block + "attn_output.weight", qWidth, embd, residualWriter(qWidth));
      norm(writer, block + "ffn_norm.weight");
      matrix(writer, block + "ffn_gate.weight", embd, spec.ff(), projection(embd, spec.ff()));
      matrix(writer, block + "ffn_up.weight", embd, spec.ff(), projection(embd, spec.ff()));
      matrix(writer, block + "ffn_down.weight", spec.ff(), embd, residualWriter(spec.ff()));
    }
  }

  /** One row of {@code embd} values per token, N(0, 1), with the two fixed channels. */
  private float[] tokenEmbeddings() {
    int embd = spec.embd();
    float[] rows = gaussian(vocab.size() * embd, 1.0);
    int trigger = TinyVocabulary.byteTokenId(TinyLlamaModel.EOS_TRIGGER_BYTE);
    for (int token = 0; token < vocab.size(); token++) {
      rows[token * embd + CONSTANT_CHANNEL] = 1f;
      rows[token * embd + EOS_TRIGGER_CHANNEL] = token == trigger ? EOS_TRIGGER_EMBEDDING : 0f;
    }
    return rows;
  }

  /** One row per token; the fixed channels only talk to suppressed tokens and EOS. */
  private float[] outputProjection() {
    int embd = spec.embd();
    float[] rows = projection(embd, vocab.size());
    for (int token = 0; token < vocab.size(); token++) {
      int row = token * embd;
      if (vocab.isSuppressed(token)) {
        Arrays.fill(rows, row, row + embd, 0f);
        rows[row + CONSTANT_CHANNEL] = SUPPRESSED_LOGIT_WEIGHT;
      } else {
        rows[row + CONSTANT_CHANNEL] = 0f;
      }
      rows[row + EOS_TRIGGER_CHANNEL] = token == TinyVocabulary.EOS ? EOS_TRIGGER_WEIGHT : 0f;
    }
    return rows;
  }

  /** A projection back into the residual stream: zero output rows for the fixed channels keep them constant. */
  private float[] residualWriter(int fanIn) {
    float[] rows = projection(fanIn, spec.embd());
    Arrays.fill(rows, CONSTANT_CHANNEL * fanIn, (CONSTANT_CHANNEL + 1) * fanIn, 0f);
    Arrays.fill(rows, EOS_TRIGGER_CHANNEL * fanIn, (EOS_TRIGGER_CHANNEL + 1) * fanIn, 0f);
    return rows;
  }

  /** n_out rows of n_in values, N(0, 1/sqrt(n_in)). */
  private float[] projection(int fanIn, int fanOut) {
    return gaussian(fanIn * fanOut, 1.0 / Math.sqrt(fanIn));
  }

  private float[] gaussian(int count, double std) {
    float[] values = new float[count];
    for (int i = 0; i < count; i++) {
      values[i] = (float) (random.nextGaussian() * std);
    }
    return values;
  }

  private void matrix(GgufWriter writer, String name, int nIn, int nOut, float[] rows) {
    GgmlType type = spec.f16Matrices() ? GgmlType.F16 : GgmlType.F32;
    writer.addTensor(name, type, new long[] {nIn, nOut}, rows);
  }

  /** Norm weights are always F32: all-F16 files give NaN logits on llama.cpp b4916. */
  private void norm(GgufWriter writer, String name) {
    float[] ones = new float[spec.embd()];
    Arrays.fill(ones, 1f);
    writer.addTensor(name, GgmlType.F32, new long[] {spec.embd()}, ones);
  }
}
