package dev.tokenbus.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import dev.langchain4j.data.message.SystemMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import dev.langchain4j.model.openai.OpenAiStreamingChatModel;
import dev.langchain4j.model.output.FinishReason;
import dev.tokenbus.engine.EngineConfig;
import dev.tokenbus.engine.TestModels;
import dev.tokenbus.testing.OpenAiStream;
import dev.tokenbus.testing.TestCluster;
import dev.tokenbus.worker.WorkerOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** LangChain4j's OpenAI streaming chat model, unchanged, against a running gateway and worker. */
@Tag("engine")
@Tag("cluster")
class LangChain4jClientTest {

  @Test
  void langChain4jStreamsAChat() throws Exception {
    try (TestCluster cluster = TestCluster.start(1, EngineConfig.forModel(TestModels.tinyChat()).withThreads(1)
        .withSlots(2).withContextPerSequence(512), GatewayOptions.defaults(), WorkerOptions.defaults("tiny-chat"))) {
      OpenAiStreamingChatModel model = OpenAiStreamingChatModel.builder().baseUrl(cluster.uri("/v1").toString())
          .apiKey("not-needed").modelName("tiny-chat").temperature(0.0).maxTokens(10)
          .timeout(Duration.ofSeconds(30)).build();
      List<String> partials = new CopyOnWriteArrayList<>();
      CompletableFuture<ChatResponse> done = new CompletableFuture<>();
      model.chat(List.of(SystemMessage.from("Be brief."), UserMessage.from("Hello")),
          new StreamingChatResponseHandler() {
            @Override
            public void onPartialResponse(String text) {
              partials.add(text);
            }

            @Override
            public void onCompleteResponse(ChatResponse response) {
              done.complete(response);
            }

            @Override
            public void onError(Throwable error) {
              done.completeExceptionally(error);
            }
          });
      ChatResponse response = done.get(60, TimeUnit.SECONDS);
      System.out.println("langchain4j: " + partials.size() + " partial responses, " + response);

      assertThat(partials).isNotEmpty();
      assertThat(response.aiMessage().text()).isEqualTo(String.join("", partials));
      assertThat(response.finishReason()).isEqualTo(FinishReason.LENGTH);
      assertThat(response.id()).startsWith("chatcmpl-");
      assertThat(response.modelName()).isEqualTo("tiny-chat");
      assertThat(response.tokenUsage().outputTokenCount()).isEqualTo(10);

      // What the same chat gives through the plain HTTP API, without a client library.
      JsonObject whole = new JsonObject(cluster.post("/v1/chat/completions", new JsonObject().put("max_tokens", 10)
          .put("temperature", 0).put("messages", new JsonArray()
              .add(new JsonObject().put("role", "system").put("content", "Be brief."))
              .add(new JsonObject().put("role", "user").put("content", "Hello"))).encode()).body());
      assertThat(response.aiMessage().text()).isEqualTo(OpenAiStream.choice(whole).getJsonObject("message")
          .getString("content"));
    }
  }
}
