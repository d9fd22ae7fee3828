package dev.tokenbus.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenbus.protocol.TokenData;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class StopSequenceMatcherTest {

  private int index;

  private TokenData t(String text) {
    return new TokenData(index++, text, 100 + index, -0.5, List.of(), false, null);
  }

  private static String text(List<TokenData> tokens) {
    return tokens.stream().map(TokenData::text).reduce("", String::concat);
  }

  @Test
  void releasesTokensThatCannotStartAStop() {
    StopSequenceMatcher m = new StopSequenceMatcher(List.of("END"));
    assertThat(text(m.offer(t("hello ")))).isEqualTo("hello ");
    assertThat(text(m.offer(t("wor")))).isEqualTo("wor");
    assertThat(m.matched()).isFalse();
  }

  @Test
  void holdsAPossibleStartThenReleasesItWhenTheMatchFails() {
    StopSequenceMatcher m = new StopSequenceMatcher(List.of("END"));
    assertThat(m.offer(t("x E"))).extracting(TokenData::text).isEmpty();
    assertThat(m.offer(t("N"))).isEmpty();
    List<TokenData> out = m.offer(t("d!"));
    assertThat(out).extracting(TokenData::text).containsExactly("x E", "N", "d!");
    assertThat(m.matched()).isFalse();
  }

  @Test
  void matchAcrossThreeTokensCutsTheFirstAndDropsTheRest() {
    StopSequenceMatcher m = new StopSequenceMatcher(List.of("STOP"));
    List<TokenData> emitted = new ArrayList<>(m.offer(t("abc S")));
    emitted.addAll(m.offer(t("T")));
    emitted.addAll(m.offer(t("OP and more")));
    assertThat(m.matched()).isTrue();
    assertThat(text(emitted)).isEqualTo("abc ");
    assertThat(emitted.getLast().index()).isEqualTo(0);
  }

  @Test
  void earliestOfSeveralStopsWins() {
    StopSequenceMatcher m = new StopSequenceMatcher(List.of("world", "lo w"));
    List<TokenData> out = m.offer(t("hello world"));
    assertThat(m.matched()).isTrue();
    assertThat(m.matchedSequence()).as("the one that matched, not the first given").isEqualTo("lo w");
    assertThat(text(out)).isEqualTo("hel");
  }

  @Test
  void stopAtTheVeryStartLeavesAnEmptyFinalToken() {
    StopSequenceMatcher m = new StopSequenceMatcher(List.of("\n\n"));
    assertThat(text(m.offer(t("para")))).isEqualTo("para");
    assertThat(m.offer(t("\n"))).isEmpty();
    List<TokenData> out = m.offer(t("\nnext"));
    assertThat(m.matched()).isTrue();
    assertThat(out).extracting(TokenData::text).containsExactly("");
  }

  @Test
  void flushReleasesHeldTokensUnchanged() {
    StopSequenceMatcher m = new StopSequenceMatcher(List.of("<|end|>"));
    assertThat(m.offer(t("a <|"))).extracting(TokenData::text).containsExactly();
    assertThat(m.flush()).extracting(TokenData::text).containsExactly("a <|");
  }
}
