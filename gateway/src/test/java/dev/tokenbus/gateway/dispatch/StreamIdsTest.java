package dev.tokenbus.gateway.dispatch;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The ids a gateway makes have the form its routes accept, and nothing a header could carry else. */
class StreamIdsTest {

  @Test
  void everyIdMadeIsWellFormedAndUnique() {
    StreamIds ids = new StreamIds();
    Set<String> seen = new HashSet<>();
    for (int i = 0; i < 10_000; i++) {
      String id = ids.next();
      assertThat(StreamIds.wellFormed(id)).as(id).isTrue();
      assertThat(seen.add(id)).as(id).isTrue();
    }
  }

  @Test
  void whatNoIdCanBeIsNot() {
    for (String id : new String[] {null, "", "a".repeat(129), "a\u0000b", "a\r\nSet-Cookie: x", "a\u007f", "a b",
        "a/b", "a%00", "é"}) {
      assertThat(StreamIds.wellFormed(id)).as("%s", id).isFalse();
    }
    assertThat(StreamIds.wellFormed("a".repeat(128))).isTrue();
  }
}
