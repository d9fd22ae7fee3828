package dev.tokenbus.engine;

import java.util.List;

/**
 * How a model family marks its thinking in the text it generates, as its chat template shows:
 * <ul>
 *   <li>{@link #THINK}: a {@code <think>…</think>} block before the answer (Qwen3, DeepSeek-R1 and
 *       their fine-tunes); a template may open the block itself at the end of the generation prompt,
 *       and then generation starts inside it;
 *   <li>{@link #HARMONY}: gpt-oss's channels, the thinking in {@code analysis}, the answer in
 *       {@code final}.
 * </ul>
 *
 * @param name for the log
 * @param open the marker that starts the thinking
 * @param close the marker that ends it, after which the answer follows
 * @param answerStart a marker that may start an answer without thinking (hidden too), or null
 * @param forcedClose the text the worker writes for the model when its reasoning budget is spent
 */
public record ReasoningSyntax(String name, String open, String close, String answerStart, String forcedClose) {

  public static final ReasoningSyntax THINK = new ReasoningSyntax("think", "<think>", "</think>", null,
      "\n</think>\n\n");
  public static final ReasoningSyntax HARMONY = new ReasoningSyntax("harmony", "<|channel|>analysis<|message|>",
      "<|end|><|start|>assistant<|channel|>final<|message|>", "<|channel|>final<|message|>",
      "<|end|><|start|>assistant<|channel|>final<|message|>");

  /** The syntax a chat template's text shows, or null for a model that does not think in a marked block. */
  public static ReasoningSyntax of(String template) {
    if (template == null) {
      return null;
    }
    if (template.contains("<|channel|>")) {
      return HARMONY;
    }
    return template.contains("<think>") ? THINK : null;
  }

  /**
   * Whether generation after {@code prompt} starts inside the thinking: the prompt ends (but for
   * whitespace) with the opening marker, as templates that open the block themselves write it.
   */
  public boolean startsInside(String prompt) {
    return prompt != null && prompt.stripTrailing().endsWith(open.strip());
  }

  /** The markers to look for in answer text that may still open a block. */
  List<String> openers() {
    return answerStart == null ? List.of(open) : List.of(open, answerStart);
  }
}
