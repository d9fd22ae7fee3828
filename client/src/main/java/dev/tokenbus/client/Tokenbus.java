package dev.tokenbus.client;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

/**
 * A connection to tokenbus gateways, for applications: start generations and read their tokens as
 * a {@link TokenStream}.
 *
 * <pre>{@code
 * try (Tokenbus tokenbus = Tokenbus.connect("http://127.0.0.1:8080")) {
 *   TokenStream stream = tokenbus.generate("Once upon a time", StreamConfig.builder().temperature(0).build());
 *   while (!stream.isFinished()) {
 *     System.out.print(stream.next().text());
 *   }
 * }
 * }</pre>
 *
 * <p>Over the WebSocket transport (the default) all generations share one socket, each with its
 * own credit window; over SSE each has its own request and survives a lost connection (see
 * {@link Transport}). Thread-safe: generations may be started from any thread. The client runs on
 * a Vert.x instance of its own, or on the application's ({@link #create(Vertx, TokenbusOptions)}).
 */
public final class Tokenbus implements AutoCloseable {

  private final Vertx vertx;
  private final boolean ownsVertx;
  private final Context context;
  private final TokenbusOptions options;
  private final Transport.Connection connection;

  private Tokenbus(Vertx vertx, boolean ownsVertx, TokenbusOptions options) {
    this.vertx = vertx;
    this.ownsVertx = ownsVertx;
    this.options = options;
    Context current = Vertx.currentContext();
    this.context = current != null && current.owner() == vertx ? current : vertx.getOrCreateContext();
    this.connection = options.transport().connect(vertx, context, options);
  }

  /** A client for one gateway with the default options (WebSocket, no API key), on a Vert.x of its own. */
  public static Tokenbus connect(String gatewayUrl) {
    return create(TokenbusOptions.of(gatewayUrl));
  }

  /** A client on a Vert.x instance of its own, closed with it. */
  public static Tokenbus create(TokenbusOptions options) {
    return new Tokenbus(Vertx.vertx(), true, Objects.requireNonNull(options, "options"));
  }

  /**
   * A client on the application's Vert.x; {@link #close()} leaves it running. Created on a Vert.x
   * context, the client's connections live on that context.
   */
  public static Tokenbus create(Vertx vertx, TokenbusOptions options) {
    return new Tokenbus(Objects.requireNonNull(vertx, "vertx"), false, Objects.requireNonNull(options, "options"));
  }

  /** Continues {@code prompt} with the default {@link StreamConfig}. */
  public TokenStream generate(String prompt) {
    return generate(prompt, StreamConfig.defaults());
  }

  /**
   * Continues {@code prompt}. Returns at once; the request goes out in the background, and a refusal
   * (a bad value, no worker, a full queue...) ends the stream with its exception.
   */
  public TokenStream generate(String prompt, StreamConfig config) {
    Objects.requireNonNull(prompt, "prompt");
    return start(prompt, null, config);
  }

  /** Answers a chat: the worker renders {@code messages} with its model's chat template. Returns at once. */
  public TokenStream chat(List<ChatMessage> messages, StreamConfig config) {
    Objects.requireNonNull(messages, "messages");
    return start(null, List.copyOf(messages), config);
  }

  private TokenStream start(String prompt, List<ChatMessage> messages, StreamConfig config) {
    Objects.requireNonNull(config, "config");
    Context current = Vertx.currentContext();
    TokenStream stream = new TokenStream(current != null && current.owner() == vertx ? current : context, config);
    connection.open(stream, Wire.request(prompt, messages, config));
    return stream;
  }

  /** The options this client was created with. */
  public TokenbusOptions options() {
    return options;
  }

  /**
   * Closes the connections (open streams end with a {@link ConnectionException}) and, when the
   * client made its own, the Vert.x instance. Waits up to 10 s; call it off the event loop.
   */
  @Override
  public void close() {
    Future<Void> all = connection.close().transform(v -> ownsVertx ? vertx.close() : Future.<Void>succeededFuture());
    if (!Context.isOnEventLoopThread()) {
      try {
        all.await(10, TimeUnit.SECONDS);
      } catch (Exception e) {
        // closing is best effort: the connections are gone with the process anyway
      }
    }
  }
}
