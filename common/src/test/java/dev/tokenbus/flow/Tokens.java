package dev.tokenbus.flow;

import dev.tokenbus.protocol.FinishReason;
import dev.tokenbus.protocol.GenerationResult;
import dev.tokenbus.protocol.Timings;
import dev.tokenbus.protocol.TokenData;
import dev.tokenbus.protocol.Usage;
import java.util.ArrayList;
import java.util.List;

/** Test tokens whose text and id encode their index, so order and gaps are easy to check. */
final class Tokens {

  private Tokens() {}

  static TokenData token(int index) {
    return new TokenData(index, "t" + index, 100 + index, -0.5, List.of(), false, null);
  }

  static TokenData last(int index) {
    return token(index).asFinal(FinishReason.STOP);
  }

  static List<TokenData> range(int from, int count) {
    List<TokenData> list = new ArrayList<>();
    for (int i = from; i < from + count; i++) {
      list.add(token(i));
    }
    return list;
  }

  static GenerationResult result(FinishReason reason, int generated) {
    return new GenerationResult(reason, new Usage(7, generated), new Timings(1, 2, 3, 7, generated), null, 42);
  }

  static List<Integer> indices(List<TokenData> tokens) {
    return tokens.stream().map(TokenData::index).toList();
  }

  static List<Integer> zeroTo(int count) {
    List<Integer> list = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      list.add(i);
    }
    return list;
  }
}
