package dev.tokenbus.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.tokenbus.testing.TestCluster;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Clients we did not write against the Responses API of two gateways in one cluster
 * (src/test/js/responses.mjs): the official {@code openai} npm package creates a response on one
 * gateway, streams its continuation ({@code previous_response_id}) on the other, retrieves and
 * deletes it across them, and makes a function call round trip; the Vercel AI SDK's default OpenAI
 * provider ({@code provider(model)} calls {@code /v1/responses}) generates text and an object.
 * Skipped only when node or npm is not installed.
 */
@Tag("engine")
@Tag("cluster")
class ResponsesNodeClientTest {

  private static final String KEY = "sk-responses-client";

  @Test
  void theOpenAiPackageAndTheAiSdkUseTheResponsesApiThroughTwoGateways() throws Exception {
    assumeTrue(OpenAiNodeClientTest.onPath("node") && OpenAiNodeClientTest.onPath("npm"),
        "node and npm are not installed; skipping the Responses API npm client check");
    Path dir = OpenAiNodeClientTest.prepare();
    try (TestCluster cluster = TestCluster.gateways(2, 0, 2, 1024,
        GatewayOptions.defaults().withApiKeys(Set.of(KEY)))) {
      String out = OpenAiNodeClientTest.run(dir, 180, "node", "responses.mjs", cluster.url(0) + "/v1",
          cluster.url(1) + "/v1", KEY, "tiny");
      JsonObject r = new JsonObject(out.lines().filter(l -> l.startsWith("{")).reduce((a, b) -> b).orElseThrow());
      System.out.println("Responses API clients saw: " + r.encode());

      JsonObject conversation = r.getJsonObject("conversation");
      JsonObject first = conversation.getJsonObject("first");
      assertThat(first.getString("id")).startsWith("resp_");
      assertThat(first.getString("text")).isNotEmpty();
      JsonObject second = conversation.getJsonObject("second");
      assertThat(second.getString("previous")).isEqualTo(first.getString("id"));
      assertThat(second.getString("text")).isNotEmpty().isEqualTo(second.getString("deltas"));
      // The continuation's prompt held the first turn and its answer.
      assertThat(second.getJsonObject("usage").getInteger("input_tokens"))
          .isGreaterThan(conversation.getJsonObject("alone").getJsonObject("usage").getInteger("input_tokens")
              + first.getJsonObject("usage").getInteger("output_tokens"));
      assertThat(conversation.getString("retrievedText")).isEqualTo(first.getString("text"));
      assertThat(conversation.getInteger("afterDelete")).isEqualTo(404);

      JsonObject call = r.getJsonObject("functionCall");
      assertThat(call.getString("name")).isEqualTo("get_weather");
      assertThat(call.getJsonObject("arguments").getString("city")).isNotNull();
      assertThat(call.getString("answered")).isIn("completed", "incomplete");

      // A background stream left after a few events goes on through the other gateway: every event
      // once, in order, and the text the deltas made is the stored response's.
      JsonObject resumed = r.getJsonObject("resumedStream");
      List<Integer> sequence = resumed.getJsonArray("sequence").stream().map(n -> (Integer) n).toList();
      assertThat(sequence).isEqualTo(IntStream.range(0, sequence.size()).boxed().toList());
      assertThat(resumed.getInteger("resumedAfter")).isBetween(4, sequence.size() - 2);
      assertThat(resumed.getJsonArray("types").getList()).startsWith("response.created", "response.queued",
          "response.in_progress");
      assertThat(resumed.getString("status")).isIn("completed", "incomplete");
      assertThat(resumed.getString("deltas")).isNotEmpty().isEqualTo(resumed.getString("text"))
          .isEqualTo(resumed.getString("stored"));

      JsonObject sdk = r.getJsonObject("aiSdk");
      assertThat(sdk.getString("text")).isNotEmpty();
      assertThat(sdk.getJsonObject("usage").getInteger("outputTokens")).isBetween(1, 8);
      JsonObject object = sdk.getJsonObject("object");
      assertThat(object.getString("city")).isNotNull();
      assertThat(object.getValue("sunny")).isInstanceOf(Boolean.class);
    }
  }
}
