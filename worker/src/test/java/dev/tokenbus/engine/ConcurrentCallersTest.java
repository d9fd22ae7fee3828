package dev.tokenbus.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenbus.protocol.GenerationRequest;
import dev.tokenbus.protocol.StreamConfig;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** Callers tokenize on their own threads: many at once, and while the engine closes, crash nothing and lose nothing. */
@Tag("engine")
class ConcurrentCallersTest {

  @Test
  void manyThreadsTokenizeAtOnceWithTheSameResultsAsOne() throws Exception {
    try (LlamaEngine engine = LlamaEngine.start(EngineConfig.forModel(TestModels.tiny()).withThreads(1).withSlots(1))) {
      java.util.Random random = new java.util.Random(7);
      List<String> texts = new java.util.ArrayList<>();
      for (int i = 0; i < 200; i++) {
        StringBuilder sb = new StringBuilder();
        for (int j = random.nextInt(400); j > 0; j--) {
          sb.append((char) (random.nextBoolean() ? 32 + random.nextInt(95) : random.nextInt(0x3000)));
        }
        texts.add(sb.toString());
      }
      List<int[]> expected = texts.stream().map(t -> engine.tokenize(t, true)).toList();
      try (ExecutorService pool = Executors.newFixedThreadPool(4)) {
        List<java.util.concurrent.Future<?>> done = new java.util.ArrayList<>();
        for (int t = 0; t < 4; t++) {
          done.add(pool.submit(() -> {
            for (int round = 0; round < 5; round++) {
              for (int i = 0; i < texts.size(); i++) {
                assertThat(engine.tokenize(texts.get(i), true)).isEqualTo(expected.get(i));
              }
            }
          }));
        }
        for (var f : done) {
          f.get(60, TimeUnit.SECONDS);
        }
      }
    }
  }

  @Test
  void closeWhileSubmittingEndsEveryAcceptedGenerationAndRefusesTheRest() throws Exception {
    LlamaEngine engine = LlamaEngine.start(EngineConfig.forModel(TestModels.tiny()).withThreads(1).withSlots(8)
        .withContextPerSequence(1024));
    List<RecordingSink> accepted = new CopyOnWriteArrayList<>();
    AtomicInteger refused = new AtomicInteger();
    CountDownLatch running = new CountDownLatch(4);
    String prompt = "tokenize me while the engine closes ".repeat(20);
    try (ExecutorService pool = Executors.newFixedThreadPool(4)) {
      for (int t = 0; t < 4; t++) {
        pool.submit(() -> {
          running.countDown();
          for (int i = 0; i < 200; i++) {
            RecordingSink sink = new RecordingSink();
            try {
              engine.submit(new GenerationRequest("s" + i, prompt, StreamConfig.defaults().withMaxTokens(5)), sink);
              accepted.add(sink);
            } catch (AdmissionException e) {
              refused.incrementAndGet();
            }
          }
        });
      }
      running.await();
      engine.close();
      pool.shutdown();
      assertThat(pool.awaitTermination(60, TimeUnit.SECONDS)).isTrue();
    }
    assertThat(refused.get()).isPositive();
    for (RecordingSink s : accepted) {
      s.await(Duration.ofSeconds(5)); // every accepted generation was ended: finished, or cancelled by the close
    }
  }
}
