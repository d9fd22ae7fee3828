package dev.tokenbus.lab;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * One distinct streaming request of the randomized fault test: a route and a body that fixes its
 * text (temperature 0, or temperature 0.8 with a seed), so that every run of it on a healthy
 * cluster gives the same tokens.
 */
record NemesisRequest(String name, Route route, JsonObject body) {

  /** The routes that stream, each read by its own client. */
  enum Route {
    /** Native SSE, {@code POST /v1/generate}. */
    GENERATE,
    /** OpenAI's {@code POST /v1/chat/completions} with {@code stream: true}. */
    CHAT,
    /** OpenAI's {@code POST /v1/completions} with {@code stream: true}. */
    COMPLETIONS,
    /** {@code GET /v1/ws}, one generation on its own socket. */
    WEBSOCKET
  }

  private static final List<String> PROMPTS = List.of("Once upon a time", "The cluster heals", "In a distant land",
      "Tokens travel over the bus");

  /**
   * {@code perKind} requests of each route and each kind (greedy, seeded): prompts, lengths (20 to
   * 100 tokens), seeds and {@code stream_delay_ms} (0, 10 or 25) drawn from {@code random}; each
   * with {@code cache_prompt} as given.
   */
  static List<NemesisRequest> draw(Random random, int perKind, boolean cachePrompt) {
    List<NemesisRequest> all = new ArrayList<>();
    for (Route route : Route.values()) {
      for (boolean seeded : new boolean[] {false, true}) {
        for (int i = 0; i < perKind; i++) {
          String prompt = PROMPTS.get(random.nextInt(PROMPTS.size()));
          JsonObject body = new JsonObject().put("max_tokens", 20 + random.nextInt(81))
              .put("stream_delay_ms", new int[] {0, 10, 25}[random.nextInt(3)]).put("cache_prompt", cachePrompt);
          if (seeded) {
            body.put("temperature", 0.8).put("seed", random.nextInt(1_000_000));
          } else {
            body.put("temperature", 0);
          }
          if (route == Route.CHAT) {
            body.put("messages", new JsonArray().add(new JsonObject().put("role", "user").put("content", prompt)));
          } else {
            body.put("prompt", prompt);
          }
          if (route == Route.CHAT || route == Route.COMPLETIONS) {
            body.put("stream", true);
          }
          String name = route.name().toLowerCase() + (seeded ? "-seeded-" : "-greedy-") + i;
          all.add(new NemesisRequest(name, route, body));
        }
      }
    }
    return all;
  }

  /** Runs this request on {@code host}'s gateway and reads its stream to its end. */
  LabStream run(String host, int readTimeoutMs) {
    return switch (route) {
      case GENERATE -> LabStream.run(host, Lab.HTTP_PORT, body, readTimeoutMs);
      case CHAT -> LabStream.openAi(host, Lab.HTTP_PORT, "/v1/chat/completions", body, readTimeoutMs);
      case COMPLETIONS -> LabStream.openAi(host, Lab.HTTP_PORT, "/v1/completions", body, readTimeoutMs);
      case WEBSOCKET -> LabWebSocket.run(host, Lab.HTTP_PORT, body, readTimeoutMs);
    };
  }
}
