package dev.tokenbus.engine;

import dev.tokenbus.engine.llama.NativeContext;
import dev.tokenbus.engine.llama.NativeGrammar;
import dev.tokenbus.engine.llama.NativeSampler;
import dev.tokenbus.protocol.StreamConfig;

/**
 * Chooses one sequence's next token, the cheapest way its settings allow:
 * <ul>
 *   <li>greedy without penalties or logit bias: the arg-max the logit scan already found, no native call;
 *   <li>top-k sampling without penalties or logit bias: llama.cpp's chain over the scan's top-k candidates;
 *   <li>anything else (penalties, {@code logit_bias}, no or very large top-k): llama.cpp's full chain over
 *       the vocabulary, whose first stage adds the logit bias.
 * </ul>
 * All three give the tokens llama.cpp's own chain would give for the same settings and seed. The scan
 * reads the model's logits as they are, so reported logprobs are those before any bias (as OpenAI's).

 *
 * <p><b>Grammar.</b> With a grammar ({@link NativeGrammar}) only tokens it allows may be chosen, and
 * the chosen token is accepted into it:
 * <ul>
 *   <li>greedy: the most likely allowed token. The scan keeps the {@link LogitScan#MAX_CANDIDATES}
 *       best tokens; the grammar filters them and the first one left wins. When none is allowed the
 *       grammar masks the whole vocabulary and the scan runs again over what is left.
 *   <li>top-k: the chain samples among the first k allowed tokens of those candidates (the exact
 *       top-k of the allowed tokens when at least k are among them; otherwise those that are, since the
 *       rest lie below the 128 best), with the same whole-vocabulary fallback when none is allowed.
 *   <li>the full chain: the grammar masks the whole vocabulary first, then the chain samples.
 * </ul>
 * A grammar that allows no token at all is an error that ends the sequence.
 */
final class TokenPicker implements AutoCloseable {

  private enum Mode { GREEDY, CANDIDATES, FULL }

  /** Tests set this to run llama.cpp's full chain always, to check that the shortcuts pick the same tokens. */
  static volatile boolean alwaysFullChain;

  private final Mode mode;
  private final int topK;
  private final NativeSampler sampler;
  private final NativeGrammar grammar;

  /**
   * @param contextPerSequence the most tokens a sequence holds: what the penalties look back over at most
   * @param grammar the sequence's grammar, or null; the picker owns it from here on and closes it
   */
  TokenPicker(NativeContext context, StreamConfig c, long seed, int contextPerSequence, NativeGrammar grammar) {
    // -1 means the whole context; larger values mean the same and would only make llama.cpp allocate more.
    int lastN = c.repeatLastN() < 0 ? contextPerSequence : Math.min(c.repeatLastN(), contextPerSequence);
    NativeSampler.Settings s = new NativeSampler.Settings((float) c.temperature(), c.topK(), (float) c.topP(),
        (float) c.minP(), seed, (float) c.repeatPenalty(), lastN, (float) c.frequencyPenalty(),
        (float) c.presencePenalty(), c.logitBias());
    this.topK = c.topK();
    if (s.needsWholeVocabulary() || alwaysFullChain) {
      mode = Mode.FULL;
    } else if (c.temperature() <= 0) {
      mode = Mode.GREEDY;
    } else if (topK > 0 && topK <= LogitScan.MAX_CANDIDATES) {
      mode = Mode.CANDIDATES;
    } else {
      mode = Mode.FULL;
    }
    this.sampler = switch (mode) {
      case GREEDY -> null;
      case CANDIDATES -> NativeSampler.overCandidates(context, s, topK);
      case FULL -> NativeSampler.full(context, s);
    };
    this.grammar = grammar;
  }

  /** How many sorted candidates the logit scan must keep for this picker. */
  int candidatesNeeded() {
    if (grammar != null) {
      return mode == Mode.FULL ? 0 : LogitScan.MAX_CANDIDATES;
    }
    return mode == Mode.CANDIDATES ? topK : 0;
  }

  /**
   * Picks the token for batch row {@code row}, after {@code scan} has run over {@code logits}, that
   * row's logits. With a grammar, {@code scan} and {@code logits} may be changed (disallowed tokens
   * removed): read what is needed from them first.
   */
  int pick(NativeContext context, int row, LogitScan scan, float[] logits) {
    if (grammar == null) {
      return switch (mode) {
        case GREEDY -> scan.argmax;
        // The scan may have kept more candidates than top-k (for top_logprobs): sample among the first top-k.
        case CANDIDATES -> sampler.sampleFrom(scan.ids, scan.logits, Math.min(scan.count, topK));
        case FULL -> sampler.sample(context, row);
      };
    }
    int token = chooseAllowed(scan, logits);
    grammar.accept(token);
    if (mode == Mode.FULL) {
      sampler.accept(token);
    }
    return token;
  }

  /** Whether the request's grammar (if any) allows {@code token} next. */
  boolean allows(int token) {
    return grammar == null || grammar.allows(token);
  }

  /** Whether {@link #replay} has anything to do: a random draw, a penalty history or a grammar to advance. */
  boolean replays() {
    return mode != Mode.GREEDY || grammar != null;
  }

  /**
   * Replays a token another worker sampled at this position, so that this sampler's state (its
   * random generator, its penalty history, its grammar) goes on from where that worker's was. The
   * chain runs as it would have on these logits; the choice it makes is dropped and {@code token}
   * is taken instead.
   *
   * @return the token this chain picked, which matches {@code token} unless the logits differ
   * @throws IllegalStateException when the grammar does not allow {@code token}
   */
  int replay(NativeContext context, int row, LogitScan scan, float[] logits, int token) {
    if (grammar == null) {
      return switch (mode) {
        case GREEDY -> scan.argmax;
        case CANDIDATES -> sampler.sampleFrom(scan.ids, scan.logits, Math.min(scan.count, topK));
        case FULL -> sampler.sample(context, row);
      };
    }
    int picked = mode == Mode.GREEDY ? token : chooseAllowed(scan, logits);
    if (!grammar.allows(token)) {
      throw new IllegalStateException("the resumed token " + token + " does not follow the request's grammar");
    }
    grammar.accept(token);
    if (mode == Mode.FULL) {
      sampler.accept(token);
    }
    return picked;
  }

  /**
   * Replays a token without its logits (see {@link NativeSampler#advance}): the state ends where
   * {@link #pick} would have left it had it picked {@code token}, since every stateful stage (the
   * draw's generator, the penalties' history, the grammar) depends on the tokens picked, not on the
   * logits. For an adopted sequence state, whose cells were computed elsewhere.
   *
   * @throws IllegalStateException when the grammar does not allow {@code token}
   */
  void replayToken(int token) {
    if (grammar != null) {
      if (!grammar.allows(token)) {
        throw new IllegalStateException("the resumed token " + token + " does not follow the request's grammar");
      }
      grammar.accept(token);
    }
    if (sampler != null) {
      sampler.advance(token);
      if (mode == Mode.FULL) {
        sampler.accept(token);
      }
    }
  }

  private int chooseAllowed(LogitScan scan, float[] logits) {
    int n = logits.length;
    if (mode == Mode.FULL) {
      requireSome(grammar.mask(logits, n));
      return sampler.choose(logits, n);
    }
    int allowed = grammar.filter(scan.ids, scan.logits, scan.count);
    if (allowed == 0) {
      // None of the best candidates fits: let the grammar look at the whole vocabulary.
      requireSome(grammar.mask(logits, n));
      scan.scan(logits, n, LogitScan.MAX_CANDIDATES);
      while (allowed < scan.count && scan.logits[allowed] != Float.NEGATIVE_INFINITY) {
        allowed++;
      }
    }
    scan.count = allowed;
    return mode == Mode.GREEDY ? scan.ids[0] : sampler.sampleFrom(scan.ids, scan.logits, Math.min(allowed, topK));
  }

  private static void requireSome(int allowed) {
    if (allowed == 0) {
      throw new GrammarDeadEndException("the grammar allows no token of this model's vocabulary here");
    }
  }

  @Override
  public void close() {
    try {
      if (sampler != null) {
        sampler.close();
      }
    } finally {
      if (grammar != null) {
        grammar.close();
      }
    }
  }
}
