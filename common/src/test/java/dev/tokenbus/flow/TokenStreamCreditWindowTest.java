package dev.tokenbus.flow;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenbus.protocol.FinishReason;
import dev.tokenbus.protocol.TokenData;
import dev.tokenbus.protocol.frame.EndFrame;
import dev.tokenbus.protocol.frame.TokensFrame;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** The gateway's {@link TokenStream} in the credit-window scenarios it shares with the Java client. */
class TokenStreamCreditWindowTest extends CreditWindowContract {

  private static Vertx vertx;

  @BeforeAll
  static void start() {
    vertx = Vertx.vertx();
  }

  @AfterAll
  static void stop() {
    vertx.close().await();
  }

  @Override
  protected Window open(int window) {
    Context context = vertx.getOrCreateContext();
    List<Integer> credits = new ArrayList<>();
    List<TokenData> delivered = new ArrayList<>();
    TokenStream stream = OnContext.call(context, () -> new TokenStream(context, "s", window, credits::add, r -> { }));
    OnContext.run(context, () -> stream.pause().handler(delivered::add));
    return new Window() {
      private int next;

      @Override
      public void arrive(int n) {
        int from = next;
        next += n;
        OnContext.run(context, () -> stream.onTokens(new TokensFrame("s", from + n, Tokens.range(from, n))));
      }

      @Override
      public void arriveEnd() {
        int last = next++;
        OnContext.run(context, () -> {
          stream.onTokens(new TokensFrame("s", last + 1, List.of(Tokens.last(last))));
          stream.onEnd(new EndFrame("s", Tokens.result(FinishReason.STOP, last + 1)));
        });
      }

      @Override
      public void take(int n) {
        int before = OnContext.call(context, delivered::size);
        OnContext.run(context, () -> stream.fetch(n));
        OnContext.settle(context); // fetch delivers in a task of its own, on the context
        assertThat(OnContext.call(context, delivered::size)).isEqualTo(before + n);
      }

      @Override
      public List<Integer> grants() {
        return OnContext.call(context, () -> List.copyOf(credits));
      }

      @Override
      public void cancel() {
        OnContext.run(context, stream::cancel);
      }
    };
  }
}
