package dev.tokenbus.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.tokenbus.engine.llama.Llama;
import dev.tokenbus.engine.llama.NativeGrammar;
import dev.tokenbus.engine.llama.NativeModel;
import dev.tokenbus.grammar.GbnfCheck;
import dev.tokenbus.protocol.FinishReason;
import dev.tokenbus.protocol.GenerationRequest;
import dev.tokenbus.protocol.GenerationResult;
import dev.tokenbus.protocol.RequestValidationException;
import dev.tokenbus.protocol.StreamConfig;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * Grammars that would crash llama.cpp (a parser recursion past the native stack), freeze it
 * ({@code "a"{3,2}}), exhaust memory (repetitions that expand enormously) or could only fail
 * (no token can start them) are refused by the engine itself, promptly, as request errors naming
 * {@code grammar}: a worker is safe whatever gateway sent the request. The deepest grammars
 * accepted are parsed and followed.
 */
@Tag("engine")
class HostileGrammarEngineTest {

  private static final StreamConfig GREEDY = StreamConfig.defaults().withTemperature(0).withMaxTokens(8);
  private static LlamaEngine tiny;
  private static int counter;

  @BeforeAll
  static void start() {
    tiny = LlamaEngine.start(EngineConfig.forModel(TestModels.tiny()).withThreads(1).withSlots(2)
        .withContextPerSequence(256));
  }

  @AfterAll
  static void stop() {
    if (tiny != null) {
      tiny.close();
    }
  }

  static String nested(int depth) {
    return "root ::= " + "(".repeat(depth) + "\"a\"" + ")".repeat(depth);
  }

  static String chain(int rules) {
    StringBuilder b = new StringBuilder("root ::= r1\n");
    for (int i = 1; i < rules; i++) {
      b.append('r').append(i).append(" ::= r").append(i + 1).append('\n');
    }
    return b.append('r').append(rules).append(" ::= \"b\"\n").toString();
  }

  private static GenerationResult run(String prompt, StreamConfig config, RecordingSink sink) {
    tiny.submit(new GenerationRequest("h" + (++counter), prompt, config), sink);
    return sink.await();
  }

  private static RequestValidationException refused(String grammar) {
    long t0 = System.nanoTime();
    RequestValidationException e = assertThrows(RequestValidationException.class,
        () -> tiny.submit(new GenerationRequest("r" + (++counter), "hi", GREEDY.withGrammar(grammar)), new RecordingSink()),
        grammar.length() > 80 ? grammar.substring(0, 80) : grammar);
    assertThat(Duration.ofNanos(System.nanoTime() - t0)).as("refused within 5 s").isLessThan(Duration.ofSeconds(5));
    assertThat(e.param()).isEqualTo("grammar");
    return e;
  }

  @Test
  void grammarsThatWouldCrashFreezeOrExhaustLlamaCppAreRefusedPromptly() {
    RecordingSink first = new RecordingSink();
    run("hi", GREEDY, first);
    assertThat(refused(nested(3000)).getMessage()).contains("nest deeper than " + GbnfCheck.MAX_NESTING);
    assertThat(refused(nested(100_000)).getMessage()).contains("nest deeper than " + GbnfCheck.MAX_NESTING);
    assertThat(refused("root ::= \"a\"{3,2}").getMessage()).contains("{3,2}", "maximum below its minimum");
    assertThat(refused("root ::= \"abc\"{1000}{1000}").getMessage()).contains("more than 2000 rules");
    assertThat(refused("root ::= \"" + "a".repeat(1000) + "\"{2000}").getMessage()).contains("more than 1000000 elements");
    assertThat(refused("root ::= " + "\"a\"{0,2000} ".repeat(101)).getMessage()).contains("more than 200000 rules");
    assertThat(refused(chain(5000)).getMessage()).contains("chain of more than " + GbnfCheck.MAX_DEPTH);
    assertThat(tiny.stats().active()).isZero();
    RecordingSink after = new RecordingSink();
    run("hi", GREEDY, after);
    assertThat(after.text()).as("the engine still serves, greedy as before").isEqualTo(first.text());
  }

  @Test
  void theDeepestGrammarsAcceptedAreParsedAndFollowed() {
    RecordingSink deep = new RecordingSink();
    assertThat(run("hi", GREEDY.withGrammar(nested(GbnfCheck.MAX_NESTING)), deep).finishReason())
        .isEqualTo(FinishReason.STOP);
    assertThat(deep.text()).isEqualTo("a");
    RecordingSink longChain = new RecordingSink();
    assertThat(run("hi", GREEDY.withGrammar(chain(GbnfCheck.MAX_DEPTH - 1)), longChain).finishReason())
        .isEqualTo(FinishReason.STOP);
    assertThat(longChain.text()).isEqualTo("b");
  }

  @Test
  void aGrammarNoTokenCanStartIsRefusedWithAMessage() {
    for (String g : List.of("root ::= \"\\x00\"", "root ::= [\\x00]+ \"a\"", "root ::= \"\\x00\" | \"\\x00b\"")) {
      assertThat(refused(g).getMessage()).as(g).contains("allows no token of this model's vocabulary to start with");
    }
  }

  @Test
  void aGrammarThatDeadEndsLaterEndsThatGenerationWithAMessageAndNoStackTrace() {
    Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    ListAppender<ILoggingEvent> log = new ListAppender<>();
    log.start();
    root.addAppender(log);
    try {
      RecordingSink sink = new RecordingSink();
      GenerationResult r = run("hi", GREEDY.withGrammar("root ::= \"a\" \"\\x00\""), sink);
      assertThat(r.finishReason()).isEqualTo(FinishReason.ERROR);
      assertThat(r.error()).contains("the grammar allows no token");
      assertThat(sink.text()).isEqualTo("a");
      assertThat(log.list).noneMatch(e -> e.getThrowableProxy() != null);
    } finally {
      root.detachAppender(log);
    }
  }

  @Test
  void aParseThatOverrunsItsTimeIsRefusedAndItsThreadEndsWhenLlamaCppReturns() throws Exception {
    try (NativeModel model = Llama.open(null, null).loadModel(TestModels.tiny(), 0)) {
      CountDownLatch release = new CountDownLatch(1);
      AtomicReference<NativeGrammar> made = new AtomicReference<>();
      GrammarParser parser = new GrammarParser(model, 200, gbnf -> {
        try {
          release.await(); // llama.cpp "busy" until the caller has given up
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt(); // as native code would, it carries on regardless
        }
        NativeGrammar g = NativeGrammar.parse(model, gbnf);
        made.set(g);
        return g;
      });
      long t0 = System.nanoTime();
      RequestValidationException e = assertThrows(RequestValidationException.class, () -> parser.parse("root ::= \"a\""));
      assertThat(Duration.ofNanos(System.nanoTime() - t0)).isGreaterThanOrEqualTo(Duration.ofMillis(200))
          .isLessThan(Duration.ofSeconds(5));
      assertThat(e.param()).isEqualTo("grammar");
      assertThat(e.getMessage()).contains("took longer than 200 ms");
      release.countDown();
      assertThat(parser.close(TimeUnit.SECONDS.toMillis(30))).as("the overrunning parse ends").isTrue();
      assertThat(made.get()).as("llama.cpp's parse ran to its end").isNotNull();
      made.get().close(); // already freed by the parser's thread: closing again is a no-op
    }
  }
}
