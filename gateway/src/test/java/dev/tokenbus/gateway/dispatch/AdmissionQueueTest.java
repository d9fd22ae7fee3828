package dev.tokenbus.gateway.dispatch;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class AdmissionQueueTest {

  /**
   * What a removed item's callback runs (a failed request's listeners: a pump, another withdrawal)
   * may queue and take items of the same queue: the queue is consistent by then, and every item is
   * either removed once or still there.
   */
  @Test
  void aRemovedItemsCallbackMayQueueAndTakeItems() {
    AdmissionQueue<String> queue = new AdmissionQueue<>(16);
    for (String s : List.of("a", "b", "c", "d")) {
      assertThat(queue.offer("m", s)).isTrue();
    }
    List<String> removed = new ArrayList<>();
    List<String> taken = new ArrayList<>();
    queue.removeIf(s -> s.equals("a") || s.equals("c"), s -> {
      removed.add(s);
      queue.offer("m", s + "'");
      taken.add(queue.poll("m"));
      queue.removeIf(t -> t.equals("d"), removed::add);
    });
    assertThat(removed).containsExactly("a", "d", "c");
    assertThat(taken).containsExactly("b", "a'");
    assertThat(queue.size("m")).isEqualTo(1);
    assertThat(queue.poll("m")).isEqualTo("c'");
  }
}
