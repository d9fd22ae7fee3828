package dev.tokenbus.engine.llama;

import java.util.Locale;

/**
 * Whether llama.cpp computes attention with its fused flash-attention kernel. Configuration key
 * {@code flash-attention}, llama-server's {@code -fa}.
 *
 * <p>Which is faster depends on the model and the backend, and is measured, not assumed
 * (docs/BENCHMARKS.md): on the CPU the fused kernel computes one scalar exponential per KV cell and
 * head, which dominates a step when heads are small (stories260K's are 8 wide: flash attention off
 * decodes it twice as fast), while with heads of 64 or more (every current model) it is the faster
 * path and saves the attention matrix's memory.
 */
public enum FlashAttention {
  /** llama.cpp decides: on wherever the backend holding the KV cache supports it (llama.cpp's default). */
  AUTO(-1),
  /** Never. */
  OFF(0),
  /** Always; a backend that cannot is an error at context creation. */
  ON(1);

  private final int llamaType;

  FlashAttention(int llamaType) {
    this.llamaType = llamaType;
  }

  /** The value of {@code llama_context_params.flash_attn_type} ({@code enum llama_flash_attn_type}). */
  public int llamaType() {
    return llamaType;
  }

  /** The configuration value: {@code auto}, {@code on} or {@code off}. */
  public String value() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** Parses {@code auto}, {@code on}/{@code true} or {@code off}/{@code false}, ignoring case. */
  public static FlashAttention parse(String value) {
    String v = value == null ? "" : value.trim().toLowerCase(Locale.ROOT);
    return switch (v) {
      case "auto" -> AUTO;
      case "on", "true" -> ON;
      case "off", "false" -> OFF;
      default -> throw new IllegalArgumentException("flash-attention must be auto, on or off, got '" + value + "'");
    };
  }

  @Override
  public String toString() {
    return value();
  }
}
