package dev.tokenbus.engine.gguf;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.Random;

/**
 * Tiny GGUF files of current model architectures with seeded random weights, a byte-level BPE
 * vocabulary ({@link ByteLevelVocabulary}) and the chat template their family ships: for checking
 * offline that the loaded llama.cpp runs each architecture. Their text is noise. The same
 * architecture and seed always give byte-identical files.
 *
 * <p>All share the llama block (RMS norms, rotary attention with grouped KV heads, a gated FFN);
 * {@code qwen2} adds Q/K/V biases, {@code qwen3} per-head Q/K norms, {@code gemma3} those norms, a
 * norm after attention and after the FFN, sliding-window attention on most layers, and an output
 * projection tied to the token embeddings.
 */
public final class TinyArchModel {

  /** The architectures written; the GGUF name is {@link #ggufName()}. */
  public enum Architecture {
    LLAMA, QWEN2, QWEN3, GEMMA3;

    public String ggufName() {
      return name().toLowerCase(Locale.ROOT);
    }

    boolean gemma() {
      return this == GEMMA3;
    }

    boolean qkNorm() {
      return this == QWEN3 || this == GEMMA3;
    }
  }

  /** A ChatML template (Llama-family fine-tunes, Qwen); llama.cpp recognises it by its markers. */
  public static final String CHATML_TEMPLATE = "{% for m in messages %}{{ '<|im_start|>' + m['role'] + '\\n'"
      + " + m['content'] + '<|im_end|>\\n' }}{% endfor %}{% if add_generation_prompt %}"
      + "{{ '<|im_start|>assistant\\n' }}{% endif %}";
  /** Gemma's template (turns of user and model); recognised by {@code <start_of_turn>}. */
  public static final String GEMMA_TEMPLATE = "{{ bos_token }}{% for m in messages %}{{ '<start_of_turn>'"
      + " + (m['role'] == 'assistant' and 'model' or m['role']) + '\\n' + m['content'] + '<end_of_turn>\\n' }}"
      + "{% endfor %}{% if add_generation_prompt %}{{ '<start_of_turn>model\\n' }}{% endif %}";

  private static final int GENERATOR_VERSION = 1;
  private static final int LAYERS = 2, EMBD = 64, HEADS = 4, KV_HEADS = 2, HEAD_DIM = 16, FF = 128, CONTEXT = 2048;
  private static final int SLIDING_WINDOW = 64;

  private TinyArchModel() {}

  /**
   * A published chat template, as its model family ships it in {@code tokenizer.chat_template}:
   * {@code qwen2.5}, {@code qwen3}, {@code llama3.2}, {@code gemma3}, {@code mistral-v0.3}.
   */
  public static String publishedTemplate(String family) {
    try (var in = TinyArchModel.class.getResourceAsStream("templates/" + family + ".jinja")) {
      if (in == null) {
        throw new IllegalArgumentException("no published template for " + family);
      }
      return new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /** The file's metadata and tensors, not yet written, with {@code chatTemplate} instead of the default one. */
  public static GgufWriter writer(Architecture arch, long seed, String chatTemplate) {
    return writer(arch, seed).putString("tokenizer.chat_template", chatTemplate);
  }

  /** The file's metadata and tensors, not yet written. */
  public static GgufWriter writer(Architecture arch, long seed) {
    ByteLevelVocabulary vocab = new ByteLevelVocabulary();
    String a = arch.ggufName();
    GgufWriter w = new GgufWriter()
        .putString("general.architecture", a)
        .putString("general.name", "tokenbus-tiny-" + a)
        .putU32(a + ".context_length", CONTEXT)
        .putU32(a + ".embedding_length", EMBD)
        .putU32(a + ".block_count", LAYERS)
        .putU32(a + ".feed_forward_length", FF)
        .putU32(a + ".attention.head_count", HEADS)
        .putU32(a + ".attention.head_count_kv", KV_HEADS)
        .putU32(a + ".attention.key_length", HEAD_DIM)
        .putU32(a + ".attention.value_length", HEAD_DIM)
        .putU32(a + ".rope.dimension_count", HEAD_DIM)
        .putF32(a + ".rope.freq_base", 10000f)
        .putF32(a + ".attention.layer_norm_rms_epsilon", 1e-6f)
        .putString("tokenizer.ggml.model", "gpt2")
        .putString("tokenizer.ggml.pre", switch (arch) {
          case LLAMA -> "llama-bpe";
          case QWEN2, QWEN3 -> "qwen2";
          case GEMMA3 -> "default";
        })
        .putStringArray("tokenizer.ggml.tokens", vocab.tokens())
        .putI32Array("tokenizer.ggml.token_type", vocab.types())
        .putStringArray("tokenizer.ggml.merges", vocab.merges());
    if (arch.gemma()) {
      w.putU32(a + ".attention.sliding_window", SLIDING_WINDOW)
          .putU32("tokenizer.ggml.bos_token_id", vocab.special("<bos>"))
          .putU32("tokenizer.ggml.eos_token_id", vocab.special("<eos>"))
          .putU32("tokenizer.ggml.eot_token_id", vocab.special("<end_of_turn>"))
          .putBool("tokenizer.ggml.add_bos_token", true)
          .putString("tokenizer.chat_template", GEMMA_TEMPLATE);
    } else {
      w.putU32("tokenizer.ggml.bos_token_id", vocab.special("<|endoftext|>"))
          .putU32("tokenizer.ggml.eos_token_id", vocab.special("<|im_end|>"))
          .putBool("tokenizer.ggml.add_bos_token", false)
          .putString("tokenizer.chat_template", CHATML_TEMPLATE);
    }
    addWeights(w, arch, vocab.size(), new Random(seed));
    return w;
  }

  private static void addWeights(GgufWriter w, Architecture arch, int vocabSize, Random random) {
    int q = HEADS * HEAD_DIM;
    int kv = KV_HEADS * HEAD_DIM;
    w.addTensor("token_embd.weight", GgmlType.F32, new long[] {EMBD, vocabSize}, gaussian(random, EMBD * vocabSize, 1.0));
    norm(w, "output_norm.weight", EMBD);
    if (!arch.gemma()) {
      matrix(w, random, "output.weight", EMBD, vocabSize);
    }
    for (int layer = 0; layer < LAYERS; layer++) {
      String b = "blk." + layer + ".";
      norm(w, b + "attn_norm.weight", EMBD);
      matrix(w, random, b + "attn_q.weight", EMBD, q);
      matrix(w, random, b + "attn_k.weight", EMBD, kv);
      matrix(w, random, b + "attn_v.weight", EMBD, kv);
      if (arch == Architecture.QWEN2) {
        w.addTensor(b + "attn_q.bias", GgmlType.F32, new long[] {q}, gaussian(random, q, 0.1));
        w.addTensor(b + "attn_k.bias", GgmlType.F32, new long[] {kv}, gaussian(random, kv, 0.1));
        w.addTensor(b + "attn_v.bias", GgmlType.F32, new long[] {kv}, gaussian(random, kv, 0.1));
      }
      if (arch.qkNorm()) {
        norm(w, b + "attn_q_norm.weight", HEAD_DIM);
        norm(w, b + "attn_k_norm.weight", HEAD_DIM);
      }
      matrix(w, random, b + "attn_output.weight", q, EMBD);
      if (arch.gemma()) {
        norm(w, b + "post_attention_norm.weight", EMBD);
      }
      norm(w, b + "ffn_norm.weight", EMBD);
      matrix(w, random, b + "ffn_gate.weight", EMBD, FF);
      matrix(w, random, b + "ffn_up.weight", EMBD, FF);
      matrix(w, random, b + "ffn_down.weight", FF, EMBD);
      if (arch.gemma()) {
        norm(w, b + "post_ffw_norm.weight", EMBD);
      }
    }
  }

  /** n_out rows of n_in values, N(0, 1/sqrt(n_in)). */
  private static void matrix(GgufWriter w, Random random, String name, int nIn, int nOut) {
    w.addTensor(name, GgmlType.F32, new long[] {nIn, nOut}, gaussian(random, nIn * nOut, 1.0 / Math.sqrt(nIn)));
  }

  /** RMS norm weights of 1 (GGUF stores the effective weight for every family, Gemma's included). */
  private static void norm(GgufWriter w, String name, int size) {
    float[] values = new float[size];
    Arrays.fill(values, 1f);
    w.addTensor(name, GgmlType.F32, new long[] {size}, values);
  }

  private static float[] gaussian(Random random, int count, double std) {
    float[] values = new float[count];
    for (int i = 0; i < count; i++) {
      values[i] = (float) (random.nextGaussian() * std);
    }
    return values;
  }

  /**
   * The file for an architecture (seed 42) in {@code ${java.io.tmpdir}/tokenbus-models/}, written on
   * first use and reused after; safe when several JVMs race.
   */
  public static Path cached(Architecture arch) throws IOException {
    Path dir = Path.of(System.getProperty("java.io.tmpdir"), "tokenbus-models");
    Path file = dir.resolve("tiny-" + arch.ggufName() + "-v" + GENERATOR_VERSION + ".gguf");
    if (Files.isRegularFile(file) && Files.size(file) > 0) {
      return file;
    }
    Files.createDirectories(dir);
    return TinyLlamaModel.writeAtomically(writer(arch, 42), file);
  }
}
