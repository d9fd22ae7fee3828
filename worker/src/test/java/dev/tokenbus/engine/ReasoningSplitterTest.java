package dev.tokenbus.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenbus.protocol.StreamConfig;
import dev.tokenbus.protocol.TokenData;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** The split of thinking from answer on token texts as a tokenizer may cut them. */
class ReasoningSplitterTest {

  private static List<TokenData> split(ReasoningSplitter splitter, String... texts) {
    List<TokenData> out = new ArrayList<>();
    for (int i = 0; i < texts.length; i++) {
      out.addAll(splitter.offer(new TokenData(i, texts[i], i, 0.0, List.of(), false, null)));
    }
    out.addAll(splitter.flush());
    return out;
  }

  private static ReasoningSplitter think(boolean startsInside) {
    return new ReasoningSplitter(ReasoningSyntax.THINK, startsInside, StreamConfig.defaults());
  }

  private static String text(List<TokenData> tokens, boolean reasoning) {
    return tokens.stream().filter(t -> t.reasoning() == reasoning).map(TokenData::text).collect(Collectors.joining());
  }

  @Test
  void everyTokenComesOutOnceInOrder() {
    List<TokenData> out = split(think(false), "<th", "ink>", "Hm", "m.</", "think", ">\n\nYes");
    assertThat(out).extracting(TokenData::index).containsExactly(0, 1, 2, 3, 4, 5);
    assertThat(text(out, true)).isEqualTo("Hmm.");
    assertThat(text(out, false)).isEqualTo("Yes");
    // The markers' tokens are part of the thinking, without text.
    assertThat(out.subList(0, 2)).allMatch(t -> t.reasoning() && t.text().isEmpty());
    assertThat(out.get(4).reasoning()).isTrue();
    assertThat(out.get(4).text()).isEmpty();
  }

  @Test
  void aTokenHoldingTheEndOfTheThinkingAndTheStartOfTheAnswerPassesTheAnswerOn() {
    List<TokenData> out = split(think(true), "Hmm</think>Ye", "s");
    assertThat(out).extracting(TokenData::index).containsExactly(0, 1);
    assertThat(out.get(0).text()).isEqualTo("Hmm");
    assertThat(out.get(0).reasoning()).isTrue();
    assertThat(out.get(1).text()).isEqualTo("Yes");
    assertThat(out.get(1).reasoning()).isFalse();
  }

  @Test
  void textThatOnlyLooksLikeAMarkerIsReleasedAsItIs() {
    List<TokenData> out = split(think(false), "<thi", "ng>");
    assertThat(out).noneMatch(TokenData::reasoning);
    assertThat(text(out, false)).isEqualTo("<thing>");
  }

  @Test
  void aBlockOpensOnlyBeforeAnyAnswerText() {
    List<TokenData> out = split(think(false), "So ", "<think>", "x</think>");
    assertThat(out).noneMatch(TokenData::reasoning);
    assertThat(text(out, false)).isEqualTo("So <think>x</think>");
  }

  @Test
  void withTheSplitOffTokensPassUnchangedButTheBudgetIsCounted() {
    ReasoningSplitter splitter = new ReasoningSplitter(ReasoningSyntax.THINK, false,
        StreamConfig.defaults().toBuilder().separateReasoning(false).reasoningBudget(2).build());
    assertThat(splitter.offer(new TokenData(0, "<think>", 0, 0.0, List.of(), false, null)))
        .extracting(TokenData::text).containsExactly("<think>");
    assertThat(splitter.closeDue()).isFalse();
    splitter.offer(new TokenData(1, "a", 1, 0.0, List.of(), false, null));
    splitter.offer(new TokenData(2, "b", 2, 0.0, List.of(), false, null));
    assertThat(splitter.closeDue()).isTrue();
    splitter.closing();
    assertThat(splitter.closeDue()).isFalse();
  }
}
