package dev.tokenbus.gateway.api.openai;

import dev.tokenbus.gateway.api.ApiKeys;
import dev.tokenbus.gateway.api.ReasoningParameters;
import dev.tokenbus.gateway.dispatch.ModelNotFoundException;
import dev.tokenbus.gateway.json.Fields;
import dev.tokenbus.gateway.serve.ApiError;
import dev.tokenbus.gateway.serve.Generations;
import io.vertx.core.Handler;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.function.Function;

/**
 * OpenAI's API on a gateway: {@code POST /v1/chat/completions}, {@code POST /v1/completions}
 * (streaming and not) and {@code GET /v1/models}. Requests take the same path as
 * {@code /v1/generate} ({@link Generations}); only the parsing and the channel are OpenAI's.
 */
public final class OpenAiRoutes {

  private final Generations generations;
  private final ReasoningParameters.Defaults reasoning;
  private final long createdSeconds = System.currentTimeMillis() / 1000;

  /** @param reasoning where answers put a thinking model's reasoning, and the default budget */
  public OpenAiRoutes(Generations generations, ReasoningParameters.Defaults reasoning) {
    this.generations = generations;
    this.reasoning = reasoning;
  }

  /** Mounts the routes; {@code body} reads (and limits) request bodies. */
  public void mount(Router router, Handler<RoutingContext> body) {
    router.post("/v1/chat/completions").handler(body)
        .handler(ctx -> generate(ctx, b -> OpenAiRequest.chat(b, reasoning)));
    router.post("/v1/completions").handler(body)
        .handler(ctx -> generate(ctx, b -> OpenAiRequest.completion(b, reasoning)));
    router.get("/v1/models").handler(this::models);
    router.get("/v1/models/:model").handler(this::model);
  }

  private void generate(RoutingContext ctx, Function<JsonObject, OpenAiRequest> parser) {
    String id = generations.newId();
    OpenAiRequest request;
    try {
      request = parser.apply(Fields.body(ctx));
    } catch (RuntimeException e) {
      generations.refuse(ctx, id, null, e);
      return;
    }
    generations.serve(ctx, ApiKeys.ownerOf(ctx), request.toRequest(id), request.model(), (stream, served) -> {
      String field = request.reasoning().format().field();
      AnswerShape shape = !request.chat() ? new TextFormat(request.logprobs(), field)
          : request.tools() != null ? new ToolCallFormat(new ChatFormat(request.logprobs(), field), request.tools())
          : new ChatFormat(request.logprobs(), field);
      Envelope envelope = Envelope.of(id, served, shape);
      return request.stream()
          ? new OpenAiStreamChannel(generations.sse(ctx), envelope, request.includeUsage())
          : new OpenAiCollectingChannel(ctx.response(), envelope);
    });
  }

  private void models(RoutingContext ctx) {
    JsonArray data = new JsonArray();
    generations.dispatcher().registry().models().forEach(m -> data.add(modelJson(m)));
    json(ctx, new JsonObject().put("object", "list").put("data", data));
  }

  private void model(RoutingContext ctx) {
    String name = ctx.pathParam("model");
    if (generations.dispatcher().registry().models().contains(name)) {
      json(ctx, modelJson(name));
    } else {
      ApiError.of(new ModelNotFoundException(name)).send(ctx.response());
    }
  }

  private JsonObject modelJson(String name) {
    JsonObject model = new JsonObject().put("id", name).put("object", "model").put("created", createdSeconds)
        .put("owned_by", "tokenbus");
    if (generations.dispatcher().registry().simulated(name)) {
      model.put("simulated", true); // a scale-test engine: its text is made up
    }
    return model;
  }

  private static void json(RoutingContext ctx, JsonObject body) {
    ctx.response().putHeader("Content-Type", "application/json").end(body.encode());
  }
}
