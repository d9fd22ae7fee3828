package dev.tokenbus.gateway.dispatch;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenbus.protocol.ChatMessage;
import dev.tokenbus.protocol.GenerationRequest;
import dev.tokenbus.protocol.PrefixHashes;
import dev.tokenbus.protocol.StreamConfig;
import dev.tokenbus.protocol.WorkerStatus;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** {@link PrefixHashes} and the cache-aware order of {@link PrefixAffinityPolicy}. */
class CacheAwareDispatchTest {

  private static long sequence;
  private static final String LONG = "a conversation about the weather and the sea, ".repeat(30);

  private static GenerationRequest chat(List<ChatMessage> messages) {
    return GenerationRequest.chat("r", messages, StreamConfig.defaults());
  }

  @Test
  void aNextTurnStartsWithTheBlocksOfThePreviousTurnAndItsReply() {
    List<ChatMessage> first = List.of(new ChatMessage("system", LONG), new ChatMessage("user", "hello there"));
    long[] cached = PrefixHashes.withReply(chat(first), "the reply " + LONG);
    List<ChatMessage> second = List.of(first.get(0), first.get(1), new ChatMessage("assistant", "the reply " + LONG),
        new ChatMessage("user", "and then?"));
    long[] next = PrefixHashes.of(chat(second));
    assertThat(cached.length).isGreaterThan(8);
    assertThat(Arrays.copyOf(next, cached.length)).isEqualTo(cached);
    assertThat(PrefixHashes.matchedBlocks(next, set(cached))).isEqualTo(cached.length);

    // Another reply shares only the blocks before it; a prompt request shares none with a chat.
    long[] other = PrefixHashes.of(chat(List.of(first.get(0), first.get(1), new ChatMessage("assistant", "no " + LONG))));
    int shared = PrefixHashes.matchedBlocks(other, set(cached));
    assertThat(shared).isPositive().isLessThan(other.length);
    assertThat(PrefixHashes.matchedBlocks(PrefixHashes.of(new GenerationRequest("p", LONG + LONG,
        StreamConfig.defaults())), set(cached))).isZero();
  }

  @Test
  void onlyFullBlocksAreHashedAndTheCountIsBounded() {
    assertThat(PrefixHashes.of("x".repeat(PrefixHashes.BLOCK_CHARS - 1))).isEmpty();
    assertThat(PrefixHashes.of("x".repeat(PrefixHashes.BLOCK_CHARS * 2 + 5))).hasSize(2);
    assertThat(PrefixHashes.of("x".repeat(PrefixHashes.BLOCK_CHARS * (PrefixHashes.MAX_BLOCKS + 3))))
        .hasSize(PrefixHashes.MAX_BLOCKS);
  }

  @Test
  void theBestMatchGoesFirstUnlessItIsMuchBusier() {
    GenerationRequest request = new GenerationRequest("p", LONG, StreamConfig.defaults());
    long[] hashes = PrefixHashes.of(request);
    WorkerRegistry registry = new WorkerRegistry(60_000);
    registry.update(status("idle", 0, Set.of()));
    registry.update(status("holder", 2, set(Arrays.copyOf(hashes, 3))));
    assertThat(ids(new LeastLoadedPolicy().candidates(request, registry.eligible("m")))).as("least loaded")
        .containsExactly("idle", "holder");
    assertThat(ids(policy(2).candidates(request, registry.eligible("m")))).as("within the slack")
        .containsExactly("holder", "idle");
    assertThat(ids(policy(1).candidates(request, registry.eligible("m")))).as("beyond the slack")
        .containsExactly("idle", "holder");
    assertThat(ids(policy(-1).candidates(request, registry.eligible("m")))).as("off").containsExactly("idle", "holder");
    GenerationRequest other = new GenerationRequest("p", "another story entirely. ".repeat(60), StreamConfig.defaults());
    assertThat(ids(policy(2).candidates(other, registry.eligible("m")))).as("no match").containsExactly("idle", "holder");
    GenerationRequest optedOut = new GenerationRequest("p", LONG, StreamConfig.defaults().withCachePrompt(false));
    assertThat(ids(policy(2).candidates(optedOut, registry.eligible("m")))).as("cache_prompt false")
        .containsExactly("idle", "holder");

    registry.update(status("holder", 4, set(hashes))); // no free slot: never preferred
    assertThat(ids(policy(10).candidates(request, registry.eligible("m")))).containsExactly("idle", "holder");
  }

  @Test
  void equallyLoadedWorkersTakeNewConversationsOnTheEmptierCacheFirst() {
    WorkerRegistry registry = new WorkerRegistry(60_000);
    registry.update(status("full", 0, Set.of(1L, 2L, 3L)));
    registry.update(status("empty", 0, Set.of()));
    GenerationRequest unrelated = new GenerationRequest("p", LONG, StreamConfig.defaults());
    assertThat(ids(policy(2).candidates(unrelated, registry.eligible("m")))).containsExactly("empty", "full");
  }

  @Test
  void theOptionsSelectThePolicy() {
    assertThat(DispatchPolicy.of(DispatchOptions.defaults().withPrefixRoutingSlack(-1)))
        .isInstanceOf(LeastLoadedPolicy.class);
    assertThat(DispatchPolicy.of(DispatchOptions.defaults().withPrefixRoutingSlack(0)))
        .isInstanceOf(PrefixAffinityPolicy.class);
  }

  /** The policy the options select for {@code slack}, as the dispatcher gets it. */
  private static DispatchPolicy policy(int slack) {
    return DispatchPolicy.of(DispatchOptions.defaults().withPrefixRoutingSlack(slack));
  }

  @Test
  void theAnnouncementCarriesTheBlocksThroughJson() {
    WorkerStatus s = status("w", 1, Set.of(7L, -3L, Long.MAX_VALUE));
    assertThat(WorkerStatus.fromJson(s.toJson())).isEqualTo(s);
  }

  private static WorkerStatus status(String id, int active, Set<Long> blocks) {
    return new WorkerStatus(id, "node", "m", 4, active, active, 0, 0, 0, 100, 100, false, ++sequence, blocks);
  }

  private static Set<Long> set(long[] hashes) {
    Set<Long> s = new HashSet<>();
    for (long h : hashes) {
      s.add(h);
    }
    return s;
  }

  private static List<String> ids(List<WorkerStatus> list) {
    return list.stream().map(WorkerStatus::workerId).toList();
  }
}
