package dev.tokenbus.client;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.util.List;

/**
 * One Server-Sent Events request per generation ({@code POST /v1/generate}). A stream's
 * backpressure is its connection's: when the consumer is a window behind, the response is paused,
 * the socket is no longer read, and TCP's flow control fills the gateway's write queue, which
 * pauses the generation. A connection that drops before the stream ended is resumed with the
 * stream id and {@code Last-Event-ID} (the last token that arrived) through the gateways in turn,
 * starting with the one that was lost, for up to {@code reconnectTimeoutMs}; tokens the gateway
 * sends again are skipped, so the consumer sees no repeat and no gap. All state lives on one context.
 */
final class SseConnection implements Transport.Connection {

  static final String STREAM_ID_HEADER = "X-Tokenbus-Stream-Id";
  private static final long MAX_BACKOFF_MS = 2000;
  static final int RECEIVE_BUFFER_BYTES = 64 * 1024;

  private final Vertx vertx;
  private final Context context;
  private final HttpClient http;
  private final List<URI> gateways;
  private final String apiKey;
  private final long reconnectTimeoutMs;
  /** The legs whose stream is not over, to end when the client closes. */
  private final java.util.Set<Leg> open = new java.util.HashSet<>();
  private boolean closed;

  SseConnection(Vertx vertx, Context context, TokenbusOptions options) {
    this.vertx = vertx;
    this.context = context;
    this.gateways = options.gateways();
    this.apiKey = options.apiKey();
    this.reconnectTimeoutMs = options.reconnectTimeoutMs();
    this.http = vertx.createHttpClient(new HttpClientOptions()
        .setConnectTimeout((int) Math.min(Integer.MAX_VALUE, options.connectTimeoutMs())).setKeepAlive(true)
        // What TCP holds for a paused stream: about 600 token events, instead of the megabytes an
        // autotuned buffer grows to; ample for token rates even over a long round trip.
        .setReceiveBufferSize(RECEIVE_BUFFER_BYTES),
        new PoolOptions().setHttp1MaxSize(options.maxConnections()));
  }

  @Override
  public void open(TokenStream stream, JsonObject request) {
    context.runOnContext(v -> {
      if (closed) {
        stream.fail(Errors.connection("the client is closed", null));
        return;
      }
      Leg leg = new Leg(stream, request);
      open.add(leg);
      leg.send();
    });
  }

  /** Closes the connections; open streams end with a {@link ConnectionException}. */
  @Override
  public Future<Void> close() {
    io.vertx.core.Promise<Void> done = io.vertx.core.Promise.promise();
    context.runOnContext(v -> {
      closed = true;
      new java.util.ArrayList<>(open).forEach(l -> l.finish(Errors.connection("the client is closed", null)));
      http.close().onComplete(x -> done.complete());
    });
    return done.future();
  }

  private RequestOptions options(HttpMethod method, URI base, String path) {
    RequestOptions o = new RequestOptions().setMethod(method).setAbsoluteURI(base.resolve(path).toString());
    if (apiKey != null) {
      o.addHeader("Authorization", "Bearer " + apiKey);
    }
    return o;
  }

  /** One stream's requests: the first, then one per resume. */
  private final class Leg implements TokenStream.Leg {
    private final TokenStream stream;
    private final String body;
    private String streamId;
    private int gateway;
    /** Counts connections; handlers of an older one are ignored. */
    private int connection;
    private HttpClientRequest request;
    private HttpClientResponse response;
    private long credit;
    private boolean paused;
    private boolean ended;
    private boolean cancelled;
    private long reconnectDeadline;
    private int attempts;

    Leg(TokenStream stream, JsonObject request) {
      this.stream = stream;
      this.body = request.encode();
      this.credit = stream.window();
      stream.attach(this);
    }

    /** Sends the request, or the resume request once a stream id is known. */
    void send() {
      if (cancelled || ended) {
        return;
      }
      int n = ++connection;
      URI base = gateways.get(gateway);
      boolean resuming = streamId != null;
      RequestOptions o = options(HttpMethod.POST, base, "v1/generate").addHeader("Accept", "text/event-stream");
      if (resuming) {
        o.addHeader(STREAM_ID_HEADER, streamId).addHeader("Last-Event-ID", Integer.toString(stream.lastIndex()));
      } else {
        o.addHeader("Content-Type", "application/json");
      }
      http.request(o).compose(req -> {
        request = req;
        return resuming ? req.send() : req.send(body);
      }).onComplete(ar -> {
        if (n != connection) {
          if (ar.succeeded() && !cancelled) {
            ar.result().request().reset(); // superseded: nothing reads it
          }
          return;
        }
        if (ar.succeeded()) {
          onResponse(ar.result(), base, n);
        } else {
          dropped(base, ar.cause());
        }
      });
    }

    private void onResponse(HttpClientResponse resp, URI base, int n) {
      if (resp.statusCode() != 200) {
        resp.body().onComplete(b -> {
          if (n != connection) {
            return;
          }
          TokenbusException e = Errors.of(errorObject(b.succeeded() ? b.result() : null), resp.statusCode(),
              Errors.seconds(resp.getHeader("Retry-After")));
          if (streamId == null) {
            finish(e);
          } else if (resp.statusCode() >= 500 || resp.statusCode() == 409) {
            // That gateway cannot take it now (shutting down...): another may. 409: the gateway
            // holding the stream has not yet seen the lost connection close; it will soon.
            dropped(base, e);
          } else {
            finish(Errors.connection("the connection to " + base + " was lost and the stream could not be resumed: "
                + e.getMessage(), e));
          }
        });
        return;
      }
      String id = resp.getHeader(STREAM_ID_HEADER);
      if (streamId == null) {
        streamId = id;
      }
      response = resp;
      attempts = 0;
      reconnectDeadline = 0;
      SseParser parser = new SseParser(e -> {
        if (n == connection) {
          onEvent(e);
        }
      });
      resp.handler(parser::feed);
      resp.exceptionHandler(e -> {
        if (n == connection) {
          dropped(base, e);
        }
      });
      resp.endHandler(v -> {
        if (n == connection && !ended) {
          dropped(base, null);
        }
      });
      if (credit <= 0) {
        paused = true;
        resp.pause();
      }
      if (cancelled) {
        cancelOnServer();
      }
    }

    private void onEvent(SseParser.Event e) {
      if (ended || cancelled) {
        return;
      }
      try {
        switch (e.event()) {
          case "token" -> {
            TokenData t = Wire.token(new JsonObject(e.data()));
            if (t.index() <= stream.lastIndex()) {
              return; // sent again after a resume: the consumer has it already
            }
            stream.onToken(t);
            // After the final token only done is left: it must be read whatever the credit, for
            // the stream hands out its final token with done's summary.
            if (--credit <= 0 && !t.isFinal() && !paused && response != null) {
              paused = true;
              response.pause();
            }
            if (t.isFinal()) {
              // done follows; nothing is resumed from here on
              reconnectDeadline = 0;
            }
          }
          case "done" -> {
            ended = true;
            open.remove(this);
            stream.onDone(Wire.done(new JsonObject(e.data())));
          }
          case "error" -> finish(Errors.of(new JsonObject(e.data()), 0, null));
          default -> { } // an event of a newer gateway
        }
      } catch (ProtocolException p) {
        finish(p);
        cancelOnServer();
      } catch (RuntimeException r) {
        finish(Errors.protocol("an event this client cannot read: " + r.getMessage(), r));
        cancelOnServer();
      }
    }

    private void finish(TokenbusException e) {
      ended = true;
      open.remove(this);
      stream.fail(e);
      connection++;
      if (request != null) {
        request.reset();
      }
    }

    /** The connection failed or ended before the stream: resume it, here or at another gateway. */
    private void dropped(URI base, Throwable cause) {
      if (ended || cancelled) {
        return;
      }
      response = null;
      paused = false;
      connection++;
      if (streamId == null) {
        finish(cause instanceof TokenbusException e ? e : Errors.connection("the connection to " + base
            + " failed before the gateway started the stream" + (cause != null ? ": " + cause.getMessage() : ""),
            cause));
        return;
      }
      long now = System.nanoTime();
      if (reconnectDeadline == 0) {
        reconnectDeadline = now + reconnectTimeoutMs * 1_000_000L;
      }
      if (!stream.isOpen() || now - reconnectDeadline >= 0) {
        finish(Errors.connection("the connection to " + base + " was lost and the stream could not be resumed"
            + " within " + reconnectTimeoutMs + " ms" + (cause != null ? ": " + cause.getMessage() : ""), cause));
        return;
      }
      // The same gateway first (the drop may be the network's), then the others in turn; a pause
      // that doubles after each full round.
      int round = attempts / gateways.size();
      if (attempts > 0) {
        gateway = (gateway + 1) % gateways.size();
      }
      attempts++;
      long delay = round == 0 ? 0 : Math.min(MAX_BACKOFF_MS, 100L << Math.min(5, round - 1));
      if (delay == 0) {
        send();
      } else {
        vertx.setTimer(delay, t -> send());
      }
    }

    private void cancelOnServer() {
      if (streamId == null) {
        // Not started yet (queued at the gateway, no response): a closed request is cancelled there.
        if (request != null) {
          request.reset();
        }
        return;
      }
      URI base = gateways.get(gateway);
      http.request(options(HttpMethod.DELETE, base, "v1/streams/" + streamId)).compose(HttpClientRequest::send)
          .compose(HttpClientResponse::body).onComplete(ar -> {
            if (request != null) {
              request.reset();
            }
          });
    }

    @Override
    public void grant(int n) {
      context.runOnContext(v -> {
        credit += n;
        if (paused && credit > 0 && response != null) {
          paused = false;
          response.resume();
        }
      });
    }

    @Override
    public void cancel() {
      context.runOnContext(v -> {
        if (cancelled || ended) {
          return;
        }
        cancelled = true;
        open.remove(this);
        connection++;
        if (response != null || streamId != null || request != null) {
          cancelOnServer();
        }
      });
    }
  }

  private static JsonObject errorObject(Buffer b) {
    try {
      return b == null ? null : b.toJsonObject().getJsonObject("error");
    } catch (RuntimeException e) {
      return null;
    }
  }
}
