package dev.tokenbus.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import dev.langchain4j.agent.tool.ReturnBehavior;
import dev.langchain4j.agent.tool.Tool;
import dev.langchain4j.model.chat.Capability;
import dev.langchain4j.model.chat.request.ToolChoice;
import dev.langchain4j.model.openai.OpenAiChatModel;
import dev.langchain4j.model.openai.OpenAiChatRequestParameters;
import dev.langchain4j.service.AiServices;
import dev.langchain4j.service.Result;
import dev.langchain4j.service.tool.ToolExecution;
import dev.tokenbus.engine.EngineConfig;
import dev.tokenbus.engine.TestModels;
import dev.tokenbus.testing.TestCluster;
import dev.tokenbus.worker.WorkerOptions;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * LangChain4j's {@code AiServices}, unchanged, against a node on stories260K: a method answering
 * with a POJO (LangChain4j sends its JSON Schema as {@code response_format}) and a {@code @Tool}
 * method the model must call ({@code tool_choice: required}). The grammar guarantees the shapes.
 */
@Tag("engine")
@Tag("cluster")
class LangChain4jAiServicesTest {

  enum Species { CAT, DOG, BIRD }

  record Pet(Species species, int legs, boolean friendly) {}

  interface PetExtractor {
    Pet describe(String text);
  }

  interface Calculator {
    Result<String> ask(String question);
  }

  static final class Tools {
    final List<long[]> calls = new CopyOnWriteArrayList<>();

    // long, not int: the parameters' schema is an unbounded integer, which the grammar writes with up to 16 digits.
    @Tool(value = "Adds two numbers", returnBehavior = ReturnBehavior.IMMEDIATE)
    public long add(long a, long b) {
      calls.add(new long[] {a, b});
      return a + b;
    }
  }

  @Test
  void aiServicesGetAPojoAndCallATool() throws Exception {
    try (TestCluster cluster = TestCluster.start(1, EngineConfig.forModel(TestModels.stories260k()).withThreads(1)
        .withSlots(2).withContextPerSequence(2048), GatewayOptions.defaults(), WorkerOptions.defaults("stories"))) {
      String base = cluster.uri("/v1").toString();
      OpenAiChatModel structured = OpenAiChatModel.builder().baseUrl(base).apiKey("not-needed").modelName("stories")
          .temperature(0.8).seed(4).maxTokens(300).timeout(Duration.ofSeconds(60))
          .supportedCapabilities(Capability.RESPONSE_FORMAT_JSON_SCHEMA).strictJsonSchema(true).build();
      PetExtractor extractor = AiServices.builder(PetExtractor.class).chatModel(structured).build();
      for (String text : List.of("The cat sat on the mat.", "A big dog ran in the park.")) {
        Pet pet = extractor.describe(text);
        assertThat(pet).as(text).isNotNull();
        assertThat(pet.species()).isNotNull();
      }

      OpenAiChatModel calling = OpenAiChatModel.builder().baseUrl(base).apiKey("not-needed").modelName("stories")
          .temperature(0.0).maxTokens(300).timeout(Duration.ofSeconds(60)).parallelToolCalls(false)
          .defaultRequestParameters(OpenAiChatRequestParameters.builder().toolChoice(ToolChoice.REQUIRED).build())
          .build();
      Tools tools = new Tools();
      Calculator calculator = AiServices.builder(Calculator.class).chatModel(calling).tools(tools).build();
      Result<String> result = calculator.ask("What is 2 plus 3?");
      assertThat(tools.calls).as("the model called the tool").hasSize(1);
      List<ToolExecution> executions = result.toolExecutions();
      assertThat(executions).hasSize(1);
      ToolExecution e = executions.get(0);
      assertThat(e.request().name()).isEqualTo("add");
      // Parameter names are the compiled ones (arg0, arg1 without -parameters); both must be integers.
      JsonObject args = new JsonObject(e.request().arguments());
      assertThat(args.size()).isEqualTo(2);
      long[] call = tools.calls.get(0);
      assertThat(args.fieldNames().stream().map(args::getLong).toList()).containsExactly(call[0], call[1]);
      assertThat(e.result()).isEqualTo(Long.toString(call[0] + call[1]));
    }
  }
}
