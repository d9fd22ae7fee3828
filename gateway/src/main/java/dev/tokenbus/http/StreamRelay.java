package dev.tokenbus.http;

import dev.tokenbus.flow.TokenStream;
import dev.tokenbus.flow.TokenStreamException;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.core.streams.Pipe;
import dev.tokenbus.protocol.TokenData;
import java.util.function.Consumer;

/**
 * Feeds one token stream into one event channel with pipe semantics: when the channel's transport
 * is full the stream pauses, which stops its credits, which pauses the worker's sequence. Ends
 * with a {@code done} event, or an {@code error} event, and cancels the generation when the client
 * goes away. Every transport uses this one relay.
 */
final class StreamRelay {

  private StreamRelay() {}

  /** Completes when the channel is closed, whatever the outcome. A client that goes away cancels the stream. */
  static Future<Void> relay(TokenStream stream, EventChannel channel, RequestObserver observer) {
    return relay(stream, channel, observer, null);
  }

  /**
   * As {@link #relay(TokenStream, EventChannel, RequestObserver)}, but a client that goes away hands
   * the stream, detached and paused, to {@code park} (which keeps it for a reconnect) instead of
   * cancelling it.
   */
  static Future<Void> relay(TokenStream stream, EventChannel channel, RequestObserver observer,
      Consumer<TokenStream> park) {
    Pipe<TokenData> pipe = stream.pipe().endOnComplete(false);
    boolean[] parked = {false};
    channel.onClientGone(v -> {
      if (park == null) {
        stream.cancel("client disconnected");
        return;
      }
      parked[0] = true;
      pipe.close();
      stream.pause().handler(null); // nothing is taken, so no credit goes out and the worker pauses
      park.accept(stream);
    });
    return pipe.to(new TokenEventWriter(channel, observer)).transform(piped -> {
      if (parked[0]) {
        channel.close();
        return Future.<Void>succeededFuture();
      }
      Future<Void> last;
      if (stream.result().succeeded()) {
        observer.onDone(stream, stream.result().result());
        last = channel.send("done", null, TokenJson.done(stream.result().result(), stream.gatewayQueueMs()));
      } else {
        JsonObject error = errorPayload(stream.result().cause() != null ? stream.result().cause() : piped.cause());
        observer.onError(stream.workerEndpoint(), error.getString("type"), 200);
        last = channel.send("error", null, error);
      }
      return last.transform(ignored -> {
        channel.close();
        return Future.<Void>succeededFuture();
      });
    });
  }

  /** The error event's payload: {@code {type, message}}. */
  static JsonObject errorPayload(Throwable t) {
    if (t instanceof TokenStreamException e) {
      return new JsonObject().put("type", e.type()).put("message", e.getMessage());
    }
    ApiError api = ApiError.of(t == null ? new IllegalStateException("stream failed") : t);
    return new JsonObject().put("type", api.type()).put("message", api.message());
  }
}
