package dev.tokenbus.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tokenbus.testing.TestCluster;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * OpenAI's Responses API on two gateways of one cluster and a worker on the generated tiny model:
 * whole and streamed responses, stored responses read, continued ({@code previous_response_id})
 * and deleted through the other gateway, each key seeing only its own, function calls and
 * structured output, and the requests it refuses.
 */
@Tag("engine")
@Tag("cluster")
class ResponsesRoutesTest {

  private static final String KEY = "responses-key-a", OTHER = "responses-key-b";
  private static TestCluster cluster;

  @BeforeAll
  static void start() throws Exception {
    cluster = TestCluster.gateways(2, 0, 2, 1024, GatewayOptions.defaults().withApiKeys(Set.of(KEY, OTHER)));
  }

  @AfterAll
  static void stop() {
    if (cluster != null) {
      cluster.close();
    }
  }

  private static HttpResponse<String> send(int gateway, String key, String method, String path, JsonObject body)
      throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(cluster.url(gateway) + path))
        .timeout(Duration.ofSeconds(60)).header("Authorization", "Bearer " + key)
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
            : HttpRequest.BodyPublishers.ofString(body.encode()));
    if (body != null) {
      b.header("Content-Type", "application/json");
    }
    return cluster.http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static JsonObject created(int gateway, JsonObject body) throws Exception {
    HttpResponse<String> r = send(gateway, KEY, "POST", "/v1/responses", body);
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    return new JsonObject(r.body());
  }

  private static String text(JsonObject response) {
    StringBuilder text = new StringBuilder();
    for (Object o : response.getJsonArray("output")) {
      JsonObject item = (JsonObject) o;
      if ("message".equals(item.getString("type"))) {
        for (Object p : item.getJsonArray("content")) {
          text.append(((JsonObject) p).getString("text"));
        }
      }
    }
    return text.toString();
  }

  private static JsonObject greeting() {
    return new JsonObject().put("input", "Hello there").put("max_output_tokens", 6).put("temperature", 0);
  }

  @Test
  void aStoredResponseIsReadContinuedAndDeletedThroughTheOtherGateway() throws Exception {
    JsonObject first = created(0, greeting().put("instructions", "Be brief."));
    assertThat(first.getString("id")).startsWith("resp_");
    assertThat(first.getString("object")).isEqualTo("response");
    assertThat(first.getString("status")).isIn("completed", "incomplete");
    assertThat(first.getString("instructions")).isEqualTo("Be brief.");
    JsonObject usage = first.getJsonObject("usage");
    assertThat(usage.getInteger("output_tokens")).isBetween(1, 6);
    assertThat(usage.getInteger("total_tokens"))
        .isEqualTo(usage.getInteger("input_tokens") + usage.getInteger("output_tokens"));
    if ("incomplete".equals(first.getString("status"))) {
      assertThat(first.getJsonObject("incomplete_details").getString("reason")).isEqualTo("max_output_tokens");
    }

    // The other gateway reads it as it was answered.
    HttpResponse<String> read = send(1, KEY, "GET", "/v1/responses/" + first.getString("id"), null);
    assertThat(read.statusCode()).as(read.body()).isEqualTo(200);
    assertThat(new JsonObject(read.body())).isEqualTo(first);
    HttpResponse<String> inputs = send(1, KEY, "GET", "/v1/responses/" + first.getString("id") + "/input_items", null);
    JsonArray items = new JsonObject(inputs.body()).getJsonArray("data");
    assertThat(items).hasSize(1);
    assertThat(items.getJsonObject(0).getJsonArray("content").getJsonObject(0).getString("text"))
        .isEqualTo("Hello there");

    // Continued through the other gateway: the prompt holds the first turn, its answer and the new input.
    JsonObject second = created(1, new JsonObject().put("input", "And then?").put("max_output_tokens", 4)
        .put("temperature", 0).put("previous_response_id", first.getString("id")));
    assertThat(second.getString("previous_response_id")).isEqualTo(first.getString("id"));
    JsonObject alone = created(1, new JsonObject().put("input", "And then?").put("max_output_tokens", 4)
        .put("temperature", 0).put("store", false));
    assertThat(second.getJsonObject("usage").getInteger("input_tokens"))
        .isGreaterThan(alone.getJsonObject("usage").getInteger("input_tokens")
            + first.getJsonObject("usage").getInteger("output_tokens"));
    // store: false keeps nothing.
    assertThat(send(0, KEY, "GET", "/v1/responses/" + alone.getString("id"), null).statusCode()).isEqualTo(404);

    // Deleted through one gateway, gone on both; and it can no longer be continued.
    HttpResponse<String> deleted = send(1, KEY, "DELETE", "/v1/responses/" + first.getString("id"), null);
    assertThat(new JsonObject(deleted.body()).getBoolean("deleted")).as(deleted.body()).isTrue();
    assertThat(send(0, KEY, "GET", "/v1/responses/" + first.getString("id"), null).statusCode()).isEqualTo(404);
    HttpResponse<String> orphan = send(0, KEY, "POST", "/v1/responses", new JsonObject().put("input", "x")
        .put("max_output_tokens", 2).put("previous_response_id", first.getString("id")));
    assertThat(orphan.statusCode()).isEqualTo(400);
    assertThat(new JsonObject(orphan.body()).getJsonObject("error").getString("param"))
        .isEqualTo("previous_response_id");
  }

  @Test
  void anotherKeyFindsNothingOfAStoredResponse() throws Exception {
    JsonObject mine = created(0, greeting());
    String id = mine.getString("id");
    for (int gw = 0; gw < 2; gw++) {
      HttpResponse<String> get = send(gw, OTHER, "GET", "/v1/responses/" + id, null);
      HttpResponse<String> never = send(gw, OTHER, "GET", "/v1/responses/resp_never", null);
      assertThat(get.statusCode()).isEqualTo(404);
      assertThat(get.body()).isEqualTo(never.body().replace("resp_never", id));
      assertThat(send(gw, OTHER, "GET", "/v1/responses/" + id + "/input_items", null).statusCode()).isEqualTo(404);
      assertThat(send(gw, OTHER, "DELETE", "/v1/responses/" + id, null).statusCode()).isEqualTo(404);
      HttpResponse<String> continued = send(gw, OTHER, "POST", "/v1/responses", greeting()
          .put("previous_response_id", id));
      assertThat(continued.statusCode()).isEqualTo(400);
    }
    // Still there for its own key.
    assertThat(send(1, KEY, "GET", "/v1/responses/" + id, null).statusCode()).isEqualTo(200);
  }

  @Test
  void aStreamedResponseSendsTheEventsInOrderAndEndsWithTheStoredResponse() throws Exception {
    HttpResponse<String> r = send(0, KEY, "POST", "/v1/responses", greeting().put("stream", true));
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.headers().firstValue("Content-Type").orElse("")).startsWith("text/event-stream");
    List<JsonObject> events = events(r.body());
    List<String> types = events.stream().map(e -> e.getString("type")).toList();
    assertThat(types.subList(0, 4)).containsExactly("response.created", "response.in_progress",
        "response.output_item.added", "response.content_part.added");
    assertThat(types.subList(types.size() - 4, types.size() - 1)).containsExactly("response.output_text.done",
        "response.content_part.done", "response.output_item.done");
    assertThat(types.subList(4, types.size() - 4)).containsOnly("response.output_text.delta").isNotEmpty();
    for (int i = 0; i < events.size(); i++) {
      assertThat(events.get(i).getInteger("sequence_number")).isEqualTo(i);
    }
    StringBuilder deltas = new StringBuilder();
    events.stream().filter(e -> "response.output_text.delta".equals(e.getString("type")))
        .forEach(e -> deltas.append(e.getString("delta")));
    JsonObject last = events.get(events.size() - 1);
    assertThat(last.getString("type")).isIn("response.completed", "response.incomplete");
    JsonObject response = last.getJsonObject("response");
    assertThat(text(response)).isEqualTo(deltas.toString()).isNotEmpty();
    assertThat(events.get(0).getJsonObject("response").getString("status")).isEqualTo("in_progress");
    HttpResponse<String> stored = send(1, KEY, "GET", "/v1/responses/" + response.getString("id"), null);
    assertThat(new JsonObject(stored.body())).isEqualTo(response);
  }

  @Test
  void aRequiredFunctionCallIsAFunctionCallItemAndItsOutputContinuesTheConversation() throws Exception {
    JsonObject parameters = new JsonObject("""
        {"type":"object","properties":{"city":{"type":"string","maxLength":12}},"required":["city"],
         "additionalProperties":false}""");
    JsonObject body = new JsonObject().put("input", "Weather in Paris?").put("max_output_tokens", 200)
        .put("temperature", 0).put("tool_choice", "required").put("tools", new JsonArray().add(new JsonObject()
            .put("type", "function").put("name", "get_weather").put("parameters", parameters)));
    JsonObject response = created(0, body);
    JsonArray output = response.getJsonArray("output");
    JsonObject call = output.stream().map(o -> (JsonObject) o).filter(i -> "function_call".equals(i.getString("type")))
        .findFirst().orElseThrow(() -> new AssertionError(response.encodePrettily()));
    assertThat(call.getString("name")).isEqualTo("get_weather");
    assertThat(call.getString("status")).isEqualTo("completed");
    assertThat(new JsonObject(call.getString("arguments")).getString("city")).isNotNull();

    // Streamed: the same kind of item, its arguments as deltas that add up to the final ones.
    HttpResponse<String> streamed = send(0, KEY, "POST", "/v1/responses", body.copy().put("stream", true));
    StringBuilder args = new StringBuilder();
    String done = null;
    for (String line : streamed.body().split("\n")) {
      if (line.startsWith("data: ")) {
        JsonObject e = new JsonObject(line.substring(6));
        if ("response.function_call_arguments.delta".equals(e.getString("type"))) {
          args.append(e.getString("delta"));
        } else if ("response.function_call_arguments.done".equals(e.getString("type")) && done == null) {
          done = e.getString("arguments");
        }
      }
    }
    assertThat(done).as(streamed.body()).isNotNull().isEqualTo(args.toString().substring(0, done.length()));

    // The tool's output, through the other gateway, continues the stored conversation.
    JsonObject next = created(1, new JsonObject().put("previous_response_id", response.getString("id"))
        .put("max_output_tokens", 4).put("temperature", 0).put("input", new JsonArray().add(new JsonObject()
            .put("type", "function_call_output").put("call_id", call.getString("call_id")).put("output", "sunny"))));
    assertThat(next.getString("status")).isIn("completed", "incomplete");
  }

  @Test
  void aJsonSchemaFormatMakesTheTextMatchIt() throws Exception {
    JsonObject schema = new JsonObject("""
        {"type":"object","properties":{"ok":{"type":"boolean"}},"required":["ok"],"additionalProperties":false}""");
    JsonObject response = created(0, new JsonObject().put("input", "Answer").put("max_output_tokens", 60)
        .put("temperature", 0).put("text", new JsonObject().put("format", new JsonObject().put("type", "json_schema")
            .put("name", "answer").put("schema", schema).put("strict", true))));
    assertThat(new JsonObject(text(response)).getValue("ok")).isInstanceOf(Boolean.class);
    assertThat(response.getJsonObject("text").getJsonObject("format").getString("type")).isEqualTo("json_schema");
  }

  @Test
  void aBackgroundResponseIsPolledThroughTheOtherGateway() throws Exception {
    JsonObject queued = created(0, greeting().put("background", true));
    assertThat(queued.getString("status")).isEqualTo("queued");
    assertThat(queued.getBoolean("background")).isTrue();
    String id = queued.getString("id");
    JsonObject[] last = new JsonObject[1];
    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
      HttpResponse<String> r = send(1, KEY, "GET", "/v1/responses/" + id, null);
      assertThat(r.statusCode()).isEqualTo(200);
      last[0] = new JsonObject(r.body());
      assertThat(last[0].getString("status")).isIn("completed", "incomplete");
    });
    assertThat(text(last[0])).isNotEmpty();
    assertThat(last[0].getJsonObject("usage").getInteger("output_tokens")).isBetween(1, 6);
    assertThat(last[0].getString("model")).isEqualTo("tiny");
    // An ended response is answered as it is by a cancel.
    HttpResponse<String> late = send(1, KEY, "POST", "/v1/responses/" + id + "/cancel", null);
    assertThat(new JsonObject(late.body())).isEqualTo(last[0]);
  }

  @Test
  void aBackgroundResponseIsCancelledThroughTheOtherGatewayAndFreesItsSlot() throws Exception {
    JsonObject queued = created(0, new JsonObject().put("input", "Tell a long story").put("background", true)
        .put("max_output_tokens", 900).put("stream_delay_ms", 50));
    String id = queued.getString("id");
    await().atMost(Duration.ofSeconds(30)).until(() -> new JsonObject(send(1, KEY, "GET", "/v1/responses/" + id,
        null).body()).getString("status").equals("in_progress"));
    // Another key cannot cancel it.
    assertThat(send(1, OTHER, "POST", "/v1/responses/" + id + "/cancel", null).statusCode()).isEqualTo(404);
    HttpResponse<String> cancelled = send(1, KEY, "POST", "/v1/responses/" + id + "/cancel", null);
    assertThat(cancelled.statusCode()).as(cancelled.body()).isEqualTo(200);
    JsonObject r = new JsonObject(cancelled.body());
    assertThat(r.getString("status")).isEqualTo("cancelled");
    assertThat(new JsonObject(send(0, KEY, "GET", "/v1/responses/" + id, null).body()).getString("status"))
        .isEqualTo("cancelled");
    cluster.awaitIdle(Duration.ofSeconds(10));
    // A response that is not a background one cannot be cancelled.
    JsonObject plain = created(0, greeting());
    HttpResponse<String> refused = send(1, KEY, "POST", "/v1/responses/" + plain.getString("id") + "/cancel", null);
    assertThat(refused.statusCode()).isEqualTo(400);
  }

  /** The events of an SSE body, each checked to carry its {@code event:} line's type. */
  private static List<JsonObject> events(String body) {
    List<JsonObject> events = new ArrayList<>();
    String pendingType = null;
    for (String line : body.split("\n")) {
      if (line.startsWith("event: ")) {
        pendingType = line.substring(7);
      } else if (line.startsWith("data: ")) {
        JsonObject e = new JsonObject(line.substring(6));
        assertThat(e.getString("type")).isEqualTo(pendingType);
        events.add(e);
      }
    }
    return events;
  }

  @Test
  void aBackgroundStreamLeftMidwayIsStreamedOnThroughTheOtherGatewayEveryEventOnce() throws Exception {
    HttpRequest create = HttpRequest.newBuilder(URI.create(cluster.url(0) + "/v1/responses"))
        .timeout(Duration.ofSeconds(60)).header("Authorization", "Bearer " + KEY)
        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(new JsonObject()
            .put("input", "Tell a story").put("max_output_tokens", 40).put("temperature", 0)
            .put("background", true).put("stream", true).put("stream_delay_ms", 30).encode())).build();
    HttpResponse<java.io.InputStream> r = cluster.http.send(create, HttpResponse.BodyHandlers.ofInputStream());
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.headers().firstValue("Content-Type").orElse("")).startsWith("text/event-stream");
    // The client reads until its third text delta, then goes away.
    StringBuilder read = new StringBuilder();
    try (var lines = new java.io.BufferedReader(new java.io.InputStreamReader(r.body(),
        java.nio.charset.StandardCharsets.UTF_8))) {
      int deltas = 0;
      for (String line = lines.readLine(); line != null && deltas < 3; line = lines.readLine()) {
        read.append(line).append('\n');
        if (line.startsWith("data: ") && line.contains("\"response.output_text.delta\"")) {
          deltas++;
        }
      }
    }
    List<JsonObject> before = events(read.toString());
    assertThat(before).extracting(e -> e.getString("type")).startsWith("response.created", "response.queued",
        "response.in_progress");
    assertThat(before.get(0).getJsonObject("response").getString("status")).isEqualTo("queued");
    String id = before.get(0).getJsonObject("response").getString("id");
    int last = before.get(before.size() - 1).getInteger("sequence_number");

    // The rest, through the other gateway, from the last event the client had.
    HttpResponse<String> rest = send(1, KEY, "GET", "/v1/responses/" + id + "?stream=true&starting_after=" + last,
        null);
    assertThat(rest.statusCode()).as(rest.body()).isEqualTo(200);
    List<JsonObject> after = events(rest.body());
    List<JsonObject> joined = new ArrayList<>(before);
    joined.addAll(after);
    for (int i = 0; i < joined.size(); i++) {
      assertThat(joined.get(i).getInteger("sequence_number")).isEqualTo(i);
    }
    JsonObject end = joined.get(joined.size() - 1);
    assertThat(end.getString("type")).isIn("response.completed", "response.incomplete");
    // The client going away did not stop the response, and the whole stream, read again from its
    // start through either gateway, is exactly what the two reads saw.
    assertThat(events(send(1, KEY, "GET", "/v1/responses/" + id + "?stream=true", null).body())).isEqualTo(joined);
    assertThat(events(send(0, KEY, "GET", "/v1/responses/" + id + "?stream=true&starting_after=2", null).body()))
        .isEqualTo(joined.subList(3, joined.size()));
    StringBuilder deltas = new StringBuilder();
    joined.stream().filter(e -> "response.output_text.delta".equals(e.getString("type")))
        .forEach(e -> deltas.append(e.getString("delta")));
    JsonObject stored = new JsonObject(send(1, KEY, "GET", "/v1/responses/" + id, null).body());
    assertThat(stored).isEqualTo(end.getJsonObject("response"));
    assertThat(text(stored)).isEqualTo(deltas.toString()).isNotEmpty();

    // Another key streams nothing of it; a response made without background is not streamed again.
    assertThat(send(1, OTHER, "GET", "/v1/responses/" + id + "?stream=true", null).statusCode()).isEqualTo(404);
    JsonObject plain = created(0, greeting());
    HttpResponse<String> notBackground = send(1, KEY, "GET", "/v1/responses/" + plain.getString("id")
        + "?stream=true", null);
    assertThat(notBackground.statusCode()).isEqualTo(400);
    assertThat(new JsonObject(notBackground.body()).getJsonObject("error").getString("param")).isEqualTo("stream");
    for (String query : List.of("?stream=yes", "?starting_after=3", "?stream=true&starting_after=-1",
        "?stream=true&starting_after=x", "?stream=true&starting_after=99999999999")) {
      HttpResponse<String> bad = send(1, KEY, "GET", "/v1/responses/" + id + query, null);
      assertThat(bad.statusCode()).as(query).isEqualTo(400);
      assertThat(new JsonObject(bad.body()).getJsonObject("error").getString("param")).as(query)
          .isIn("stream", "starting_after");
    }
    cluster.awaitIdle(Duration.ofSeconds(10));
  }

  @Test
  void refusesWhatItCannotDoNamingTheField() throws Exception {
    record Bad(String param, JsonObject body) {}
    List<Bad> bad = List.of(
        new Bad("input", new JsonObject()),
        new Bad("input", new JsonObject().put("input", 7)),
        new Bad("input", new JsonObject().put("input", "")),
        new Bad("input[0].type", new JsonObject().put("input", new JsonArray().add(new JsonObject()
            .put("type", "input_image").put("image_url", "http://x")))),
        new Bad("input[0].content[0]", new JsonObject().put("input", new JsonArray().add(new JsonObject()
            .put("role", "user").put("content", new JsonArray().add(new JsonObject().put("type", "input_file")))))),
        new Bad("input[0].role", new JsonObject().put("input", new JsonArray().add(new JsonObject()
            .put("role", "tool").put("content", "x")))),
        new Bad("tools[0].type", greeting().put("tools", new JsonArray().add(new JsonObject()
            .put("type", "web_search")))),
        new Bad("truncation", greeting().put("truncation", "auto")),
        new Bad("background", greeting().put("background", true).put("store", false)),
        new Bad("max_output_tokens", greeting().put("max_output_tokens", 0)),
        new Bad("metadata", greeting().put("metadata", new JsonObject().put("k", 1))),
        new Bad("text.format.type", greeting().put("text", new JsonObject().put("format",
            new JsonObject().put("type", "yaml")))),
        new Bad("tool_choice", greeting().put("tool_choice", new JsonObject().put("type", "web_search"))),
        new Bad("previous_response_id", greeting().put("previous_response_id", "resp_nothing")));
    for (Bad b : bad) {
      HttpResponse<String> r = send(0, KEY, "POST", "/v1/responses", b.body());
      assertThat(r.statusCode()).as("%s -> %s", b.body(), r.body()).isEqualTo(400);
      JsonObject error = new JsonObject(r.body()).getJsonObject("error");
      assertThat(error.getString("param")).as(r.body()).isEqualTo(b.param());
      assertThat(error.getString("type")).isEqualTo("invalid_request_error");
    }
    cluster.awaitIdle(Duration.ofSeconds(10));
  }
}
