package dev.tokenbus.gateway.dispatch;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenbus.flow.TokenStream;
import dev.tokenbus.protocol.GenerationRequest;
import dev.tokenbus.protocol.StreamConfig;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The life of a record in the {@link StreamTable}: added, listed, moved, unlisted, removed. */
class StreamTableTest {

  private static final StreamOwner OWNER = StreamOwner.ofApiKey("sk-a");
  private static Vertx vertx;
  private static Context context;

  @BeforeAll
  static void startVertx() {
    vertx = Vertx.vertx();
    context = vertx.getOrCreateContext();
  }

  @AfterAll
  static void stopVertx() throws Exception {
    vertx.close().await(10, TimeUnit.SECONDS);
  }

  private static Route route(String sid, String wire) {
    TokenStream s = new TokenStream(context, sid, 4, n -> { }, r -> { });
    return new Route(s, new GenerationRequest(sid, "hi", StreamConfig.defaults()), "m", OWNER, null, Long.MAX_VALUE, wire);
  }

  @Test
  void aStreamIsListedAndTakesFramesOnlyWhileALegIsOpen() {
    StreamTable table = new StreamTable();
    Route r = route("s", "s");
    table.add(r);
    assertThat(table.owns(OWNER, "s")).as("owned from its request on").isTrue();
    assertThat(table.stream("s")).as("waiting: not listed").isNull();
    assertThat(table.byWire("s")).isNull();
    assertThat(table.streams()).isEmpty();

    table.open("s");
    assertThat(table.stream("s")).isSameAs(r.stream);
    assertThat(table.byWire("s")).isSameAs(r.stream);
    assertThat(table.streams()).containsExactly(r.stream);
    assertThat(table.ownedBy(OWNER)).containsExactly(r.stream);
    assertThat(table.ownedBy(StreamOwner.SINGLE_TENANT)).isEmpty();
    assertThat(table.snapshot()).containsExactly(r);
    assertThat(table.live("s")).as("no worker yet").isNull();
    r.stream.setWorker("w", "node-w");
    assertThat(table.live("s").wire).isEqualTo("s");

    table.unlist("s");
    assertThat(table.stream("s")).as("back in the queue").isNull();
    assertThat(table.byWire("s")).isNull();
    assertThat(table.live("s")).isNull();
    assertThat(table.route("s")).isSameAs(r);

    table.remove(r);
    assertThat(table.has("s")).isFalse();
    assertThat(table.owns(OWNER, "s")).isFalse();
  }

  @Test
  void aMoveTakesFramesOnTheNewWireIdOnly() {
    StreamTable table = new StreamTable();
    Route r = route("s", "s");
    table.add(r);
    table.open("s");
    r.stream.setWorker("w", "node-w");

    assertThat(table.nextLeg("s")).isEqualTo("s~1");
    assertThat(table.byWire("s")).as("a late frame of the old leg").isNull();
    assertThat(table.live("s")).as("moving: no worker to send to").isNull();
    assertThat(table.stream("s")).as("still listed while it moves").isSameAs(r.stream);

    table.open("s");
    r.moving = false;
    assertThat(table.byWire("s~1")).isSameAs(r.stream);
    assertThat(table.live("s").wire).isEqualTo("s~1");
    table.remove(r);
    assertThat(table.byWire("s~1")).isNull();
  }

  @Test
  void anOpenSentAgainElsewhereTakesFramesOnItsFreshWireIdOnlyAndIsNoMove() {
    StreamTable table = new StreamTable();
    Route r = route("s", "s");
    table.add(r);
    table.open("s");

    assertThat(table.renewWire("s")).isEqualTo("s~1");
    assertThat(table.byWire("s")).as("the late answer of the worker that did not answer").isNull();
    assertThat(table.byWire("s~1")).isSameAs(r.stream);
    assertThat(r.moves).isZero();

    r.stream.setWorker("w", "node-w");
    assertThat(table.nextLeg("s")).as("a later move has a wire id of its own").isEqualTo("s~2");
    assertThat(r.moves).isEqualTo(1);
    assertThat(table.byWire("s~1")).isNull();
  }

  @Test
  void removingAnEndedRecordLeavesTheStreamResumedUnderItsId() {
    StreamTable table = new StreamTable();
    Route old = route("s", "s");
    table.add(old);
    table.open("s");
    Route resumed = route("s", "s@g2");
    table.add(resumed);
    table.open("s");

    table.remove(old);
    assertThat(table.route("s")).isSameAs(resumed);
    assertThat(table.byWire("s")).as("the old record's wire id").isNull();
    assertThat(table.byWire("s@g2")).isSameAs(resumed.stream);
  }
}
