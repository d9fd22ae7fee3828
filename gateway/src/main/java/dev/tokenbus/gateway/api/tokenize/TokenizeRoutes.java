package dev.tokenbus.gateway.api.tokenize;

import dev.tokenbus.gateway.json.Fields;
import dev.tokenbus.gateway.serve.ApiError;
import dev.tokenbus.gateway.serve.Generations;
import dev.tokenbus.protocol.RequestValidationException;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.function.Function;

/**
 * {@code POST /v1/tokenize} and {@code POST /v1/detokenize}, shaped like llama-server's: the
 * gateway holds no vocabulary, so it asks a worker of the request's {@code model} over the event
 * bus. Bodies are read strictly here; the worker checks token ids against its vocabulary.
 */
public final class TokenizeRoutes {

  private final Generations generations;

  public TokenizeRoutes(Generations generations) {
    this.generations = generations;
  }

  public void mount(Router router, Handler<RoutingContext> body) {
    router.post("/v1/tokenize").handler(body).handler(ctx -> ask(ctx, TokenizeRoutes::tokenize));
    router.post("/v1/detokenize").handler(body).handler(ctx -> ask(ctx, TokenizeRoutes::detokenize));
  }

  private void ask(RoutingContext ctx, Function<JsonObject, JsonObject> parser) {
    JsonObject body;
    JsonObject request;
    try {
      body = Fields.body(ctx);
      request = parser.apply(body);
    } catch (RuntimeException e) {
      ApiError.of(e).send(ctx.response());
      return;
    }
    Future<JsonObject> answer = generations.dispatcher().tokenizer(Fields.string(body, "model"), request);
    answer.onComplete(ar -> {
      if (ar.succeeded()) {
        ctx.response().putHeader("Content-Type", "application/json").end(ar.result().encode());
      } else {
        ApiError.of(ar.cause()).send(ctx.response());
      }
    });
  }

  /** {@code {content, add_special?, with_pieces?, model?}}. */
  private static JsonObject tokenize(JsonObject b) {
    Object content = b.getValue("content");
    if (!(content instanceof String text)) {
      throw new RequestValidationException("content", content == null ? "content is required"
          : "content must be a string, got " + Fields.kind(content));
    }
    Fields.string(b, "model");
    return new JsonObject().put("op", "tokenize").put("content", text)
        .put("add_special", Fields.bool(b, "add_special", false))
        .put("with_pieces", Fields.bool(b, "with_pieces", false));
  }

  /** {@code {tokens: [int...], model?}}. */
  private static JsonObject detokenize(JsonObject b) {
    Object tokens = b.getValue("tokens");
    if (!(tokens instanceof JsonArray array)) {
      throw new RequestValidationException("tokens", tokens == null ? "tokens is required"
          : "tokens must be an array of integers, got " + Fields.kind(tokens));
    }
    JsonArray ids = new JsonArray();
    for (int i = 0; i < array.size(); i++) {
      ids.add(Fields.integer(new JsonObject().put("tokens[" + i + "]", array.getValue(i)),
          "tokens[" + i + "]", 0));
      if (array.getValue(i) == null) {
        throw new RequestValidationException("tokens[" + i + "]", "tokens[" + i + "] must be an integer, got null");
      }
    }
    Fields.string(b, "model");
    return new JsonObject().put("op", "detokenize").put("tokens", ids);
  }
}
