package dev.tokenbus.engine;

import dev.tokenbus.protocol.GenerationRequest;
import dev.tokenbus.protocol.RequestValidationException;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * What every engine checks before a generation takes a slot, and the slot count itself: a resume
 * that leaves nothing to generate, token ids outside the vocabulary, a prompt that does not fit one
 * sequence's context, and whether a slot is free. Thread-safe.
 */
final class Admission {

  private final int slots;
  private final int vocabSize;
  private final int contextPerSequence;
  private final AtomicInteger reserved = new AtomicInteger();

  Admission(int slots, int vocabSize, int contextPerSequence) {
    this.slots = slots;
    this.vocabSize = vocabSize;
    this.contextPerSequence = contextPerSequence;
  }

  /** Checks the request's settings and resume; a 400 when they leave nothing to generate. */
  static void validate(GenerationRequest request, List<Integer> resume) {
    request.config().validate();
    if (resume.size() >= request.config().maxTokens()) {
      throw new RequestValidationException("resume", "resume has " + resume.size()
          + " tokens, max_tokens is " + request.config().maxTokens() + ": nothing is left to generate");
    }
  }

  /** The request's prompt token ids, each checked, or null when it gives text or messages instead. */
  int[] givenPrompt(GenerationRequest request) {
    if (!request.config().logitBias().isEmpty()) {
      // validate() refused negative ids: the largest id alone decides whether all are in the vocabulary
      checkToken(Collections.max(request.config().logitBias().keySet()), "logit_bias");
    }
    return request.promptTokens().isEmpty() ? null : inVocabulary(request.promptTokens(), "prompt");
  }

  /**
   * The prompt followed by the tokens to resume after (checked), refused with
   * {@link AdmissionException.Reason#PROMPT_TOO_LONG} when they do not fit one sequence's context.
   */
  int[] withResumed(int[] prompt, List<Integer> resume) {
    int[] tokens = prompt;
    if (!resume.isEmpty()) {
      int[] resumed = inVocabulary(resume, "resume");
      tokens = Arrays.copyOf(prompt, prompt.length + resumed.length);
      System.arraycopy(resumed, 0, tokens, prompt.length, resumed.length);
    }
    if (tokens.length > contextPerSequence) {
      throw new AdmissionException(AdmissionException.Reason.PROMPT_TOO_LONG, "the prompt has " + prompt.length
          + " tokens" + (resume.isEmpty() ? "" : " (plus " + resume.size() + " to resume)")
          + " but this model's context holds " + contextPerSequence + " tokens per request (prompt and output)");
    }
    return tokens;
  }

  /** Refuses a text prompt of more bytes than the context can hold at {@code maxPieceBytes} bytes per token. */
  void checkTextLength(String text, int maxPieceBytes) {
    long bytes = utf8Length(text);
    if (bytes > (long) contextPerSequence * maxPieceBytes) {
      throw new AdmissionException(AdmissionException.Reason.PROMPT_TOO_LONG, "the prompt has " + bytes
          + " bytes, more than this model's context of " + contextPerSequence + " tokens per request can hold");
    }
  }

  /** {@code ids} as an array, each checked by {@link #checkToken}. */
  int[] inVocabulary(List<Integer> ids, String param) {
    int[] out = new int[ids.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = checkToken(ids.get(i), param);
    }
    return out;
  }

  /** {@code t} if it is a token of this model; else a 400 naming the request parameter {@code param}. */
  int checkToken(int t, String param) {
    if (t < 0 || t >= vocabSize) {
      throw new RequestValidationException(param, param + ": token id " + t
          + " is outside this model's vocabulary (ids 0 to " + (vocabSize - 1) + ")");
    }
    return t;
  }

  /** Takes a slot, or refuses with {@link AdmissionException.Reason#NO_FREE_SLOT}. */
  void reserveSlot() {
    if (!tryReserveSlot()) {
      throw new AdmissionException(AdmissionException.Reason.NO_FREE_SLOT, "all " + slots + " slots are busy");
    }
  }

  /** Takes a slot if one is free. */
  boolean tryReserveSlot() {
    while (true) {
      int r = reserved.get();
      if (r >= slots) {
        return false;
      }
      if (reserved.compareAndSet(r, r + 1)) {
        return true;
      }
    }
  }

  /** Gives a slot back. */
  void releaseSlot() {
    reserved.decrementAndGet();
  }

  int slots() {
    return slots;
  }

  /** Slots held now. */
  int reserved() {
    return reserved.get();
  }

  static long utf8Length(String s) {
    long n = 0;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      n += c < 0x80 ? 1 : c < 0x800 || Character.isSurrogate(c) ? 2 : 3; // a surrogate pair is 4 bytes: 2 + 2
    }
    return n;
  }
}
