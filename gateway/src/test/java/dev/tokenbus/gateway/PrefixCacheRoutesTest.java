package dev.tokenbus.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tokenbus.engine.EngineConfig;
import dev.tokenbus.engine.LlamaEngine;
import dev.tokenbus.engine.TestModels;
import dev.tokenbus.testing.OpenAiStream;
import dev.tokenbus.testing.Sse;
import dev.tokenbus.testing.TestCluster;
import dev.tokenbus.worker.WorkerOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The prefix cache seen from the routes: a conversation's second turn reports (almost) all of the
 * first turn's prompt and reply as {@code usage.prompt_tokens_details.cached_tokens}, on one worker
 * and on two, where cache-aware dispatch sends each turn back to the worker holding its conversation.
 */
@Tag("engine")
@Tag("cluster")
class PrefixCacheRoutesTest {

  private static EngineConfig engine(int slots) {
    return EngineConfig.forModel(TestModels.tinyChat()).withThreads(1).withSlots(slots).withContextPerSequence(2048);
  }

  /** A user message long enough (several 256-character blocks) to tell conversations apart. */
  private static String opening(int conversation) {
    return ("conversation " + conversation + " asks about the weather in town number " + conversation + ". ")
        .repeat(8);
  }

  private static JsonObject chat(JsonArray messages) {
    return new JsonObject().put("messages", messages).put("max_tokens", 12).put("temperature", 0);
  }

  private static int cached(JsonObject usage) {
    return usage.getJsonObject("prompt_tokens_details").getInteger("cached_tokens");
  }

  /** Runs a conversation's next turn (whole response) and appends the reply and a new user message. */
  private static JsonObject turn(TestCluster cluster, JsonArray messages, String next) throws Exception {
    HttpResponse<String> r = cluster.post("/v1/chat/completions", chat(messages).encode());
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    JsonObject body = new JsonObject(r.body());
    String reply = body.getJsonArray("choices").getJsonObject(0).getJsonObject("message").getString("content");
    messages.add(new JsonObject().put("role", "assistant").put("content", reply));
    messages.add(new JsonObject().put("role", "user").put("content", next));
    return body.getJsonObject("usage");
  }

  private static JsonArray conversation(int i) {
    return new JsonArray().add(new JsonObject().put("role", "user").put("content", opening(i)));
  }

  @Test
  void everyRouteReportsCachedTokensOnOneWorker() throws Exception {
    try (TestCluster cluster = TestCluster.start(1, engine(2), GatewayOptions.defaults(),
        WorkerOptions.defaults("tiny-chat"))) {
      LlamaEngine e = cluster.engines.getFirst();
      JsonArray messages = conversation(1);
      JsonObject first = turn(cluster, messages, "and tomorrow?");
      assertThat(cached(first)).isZero();
      int previous = first.getInteger("prompt_tokens") + first.getInteger("completion_tokens");

      // The second turn, streamed, with usage in the last chunk.
      OpenAiStream s = OpenAiStream.post(cluster, "/v1/chat/completions", chat(messages).put("stream", true)
          .put("stream_options", new JsonObject().put("include_usage", true)));
      JsonObject usage = s.chunks().getLast().getJsonObject("usage");
      assertThat(cached(usage)).as("cached tokens of the second turn (first turn: %s)", first)
          .isGreaterThanOrEqualTo(previous - 3).isLessThan(usage.getInteger("prompt_tokens"));

      // The same conversation again, opted out: nothing reused.
      HttpResponse<String> off = cluster.post("/v1/chat/completions",
          chat(messages).put("cache_prompt", false).encode());
      assertThat(cached(new JsonObject(off.body()).getJsonObject("usage"))).isZero();

      // /v1/completions and the native route's done event, each repeating its own prompt.
      String prompt = opening(7);
      JsonObject completion = new JsonObject().put("prompt", prompt).put("max_tokens", 5).put("temperature", 0);
      cluster.post("/v1/completions", completion.encode());
      JsonObject again = new JsonObject(cluster.post("/v1/completions", completion.encode()).body());
      assertThat(cached(again.getJsonObject("usage"))).isEqualTo(again.getJsonObject("usage")
          .getInteger("prompt_tokens") - 1);
      JsonObject done = nativeDone(cluster, new JsonObject().put("prompt", prompt + " more").put("max_tokens", 3)
          .put("temperature", 0));
      assertThat(cached(done.getJsonObject("usage"))).isGreaterThanOrEqualTo(again.getJsonObject("usage")
          .getInteger("prompt_tokens") - 2);

      await().atMost(Duration.ofSeconds(10)).until(() -> e.stats().active() == 0);
      assertThat(e.stats().kvCellsUsed()).isZero();
      var registry = cluster.workerNodes.getFirst().metrics().registry();
      double hits = registry.get("vllm:prefix_cache_hits").functionCounter().count();
      double queries = registry.get("vllm:prefix_cache_queries").functionCounter().count();
      assertThat(hits).as("hit tokens").isEqualTo(e.stats().prefixHitTokens()).isPositive();
      assertThat(queries).as("query tokens").isEqualTo(e.stats().prefixQueryTokens()).isGreaterThan(hits);
    }
  }

  @Test
  void cacheAwareDispatchSendsEachTurnBackToItsWorker() throws Exception {
    try (TestCluster cluster = TestCluster.start(2, engine(2), GatewayOptions.defaults(),
        WorkerOptions.defaults("tiny-chat"))) {
      int conversations = 4;
      List<JsonArray> chats = new ArrayList<>();
      List<Integer> previous = new ArrayList<>();
      for (int i = 0; i < conversations; i++) {
        JsonArray messages = conversation(i);
        JsonObject u = turn(cluster, messages, "and then?");
        chats.add(messages);
        previous.add(u.getInteger("prompt_tokens") + u.getInteger("completion_tokens"));
        awaitAnnounced(cluster);
      }
      assertThat(cluster.engines).as("the first turns spread over both workers")
          .allSatisfy(e -> assertThat(e.stats().prefixQueryTokens()).isPositive());
      for (int turn = 2; turn <= 3; turn++) {
        for (int i = 0; i < conversations; i++) {
          JsonObject u = turn(cluster, chats.get(i), "and after that?");
          assertThat(cached(u)).as("turn %d of conversation %d", turn, i).isGreaterThanOrEqualTo(previous.get(i) - 3);
          previous.set(i, u.getInteger("prompt_tokens") + u.getInteger("completion_tokens"));
          awaitAnnounced(cluster);
        }
      }
    }
  }

  /** Waits until every worker's last announcement reached the gateway with no sequence active. */
  private static void awaitAnnounced(TestCluster cluster) {
    await().atMost(Duration.ofSeconds(10)).until(() -> cluster.status().getJsonArray("workers").stream()
        .allMatch(w -> ((JsonObject) w).getInteger("active") == 0));
  }

  private static JsonObject nativeDone(TestCluster cluster, JsonObject body) throws Exception {
    HttpResponse<java.io.InputStream> r = cluster.http.send(HttpRequest.newBuilder(cluster.uri("/v1/generate"))
        .POST(HttpRequest.BodyPublishers.ofString(body.encode())).build(), HttpResponse.BodyHandlers.ofInputStream());
    assertThat(r.statusCode()).isEqualTo(200);
    try (var in = new BufferedReader(new InputStreamReader(r.body(), StandardCharsets.UTF_8))) {
      List<Sse.Event> events = new Sse(in).all();
      assertThat(events.getLast().event()).isEqualTo("done");
      return events.getLast().data();
    }
  }
}
