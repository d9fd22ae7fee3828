package dev.tokenbus.gateway.dispatch;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenbus.cluster.ClusterMembership;
import dev.tokenbus.flow.TokenStream;
import dev.tokenbus.protocol.GenerationRequest;
import dev.tokenbus.protocol.StreamConfig;
import dev.tokenbus.protocol.frame.Handover;
import dev.tokenbus.protocol.frame.OpenFrame;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The ownership bookkeeping of the dispatch: {@link StreamTable}'s owners, and a claim over the
 * event bus, which carries the claimer's {@link StreamOwner} to the holder and brings the holder's
 * refusals back as the same exceptions.
 */
class StreamOwnershipUnitTest {

  private static final StreamOwner A = StreamOwner.ofApiKey("sk-a");
  private static final StreamOwner B = StreamOwner.ofApiKey("sk-b");
  private final Vertx vertx = Vertx.vertx();

  @AfterEach
  void close() throws Exception {
    vertx.close().await(10, TimeUnit.SECONDS);
  }

  private static GenerationRequest request(String sid) {
    return new GenerationRequest(sid, "hi", StreamConfig.defaults());
  }

  private TokenStream open(StreamTable table, String sid, StreamOwner owner) {
    TokenStream s = new TokenStream(vertx.getOrCreateContext(), sid, 4, n -> { }, r -> { });
    table.add(new Route(s, request(sid), null, owner, null, Long.MAX_VALUE, sid));
    table.open(sid);
    return s;
  }

  @Test
  void theTableListsAndGrantsEachStreamToItsOwnerOnly() {
    StreamTable table = new StreamTable();
    TokenStream a1 = open(table, "a1", A);
    TokenStream a2 = open(table, "a2", A);
    TokenStream b1 = open(table, "b1", B);
    TokenStream single = open(table, "s1", StreamOwner.SINGLE_TENANT);

    assertThat(table.ownedBy(A)).containsExactlyInAnyOrder(a1, a2);
    assertThat(table.ownedBy(StreamOwner.ofApiKey("sk-b"))).containsExactly(b1);
    assertThat(table.ownedBy(StreamOwner.SINGLE_TENANT)).containsExactly(single);
    assertThat(table.ownedBy(StreamOwner.ofApiKey("sk-c"))).isEmpty();
    assertThat(table.owns(A, "a1")).isTrue();
    assertThat(table.owns(B, "a1")).isFalse();
    assertThat(table.owns(StreamOwner.SINGLE_TENANT, "a1")).isFalse();
    assertThat(table.owns(A, "never")).isFalse();

    table.remove(table.route("a1"));
    assertThat(table.owns(A, "a1")).as("once ended").isFalse();
    assertThat(table.ownedBy(A)).containsExactly(a2);
  }

  @Test
  void aClaimOverTheBusCarriesTheClaimerAndBringsBackTheHoldersAnswer() throws Exception {
    List<StreamOwner> claimers = new ArrayList<>();
    Reconnects.Holder holder = (sid, last, claimer) -> {
      claimers.add(claimer);
      if (!claimer.equals(A)) {
        throw StreamNotFoundException.unknown(sid);
      }
      if (last < 0) {
        throw new StreamInUseException(sid);
      }
      return new Handover(new OpenFrame(sid, null, null, 4, request(sid), List.of(1, 2)), "m");
    };
    EventBusWorkerLink link = new EventBusWorkerLink(vertx, ClusterMembership.standalone("gateway"));
    Reconnects holding = new Reconnects(vertx, link, 60_000, 5_000, holder, List::of, "aaaaaaaa");
    Reconnects claiming = new Reconnects(vertx, link, 60_000, 5_000, (sid, last, claimer) -> {
      throw new AssertionError("the claiming side holds nothing");
    }, List::of, "bbbbbbbb");
    holding.listen("s");

    Handover h = claiming.claim("s", 1, A, false).await(10, TimeUnit.SECONDS);
    assertThat(h.open().resume()).containsExactly(1, 2);
    assertThat(h.model()).isEqualTo("m");
    assertThat(failure(claiming.claim("s", 1, B, false))).isInstanceOf(StreamNotFoundException.class)
        .hasMessage(StreamNotFoundException.unknown("s").getMessage());
    assertThat(failure(claiming.claim("s", -1, A, false))).isInstanceOf(StreamInUseException.class);
    assertThat(claimers).containsExactly(A, B, A);

    // No holder at all: the very answer another owner's claim got.
    assertThat(failure(claiming.claim("gone", 1, A, false))).isInstanceOf(StreamNotFoundException.class)
        .hasMessage(StreamNotFoundException.unknown("gone").getMessage());
  }

  @Test
  void aClaimThatNamesNoOwnerFindsNothing() throws Exception {
    Reconnects holding = new Reconnects(vertx, new EventBusWorkerLink(vertx, ClusterMembership.standalone("gateway")), 60_000,
        5_000, (sid, last, claimer) -> {
          throw new AssertionError("a claim without an owner must not reach the holder");
        }, List::of, "aaaaaaaa");
    holding.listen("s");
    Throwable e = failure(vertx.eventBus().request(dev.tokenbus.protocol.Addresses.streamClaims("s"),
        new JsonObject().put("stream_id", "s").put("last_index", 1)));
    assertThat(e).isInstanceOf(io.vertx.core.eventbus.ReplyException.class);
    assertThat(((io.vertx.core.eventbus.ReplyException) e).failureCode()).isEqualTo(404);
  }

  @Test
  void aGatewayAnswersTheClaimsForTheStreamsItMadeOnOneAddressAndAMovedStreamOnItsOwn() throws Exception {
    EventBusWorkerLink link = new EventBusWorkerLink(vertx, ClusterMembership.standalone("gateway"));
    String made = "aaaaaaaa-1-made";
    String moved = "aaaaaaaa-2-moved";
    List<String> asked = new ArrayList<>();
    Reconnects maker = new Reconnects(vertx, link, 60_000, 5_000, (sid, last, claimer) -> {
      asked.add("maker " + sid);
      if (!sid.equals(made)) {
        throw StreamNotFoundException.unknown(sid); // moved: handed to the third gateway before
      }
      return new Handover(new OpenFrame(sid, null, null, 4, request(sid), List.of(1)), "m");
    }, List::of, "aaaaaaaa");
    Reconnects third = new Reconnects(vertx, link, 60_000, 5_000, (sid, last, claimer) -> {
      asked.add("third " + sid);
      return new Handover(new OpenFrame(sid, null, null, 4, request(sid), List.of(1, 2, 3)), "m");
    }, List::of, "cccccccc");
    Reconnects claiming = new Reconnects(vertx, link, 60_000, 5_000, (sid, last, claimer) -> {
      throw new AssertionError("the claiming side holds nothing");
    }, List::of, "bbbbbbbb");
    maker.start();
    assertThat(maker.listen(made)).as("its own streams need no address of their own").isNull();
    WorkerLink.Subscription movedHere = third.listen(moved);
    assertThat(movedHere).isNotNull();

    assertThat(claiming.claim(made, 0, A, false).await(10, TimeUnit.SECONDS).open().resume()).containsExactly(1);
    assertThat(claiming.claim(moved, 0, A, false).await(10, TimeUnit.SECONDS).open().resume())
        .containsExactly(1, 2, 3);
    assertThat(asked).containsExactly("maker " + made, "maker " + moved, "third " + moved);

    // Gone everywhere: the maker's refusal is the answer, and a hostile id is never echoed.
    movedHere.close();
    assertThat(failure(claiming.claim(moved, 0, A, false))).isInstanceOf(StreamNotFoundException.class)
        .hasMessage(StreamNotFoundException.unknown(moved).getMessage());
    Throwable e = failure(vertx.eventBus().request(dev.tokenbus.protocol.Addresses.gatewayClaims("aaaaaaaa"),
        new JsonObject().put("stream_id", "aaaaaaaa-<script>".repeat(50)).put("last_index", 1).put("owner", "x")));
    assertThat(((io.vertx.core.eventbus.ReplyException) e).failureCode()).isEqualTo(404);
    assertThat(e.getMessage()).doesNotContain("script");
    Throwable other = failure(vertx.eventBus().request(dev.tokenbus.protocol.Addresses.gatewayClaims("aaaaaaaa"),
        new JsonObject().put("stream_id", "bbbbbbbb-1-x").put("last_index", 1).put("owner", "x")));
    assertThat(((io.vertx.core.eventbus.ReplyException) other).failureCode()).isEqualTo(404);
    maker.stop();
    assertThat(failure(claiming.claim(made, 0, A, false))).isInstanceOf(StreamNotFoundException.class);
  }

  private static Throwable failure(Future<?> f) {
    try {
      f.await(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      return f.cause();
    }
    throw new AssertionError("the claim succeeded");
  }
}
