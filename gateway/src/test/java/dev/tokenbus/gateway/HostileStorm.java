package dev.tokenbus.gateway;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.slf4j.LoggerFactory;

/**
 * The loop every hostile suite runs: each kind of input, {@code perKind} times, {@link #AT_ONCE} at
 * a time, each attempt judged by the suite; then the verdicts counted (and printed, for the closing
 * counts) and the problems listed. Attempts are independent and seeded by the suite.
 */
final class HostileStorm {

  /** How many attempts run at once. */
  static final int AT_ONCE = 8;

  /** One attempt: what was sent, the verdict counted, and what was wrong with the answer (null: nothing). */
  record Outcome(Enum<?> kind, String input, String verdict, String problem) {}

  /** Sends input number {@code index} of {@code kind} and judges the answer. */
  interface Attempt<K> {
    Outcome run(K kind, int index) throws Exception;
  }

  /**
   * What a storm gave.
   *
   * @param verdicts attempts per "kind verdict", in order
   * @param problems each attempt not answered as it must be, with its input
   */
  record Result(int attempts, Map<String, Integer> verdicts, List<String> problems, long ms) {}

  private HostileStorm() {}

  static <K extends Enum<K>> Result run(String what, long seed, K[] kinds, int perKind, Attempt<K> attempt)
      throws Exception {
    List<Outcome> outcomes = Collections.synchronizedList(new ArrayList<>());
    ExecutorService pool = Executors.newFixedThreadPool(AT_ONCE);
    List<Future<?>> runs = new ArrayList<>();
    long t0 = System.nanoTime();
    try {
      for (K kind : kinds) {
        for (int i = 0; i < perKind; i++) {
          int index = i;
          runs.add(pool.submit(() -> {
            outcomes.add(attempt.run(kind, index));
            return null;
          }));
        }
      }
      for (Future<?> f : runs) {
        f.get(2, TimeUnit.MINUTES);
      }
    } finally {
      pool.shutdownNow();
    }
    long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
    Map<String, Integer> verdicts = new TreeMap<>();
    List<String> problems = new ArrayList<>();
    for (Outcome o : outcomes) {
      verdicts.merge(o.kind() + " " + o.verdict(), 1, Integer::sum);
      if (o.problem() != null) {
        problems.add(o.kind() + " " + o.problem() + " for " + o.input());
      }
    }
    System.out.printf("%s (seed %d): %d in %d ms%n", what, seed, outcomes.size(), ms);
    verdicts.forEach((k, n) -> System.out.printf("  %-40s %d%n", k, n));
    return new Result(outcomes.size(), verdicts, problems, ms);
  }

  /** What is logged while a suite runs, from its start to {@link #close()}. */
  static final class Log implements AutoCloseable {
    private final Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    private final ListAppender<ILoggingEvent> appender = new ListAppender<>();

    Log() {
      appender.start();
      root.addAppender(appender);
    }

    /** Every line at ERROR or with a stack trace, Hazelcast's own aside (its members come and go). */
    List<String> errorsOrTraces() {
      return appender.list.stream()
          .filter(e -> e.getThrowableProxy() != null || e.getLevel().isGreaterOrEqual(Level.ERROR))
          .filter(e -> !e.getLoggerName().startsWith("com.hazelcast"))
          .map(e -> e.getLevel() + " " + e.getLoggerName() + ": " + e.getFormattedMessage()).toList();
    }

    @Override
    public void close() {
      root.detachAppender(appender);
    }
  }
}
