package dev.tokenbus.client;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenbus.gateway.api.GenerateParameters;
import dev.tokenbus.gateway.api.generate.TokenJson;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.lang.reflect.RecordComponent;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The client's wire format checked against the server's own code, so that neither can drift: the
 * request fields come from what the gateway's native route reads ({@link GenerateParameters}, the
 * same for {@code POST /v1/generate} and a WebSocket {@code generate} frame) and from the
 * components of the server's {@link dev.tokenbus.protocol.StreamConfig}; the token event's fields
 * come from what the gateway writes ({@link TokenJson}).
 */
class ClientContractTest {

  private static final JsonObject SCHEMA = new JsonObject().put("type", "object")
      .put("properties", new JsonObject().put("ok", new JsonObject().put("type", "boolean")))
      .put("required", new JsonArray().add("ok"));

  /** Every field set, and none to its default (the server's defaults are the client's, checked below). */
  private static StreamConfig.Builder everything() {
    return StreamConfig.builder().maxTokens(7).temperature(0.3).topK(5).topP(0.5).minP(0.1).repeatPenalty(1.2)
        .repeatLastN(16).frequencyPenalty(0.5).presencePenalty(-0.5).seed(42).stopSequences("\n\n", "END")
        .streamDelayMs(3).bufferSize(9).timeoutMs(1234).topLogprobs(2).cachePrompt(false)
        .logitBias(Map.of(5, -100.0, 7, 2.5)).model("tiny").reasoningBudget(64).reasoningFormat("none");
  }

  private static List<StreamConfig> everyKind() {
    return List.of(everything().grammar("root ::= \"yes\" | \"no\"").build(), everything().jsonSchema(SCHEMA).build());
  }

  /** A request body that notes each field the gateway looks at. */
  private static final class Recording extends JsonObject {
    final Set<String> read;

    Recording(JsonObject body, Set<String> read) {
      super(body.copy().getMap());
      this.read = read;
    }

    @Override
    public Object getValue(String key) {
      read.add(key);
      return super.getValue(key);
    }
  }

  @Test
  void theClientSendsEveryRequestFieldTheNativeRouteReadsAndNoOther() {
    Set<String> read = new TreeSet<>();
    Set<String> sent = new TreeSet<>();
    for (StreamConfig c : everyKind()) {
      for (JsonObject request : List.of(Wire.request("Once", null, c),
          Wire.request(null, List.of(ChatMessage.user("Once")), c))) {
        sent.addAll(request.fieldNames());
        GenerateParameters.parse(new Recording(request, read));
      }
    }
    assertThat(sent).isEqualTo(read);
  }

  @Test
  void everyFieldOfTheServersStreamConfigArrivesWithTheClientsValue() throws Exception {
    dev.tokenbus.protocol.StreamConfig serverDefaults = dev.tokenbus.protocol.StreamConfig.defaults();
    for (StreamConfig c : everyKind()) {
      dev.tokenbus.protocol.StreamConfig received = GenerateParameters.config(Wire.request("Once", null, c));
      for (RecordComponent field : dev.tokenbus.protocol.StreamConfig.class.getRecordComponents()) {
        Object value = field.getAccessor().invoke(received);
        assertThat(value).as(field.getName() + " (not left at the server's default)")
            .isNotEqualTo(field.getAccessor().invoke(serverDefaults));
        RecordComponent same = Arrays.stream(StreamConfig.class.getRecordComponents())
            .filter(r -> r.getName().equals(field.getName())).findFirst().orElse(null);
        Object sentValue = same == null ? null : same.getAccessor().invoke(c);
        if (sentValue != null) {
          assertThat(String.valueOf(value)).as(field.getName()).isEqualTo(String.valueOf(sentValue));
        }
      }
      assertThat(received.stop()).isEqualTo(c.stopSequences());
    }
  }

  @Test
  void theClientsDefaultsAreTheServers() {
    assertThat(GenerateParameters.config(Wire.request("Once", null, StreamConfig.defaults())))
        .isEqualTo(dev.tokenbus.protocol.StreamConfig.defaults());
  }

  @Test
  void theClientsLogitBiasLimitsAreTheServers() {
    assertThat(StreamConfig.MAX_LOGIT_BIAS).isEqualTo(dev.tokenbus.protocol.StreamConfig.MAX_LOGIT_BIAS);
    assertThat(StreamConfig.MAX_BIAS).isEqualTo(dev.tokenbus.protocol.StreamConfig.MAX_BIAS);
    Map<Integer, Double> full = new TreeMap<>();
    for (int token = 0; token < StreamConfig.MAX_LOGIT_BIAS; token++) {
      full.put(token, token % 2 == 0 ? StreamConfig.MAX_BIAS : -StreamConfig.MAX_BIAS);
    }
    StreamConfig atTheLimits = StreamConfig.builder().logitBias(full).build();
    assertThat(GenerateParameters.config(Wire.request("Once", null, atTheLimits)).logitBias()).isEqualTo(full);
  }

  @Test
  void everyFieldOfATokenEventIsRead() {
    JsonObject event = TokenJson.token(new dev.tokenbus.protocol.TokenData(3, "yes", 17, -0.25,
        List.of(new dev.tokenbus.protocol.TopLogprob(18, "no", -1.5)), true, dev.tokenbus.protocol.FinishReason.STOP));
    TokenData whole = Wire.token(event);
    List<String> paths = paths(event, "");
    assertThat(paths).contains("index", "top_logprobs[0].text");
    for (String path : paths) {
      JsonObject without = event.copy();
      remove(without, path);
      Object read;
      try {
        read = Wire.token(without);
      } catch (ProtocolException e) {
        read = e; // the client needs it
      }
      assertThat(read).as("the client reads " + path).isNotEqualTo(whole);
    }
  }

  /** The paths of every value in {@code o}: {@code a}, {@code a.b}, {@code a[0].b}. */
  private static List<String> paths(JsonObject o, String prefix) {
    List<String> out = new ArrayList<>();
    for (Map.Entry<String, Object> e : o) {
      String path = prefix + e.getKey();
      out.add(path);
      if (e.getValue() instanceof JsonObject inner) {
        out.addAll(paths(inner, path + "."));
      } else if (e.getValue() instanceof JsonArray a) {
        for (int i = 0; i < a.size(); i++) {
          if (a.getValue(i) instanceof JsonObject inner) {
            out.addAll(paths(inner, path + "[" + i + "]."));
          }
        }
      }
    }
    return out;
  }

  private static void remove(JsonObject o, String path) {
    int dot = path.indexOf('.');
    if (dot < 0) {
      o.remove(path);
      return;
    }
    String head = path.substring(0, dot);
    int bracket = head.indexOf('[');
    JsonObject inner = bracket < 0 ? o.getJsonObject(head) : o.getJsonArray(head.substring(0, bracket))
        .getJsonObject(Integer.parseInt(head.substring(bracket + 1, head.length() - 1)));
    remove(inner, path.substring(dot + 1));
  }

  @Test
  void aBuilderErrorNamesTheRequestField() {
    // Wire.name gives a builder error's param: every component's name is a field of the request.
    Set<String> requestNames = Wire.request("Once", null, everyKind().get(0)).fieldNames();
    Set<String> fromComponents = Arrays.stream(StreamConfig.class.getRecordComponents())
        .map(r -> Wire.name(r.getName())).collect(Collectors.toSet());
    assertThat(requestNames).containsAll(fromComponents.stream().filter(n -> !n.equals("json_schema")).toList());
  }

  /**
   * Every stream error type the server has (one enum, {@code StreamErrorType}) becomes the client
   * exception a caller can act on; a type added to the server does not compile here until the
   * client says what it means.
   */
  @Test
  void everyStreamErrorTypeOfTheServerBecomesItsException() {
    for (dev.tokenbus.protocol.StreamErrorType type : dev.tokenbus.protocol.StreamErrorType.values()) {
      Class<? extends TokenbusException> expected = switch (type) {
        case CANCELLED -> CancelledException.class;
        case TIMEOUT -> StreamTimeoutException.class;
        case WORKER_LOST, WORKER_UNRESPONSIVE -> WorkerLostException.class;
        case WORKER_SHUTDOWN, GATEWAY_SHUTDOWN, NO_WORKER -> ServiceUnavailableException.class;
        case PROTOCOL_ERROR -> ProtocolException.class;
        case ENGINE_ERROR, CREDIT_STALL, CONSUMER_ERROR, SERVER_ERROR -> TokenbusException.class;
      };
      TokenbusException e = Errors.of(new JsonObject().put("type", type.wireName()).put("message", "m"), 0, null);
      assertThat(e).as(type.wireName()).isExactlyInstanceOf(expected);
      assertThat(e.type()).isEqualTo(type.wireName());
    }
  }
}
