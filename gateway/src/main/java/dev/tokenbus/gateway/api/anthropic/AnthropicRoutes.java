package dev.tokenbus.gateway.api.anthropic;

import dev.tokenbus.gateway.api.ApiKeys;
import dev.tokenbus.gateway.api.ReasoningParameters;
import dev.tokenbus.gateway.json.Fields;
import dev.tokenbus.gateway.serve.ApiError;
import dev.tokenbus.gateway.serve.Generations;
import dev.tokenbus.protocol.ChatMessage;
import dev.tokenbus.protocol.Tool;
import io.vertx.core.Handler;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

/**
 * Anthropic's Messages API on a gateway: {@code POST /v1/messages} (streaming and not) and
 * {@code POST /v1/messages/count_tokens}. Messages take the same path as every generation
 * ({@link Generations}: admission, prefix cache, grammar, failover, cancel on disconnect, metrics);
 * only the parsing ({@link MessagesRequest}) and the encoders ({@link MessagesStreamChannel},
 * {@link MessagesCollectingChannel}) are Anthropic's. Errors on these routes, the 401 of a missing
 * key and the 413 of a body too large included, take Anthropic's shape ({@link ApiError#anthropicJson}).
 * The header {@code anthropic-version} is accepted and not required: one version is served.
 */
public final class AnthropicRoutes {

  private static final String MESSAGES = "/v1/messages";
  private static final String COUNT_TOKENS = "/v1/messages/count_tokens";

  private final Generations generations;
  private final ReasoningParameters.Defaults reasoning;

  /** @param reasoning the gateway's defaults for a thinking model's reasoning */
  public AnthropicRoutes(Generations generations, ReasoningParameters.Defaults reasoning) {
    this.generations = generations;
    this.reasoning = reasoning;
  }

  /**
   * Makes every error on these routes take Anthropic's shape; to be mounted before anything that
   * may refuse a request (the API-key check, the body limit).
   */
  public static void shapeErrors(Router router) {
    Handler<RoutingContext> anthropic = ctx -> {
      ApiError.Shape.ANTHROPIC.use(ctx);
      ctx.next();
    };
    router.route(MESSAGES).handler(anthropic);
    router.route(COUNT_TOKENS).handler(anthropic);
  }

  /** Mounts the routes; {@code body} reads (and limits) request bodies. */
  public void mount(Router router, Handler<RoutingContext> body) {
    router.post(MESSAGES).handler(body).handler(this::create);
    router.post(COUNT_TOKENS).handler(body).handler(this::countTokens);
  }

  private void create(RoutingContext ctx) {
    String id = generations.newId();
    MessagesRequest request;
    try {
      request = MessagesRequest.create(Fields.body(ctx), reasoning);
    } catch (RuntimeException e) {
      generations.refuse(ctx, id, null, e);
      return;
    }
    generations.serve(ctx, ApiKeys.ownerOf(ctx), request.toRequest(id), request.model(), (stream, served) -> {
      Message message = Message.of(id, served);
      return request.stream()
          ? new MessagesStreamChannel(generations.sse(ctx, MessagesStreamChannel.PING), message, request.tools(),
              stream.promptTokens())
          : new MessagesCollectingChannel(ctx.response(), message, request.tools());
    });
  }

  /** {@code {"input_tokens": n}}: the prompt a worker of the model renders from the same body, counted there. */
  private void countTokens(RoutingContext ctx) {
    MessagesRequest request;
    try {
      request = MessagesRequest.count(Fields.body(ctx), reasoning);
    } catch (RuntimeException e) {
      ApiError.of(e).send(ctx);
      return;
    }
    JsonArray messages = new JsonArray();
    for (ChatMessage m : request.messages()) {
      messages.add(m.toJson());
    }
    JsonArray tools = new JsonArray();
    if (request.tools() != null) {
      for (Tool t : request.tools().tools()) {
        tools.add(t.toJson());
      }
    }
    JsonObject ask = new JsonObject().put("op", "count_chat").put("messages", messages).put("tools", tools)
        .put("template_args", request.reasoning().templateArgs());
    generations.dispatcher().tokenizer(request.model(), ask).onComplete(ar -> {
      if (ar.succeeded()) {
        ctx.response().putHeader("Content-Type", "application/json")
            .end(new JsonObject().put("input_tokens", ar.result().getInteger("count")).encode());
      } else {
        ApiError.of(ar.cause()).send(ctx);
      }
    });
  }
}
