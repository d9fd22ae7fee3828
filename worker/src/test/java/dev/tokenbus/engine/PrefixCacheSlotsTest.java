package dev.tokenbus.engine;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The slot rule of {@link PrefixCache}, without llama.cpp. */
class PrefixCacheSlotsTest {

  private static int[] tokens(int from, int n) {
    int[] t = new int[n];
    for (int i = 0; i < n; i++) {
      t[i] = from + i;
    }
    return t;
  }

  /** Runs a sequence of {@code prompt} in the cache and ends it with {@code generated} more tokens decoded. */
  private static PrefixCache.Lease finish(PrefixCache c, int[] prompt, int generated, boolean keep) {
    PrefixCache.Lease l = c.acquire(prompt, prompt.length - 1, true);
    c.decoded(l.slot(), prompt, l.reused(), prompt.length - l.reused());
    for (int i = 0; i < generated; i++) {
      c.decoded(l.slot(), prompt.length + i, 1000 + i);
    }
    c.release(l.slot(), keep);
    return l;
  }

  @Test
  void theLongestSharedPrefixWinsAndTheLastTokenIsRecomputed() {
    PrefixCache c = new PrefixCache(3, 100, true);
    PrefixCache.Lease a = finish(c, tokens(0, 20), 5, true);
    PrefixCache.Lease b = finish(c, tokens(500, 20), 5, true);
    assertThat(b.slot()).as("an unrelated prompt takes an empty slot").isNotEqualTo(a.slot());
    assertThat(c.cachedTokens()).isEqualTo(50);

    PrefixCache.Lease again = c.acquire(tokens(0, 20), 19, true);
    assertThat(again.slot()).isEqualTo(a.slot());
    assertThat(again.reused()).as("an exact repeat reuses all but the last token").isEqualTo(19);
    assertThat(c.length(a.slot())).isEqualTo(19);
    assertThat(c.hits()).isEqualTo(19);
    assertThat(c.queries()).isEqualTo(60);
  }

  @Test
  void aShortMatchDoesNotDestroyAnotherConversationWhileAnEmptySlotIsFree() {
    PrefixCache c = new PrefixCache(2, 100, true);
    PrefixCache.Lease a = finish(c, tokens(0, 40), 0, true);
    int[] sharesThree = tokens(0, 40);
    for (int i = 3; i < 40; i++) {
      sharesThree[i] = 900 + i;
    }
    PrefixCache.Lease l = c.acquire(sharesThree, 39, true);
    assertThat(l.slot()).isNotEqualTo(a.slot());
    assertThat(l.reused()).isZero();
    c.decoded(l.slot(), sharesThree, 0, sharesThree.length);
    c.release(l.slot(), true);
    // With no empty slot left, the short match is taken after all.
    PrefixCache.Lease m = c.acquire(tokens(0, 10), 9, true);
    assertThat(m.reused()).isEqualTo(9);
  }

  @Test
  void optedOutAndDisabledSequencesReuseNothingAndLeaveNothing() {
    PrefixCache c = new PrefixCache(1, 100, true);
    finish(c, tokens(0, 20), 0, true);
    PrefixCache.Lease l = c.acquire(tokens(0, 20), 19, false);
    assertThat(l.reused()).isZero();
    assertThat(c.release(l.slot(), false)).as("the caller frees the cells").isTrue();
    assertThat(c.cachedTokens()).isZero();

    PrefixCache off = new PrefixCache(1, 100, false);
    finish(off, tokens(0, 20), 0, true);
    assertThat(off.cachedTokens()).isZero();
    assertThat(off.acquire(tokens(0, 20), 19, true).reused()).isZero();
  }

  @Test
  void theLeastRecentlyUsedIdleSlotIsReusedWhenNothingMatches() {
    PrefixCache c = new PrefixCache(2, 100, true);
    PrefixCache.Lease a = finish(c, tokens(0, 10), 0, true);
    PrefixCache.Lease b = finish(c, tokens(100, 10), 0, true);
    finish(c, tokens(0, 10), 0, true); // a is used again: b is now the least recently used
    assertThat(c.acquire(tokens(300, 10), 9, true).slot()).isEqualTo(b.slot()).isNotEqualTo(a.slot());
  }
}
