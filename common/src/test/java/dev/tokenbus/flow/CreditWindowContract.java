package dev.tokenbus.flow;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The credit window a consumer side keeps towards its producer, written twice: the gateway's
 * {@link TokenStream} (credits to the worker over the event bus) and the Java client's
 * {@code dev.tokenbus.client.TokenStream} (credits to the gateway over a WebSocket), which cannot
 * share code (the client is compiled for Java 17). Each implementation's test extends this class,
 * so both pass the same scenarios: no credit for tokens that merely arrived, credit back half a
 * window at a time as the consumer takes tokens, never a stalled producer behind a consumer that
 * keeps up, and nothing granted once the end arrived or the stream was cancelled.
 */
public abstract class CreditWindowContract {

  /** One stream of the implementation under test, driven from the test thread. */
  protected interface Window {
    /** {@code n} more tokens (none of them final) arrive from the producer. */
    void arrive(int n);

    /** The final token arrives, and the producer's end of stream after it. */
    void arriveEnd();

    /** The consumer takes {@code n} tokens; returns once it has them. */
    void take(int n) throws Exception;

    /** The credits granted to the producer so far, in order. */
    List<Integer> grants();

    /** The consumer cancels the stream. */
    void cancel();
  }

  /** A new stream whose producer may send {@code window} tokens before any credit. */
  protected abstract Window open(int window) throws Exception;

  @Test
  void tokensThatOnlyArrivedEarnNoCredit() throws Exception {
    Window w = open(8);
    w.arrive(8);
    assertThat(w.grants()).isEmpty();
  }

  @ParameterizedTest
  @ValueSource(ints = {1, 2, 3, 8, 33})
  void creditComesBackHalfAWindowAtATimeAsTheConsumerTakes(int window) throws Exception {
    Window w = open(window);
    int batch = Math.max(1, window / 2);
    w.arrive(window);
    for (int taken = 1; taken <= window; taken++) {
      w.take(1);
      List<Integer> expected = new ArrayList<>();
      for (int i = 0; i < taken / batch; i++) {
        expected.add(batch);
      }
      assertThat(w.grants()).as("after %d of a window of %d", taken, window).isEqualTo(expected);
    }
  }

  @ParameterizedTest
  @ValueSource(ints = {1, 4, 7})
  void aProducerSendingAllItsCreditNeverStallsAConsumerThatKeepsUp(int window) throws Exception {
    Window w = open(window);
    int credit = window;
    int granted = 0;
    int sent = 0;
    while (sent < 10 * window) {
      assertThat(credit).as("the producer's credit after %d tokens", sent).isPositive();
      w.arrive(credit);
      sent += credit;
      int buffered = credit;
      credit = 0;
      w.take(buffered);
      List<Integer> grants = w.grants();
      for (int i = granted; i < grants.size(); i++) {
        credit += grants.get(i);
      }
      granted = grants.size();
      assertThat(credit).as("what the consumer took is owed, less under half a window")
          .isGreaterThan(buffered - Math.max(1, window / 2));
    }
  }

  @Test
  void nothingIsGrantedOnceTheEndArrived() throws Exception {
    Window w = open(4);
    w.arrive(3);
    w.arriveEnd();
    w.take(4);
    assertThat(w.grants()).isEmpty();
  }

  @Test
  void nothingMoreIsGrantedAfterACancel() throws Exception {
    Window w = open(4);
    w.arrive(4);
    w.take(3);
    assertThat(w.grants()).containsExactly(2);
    w.cancel();
    w.arrive(2);
    assertThat(w.grants()).containsExactly(2);
  }
}
