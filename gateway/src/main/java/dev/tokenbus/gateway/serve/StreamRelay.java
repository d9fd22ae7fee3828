package dev.tokenbus.gateway.serve;

import dev.tokenbus.flow.TokenStream;
import dev.tokenbus.protocol.TokenData;
import io.vertx.core.Future;
import io.vertx.core.streams.Pipe;
import java.util.function.Consumer;

/**
 * Feeds one token stream into one event channel with pipe semantics: when the channel's transport
 * is full the stream pauses, which stops its credits, which pauses the worker's sequence. Sends
 * each token as a {@link StreamEvent.Token}, then one {@link StreamEvent.Done} or
 * {@link StreamEvent.Failed}. Every API uses this one relay.
 *
 * <p>Contract: when the returned future completes, the stream is finished (ended, failed or
 * cancelled on its worker) or parked, whatever happened to the client: it let go ({@link ClientLink}),
 * a write failed, or the channel threw. Nothing outlives the relay.
 */
final class StreamRelay {

  private StreamRelay() {}

  /**
   * Relays {@code stream} into {@code channel} until its end.
   *
   * @param park when not null, a client that lets go hands the stream, detached and paused, to it
   *     (which keeps it for a reconnect) instead of cancelling it
   * @return completes when the channel is closed, whatever the outcome
   */
  static Future<Void> relay(TokenStream stream, EventChannel channel, RequestObserver observer, ClientLink client,
      Consumer<TokenStream> park) {
    Pipe<TokenData> pipe = stream.pipe().endOnComplete(false);
    boolean[] parked = {false};
    Consumer<String> letGo = reason -> {
      if (parked[0] || stream.result().isComplete()) {
        return; // over for this client already: its end (or failure) was delivered
      }
      if (park == null || stream.isFinished()) {
        // A stream whose worker has finished can still hold tokens the client never took (no
        // credit, a full socket): they are dropped with it, or it would wait for them forever.
        stream.cancel(reason);
        return;
      }
      parked[0] = true;
      pipe.close();
      stream.pause().handler(null); // nothing is taken, so no credit goes out and the worker pauses
      park.accept(stream);
    };
    client.onAbandoned(letGo);
    return pipe.to(new TokenEventWriter(channel, observer)).transform(piped -> {
      try {
        if (!stream.result().isComplete() && !parked[0]) {
          // The pipe stopped under a live stream: a write failed (a reset can show up as that
          // before the close), or the channel threw. Either way the client is gone.
          client.transportFailed();
          letGo.accept(HttpClientLink.DISCONNECTED);
        }
        if (parked[0]) {
          return Future.<Void>succeededFuture();
        }
        Future<Void> last;
        if (stream.result().succeeded()) {
          observer.onDone(stream, stream.result().result());
          last = channel.send(new StreamEvent.Done(stream.result().result(), stream.gatewayQueueMs()));
        } else {
          StreamEvent.Failed failed = StreamEvent.Failed.of(
              stream.result().cause() != null ? stream.result().cause() : piped.cause());
          observer.onError(stream.workerEndpoint(), failed.type().wireName(), 200);
          last = channel.send(failed);
        }
        return last.transform(ignored -> Future.<Void>succeededFuture());
      } catch (RuntimeException e) {
        stream.cancel("the gateway failed relaying the stream: " + e);
        return Future.<Void>failedFuture(e);
      }
    }).eventually(() -> {
      channel.close();
      return Future.succeededFuture();
    });
  }
}
