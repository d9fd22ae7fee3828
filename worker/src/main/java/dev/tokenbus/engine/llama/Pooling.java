package dev.tokenbus.engine.llama;

import java.util.Locale;

/**
 * How an embedding context turns a sequence's per-token hidden states into one vector
 * ({@code enum llama_pooling_type}, the same values in every supported release). Configuration key
 * {@code pooling}; a GGUF file may declare its own as {@code <architecture>.pooling_type}.
 */
public enum Pooling {
  /** The average over the sequence's tokens. */
  MEAN(1),
  /** The first token's state (BERT's [CLS]); with causal attention it sees only that token. */
  CLS(2),
  /** The last token's state, which with causal attention has seen the whole input. */
  LAST(3);

  private final int llamaType;

  Pooling(int llamaType) {
    this.llamaType = llamaType;
  }

  /** The value of {@code llama_context_params.pooling_type}. */
  public int llamaType() {
    return llamaType;
  }

  /** The configuration value: {@code mean}, {@code cls} or {@code last}. */
  public String value() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** The pooling of a {@code llama_pooling_type} value, or null for none, rank or unknown values. */
  public static Pooling ofLlamaType(int type) {
    for (Pooling p : values()) {
      if (p.llamaType == type) {
        return p;
      }
    }
    return null;
  }

  /** Parses {@code mean}, {@code cls} or {@code last}, ignoring case. */
  public static Pooling parse(String value) {
    String v = value == null ? "" : value.trim().toLowerCase(Locale.ROOT);
    for (Pooling p : values()) {
      if (p.value().equals(v)) {
        return p;
      }
    }
    throw new IllegalArgumentException("pooling must be mean, cls or last, got '" + value + "'");
  }

  @Override
  public String toString() {
    return value();
  }
}
