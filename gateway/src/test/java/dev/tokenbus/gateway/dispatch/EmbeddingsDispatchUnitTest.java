package dev.tokenbus.gateway.dispatch;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenbus.protocol.EmbeddingsWire;
import dev.tokenbus.protocol.RequestValidationException;
import dev.tokenbus.protocol.WorkerStatus;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Which worker an embeddings request goes to, and what happens when it does not answer: only workers
 * that announce embeddings are asked, a gone one is passed over, a slow one is not asked again elsewhere.
 */
class EmbeddingsDispatchUnitTest {

  private static final AtomicLong SEQUENCE = new AtomicLong();
  private static final JsonObject REQUEST = EmbeddingsWire.request(new JsonArray().add("hi"), null);
  private Vertx vertx;
  private DispatchHarness h;

  @BeforeEach
  void start() throws Exception {
    vertx = Vertx.vertx();
    h = DispatchHarness.start(vertx, DispatchHarness.options(4, 0));
  }

  @AfterEach
  void stop() throws Exception {
    h.close();
    vertx.close().await(10, TimeUnit.SECONDS);
  }

  private void announce(String id, String model, int active, boolean simulated, int embeddingSize) throws Exception {
    WorkerStatus s = new WorkerStatus(id, FakeWorkerLink.nodeOf(id), model, 4, active, active, 0, 0, 0, 100, 100,
        false, SEQUENCE.incrementAndGet(), null, null, simulated, embeddingSize);
    h.run(() -> h.link.status(s));
  }

  private Future<Buffer> ask(String model) throws Exception {
    return h.on(() -> h.dispatcher.embeddings(model, REQUEST, 1000));
  }

  private FakeWorkerLink.Embed embedAt(int i) throws Exception {
    h.until(() -> h.link.embeds.size() > i);
    return h.on(() -> h.link.embeds.get(i));
  }

  @Test
  void onlyWorkersThatAnnounceEmbeddingsAreAskedTheLeastLoadedFirst() throws Exception {
    announce("idle-without", "m", 0, false, 0);
    announce("busy-with", "m", 3, false, 64);
    announce("less-busy-with", "m", 1, false, 64);
    Future<Buffer> answer = ask("m");
    FakeWorkerLink.Embed e = embedAt(0);
    assertThat(e.workerId()).isEqualTo("less-busy-with");
    assertThat(e.request()).isEqualTo(REQUEST);
    Buffer vectors = EmbeddingsWire.encode(new float[][] {{1f}}, 2);
    h.run(() -> e.answer().complete(vectors));
    assertThat(DispatchHarness.result(answer)).isEqualTo(vectors);
  }

  @Test
  void aModelWhoseWorkersComputeNoEmbeddingsIsABadRequestAndAnUnknownOneIsNotFound() throws Exception {
    announce("sim", "simulated", 0, true, 0);
    announce("real", "m", 0, false, 64);
    Throwable sim = h.failure(ask("simulated"));
    assertThat(sim).isInstanceOf(RequestValidationException.class).hasMessageContaining("simulated engine");
    assertThat(((RequestValidationException) sim).param()).isEqualTo("model");
    assertThat(h.failure(ask("no-such-model"))).isInstanceOf(ModelNotFoundException.class);
    assertThat(h.on(() -> h.link.embeds.size())).isZero();
  }

  @Test
  void aGoneWorkerIsPassedOverButASlowOneIsNotAskedAgainElsewhere() throws Exception {
    announce("a", "m", 0, false, 64);
    announce("b", "m", 1, false, 64);
    Future<Buffer> first = ask("m");
    FakeWorkerLink.Embed toA = embedAt(0);
    assertThat(toA.workerId()).isEqualTo("a");
    h.run(() -> toA.answer().fail(FakeWorkerLink.noAnswer(true)));
    FakeWorkerLink.Embed toB = embedAt(1);
    assertThat(toB.workerId()).isEqualTo("b");
    h.run(() -> toB.answer().fail(FakeWorkerLink.noAnswer(false)));
    assertThat(h.failure(first)).isInstanceOf(NoWorkerException.class).hasMessageContaining("embeddings");
    assertThat(h.on(() -> h.link.embeds.size())).isEqualTo(2);
  }

  @Test
  void aBusyWorkersRefusalIsPassedOn() throws Exception {
    announce("a", "m", 0, false, 64);
    announce("b", "m", 1, false, 64);
    Future<Buffer> answer = ask("m");
    FakeWorkerLink.Embed e = embedAt(0);
    h.run(() -> e.answer().fail(new QueueFullException("busy", 1)));
    assertThat(h.failure(answer)).isInstanceOf(QueueFullException.class);
    assertThat(h.on(() -> h.link.embeds.size())).isEqualTo(1);
  }
}
