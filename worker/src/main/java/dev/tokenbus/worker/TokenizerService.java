package dev.tokenbus.worker;

import dev.tokenbus.engine.Engine;
import dev.tokenbus.protocol.Addresses;
import dev.tokenbus.protocol.ChatMessage;
import dev.tokenbus.protocol.RequestValidationException;
import dev.tokenbus.protocol.TemplateArgs;
import dev.tokenbus.protocol.Tool;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A worker's tokenizer on the event bus, request/reply on {@link Addresses#tokenizer}. Requests
 * run on Vert.x's worker pool, unordered, so several run at once and none waits for the decode
 * thread: llama.cpp's tokenizer only reads the vocabulary and may be called from any thread.
 *
 * <ul>
 *   <li>{@code {"op":"tokenize","content":s,"add_special":b,"with_pieces":b}} answers
 *       {@code {"tokens":[id...]}}, or {@code {"tokens":[{"id","piece"}...]}} with pieces (a piece
 *       that is not valid UTF-8 on its own is its byte values)
 *   <li>{@code {"op":"detokenize","tokens":[id...]}} answers {@code {"content":s}}
 *   <li>{@code {"op":"count_chat","messages":[...],"tools":[...],"template_args":{...}}} (each as
 *       {@link ChatMessage#toJson()} and {@link Tool#toJson()}; the chat template's variables,
 *       checked as a generation's are) answers {@code {"count":n}}: the tokens of the prompt the
 *       conversation becomes through the model's chat template, as a generation would see it
 * </ul>
 *
 * A bad request fails the reply with code 400 and the message {@code param: text}.
 */
final class TokenizerService {

  static final int BAD_REQUEST = 400;

  private final Vertx vertx;
  private final Engine engine;
  private MessageConsumer<JsonObject> consumer;

  TokenizerService(Vertx vertx, Engine engine) {
    this.vertx = vertx;
    this.engine = engine;
  }

  Future<Void> start(String workerEndpoint) {
    consumer = vertx.eventBus().consumer(Addresses.tokenizer(workerEndpoint), this::handle);
    return consumer.completion();
  }

  Future<Void> stop() {
    return consumer == null ? Future.succeededFuture() : consumer.unregister();
  }

  private void handle(Message<JsonObject> msg) {
    vertx.executeBlocking(() -> answer(msg.body()), false).onComplete(ar -> {
      if (ar.succeeded()) {
        msg.reply(ar.result());
      } else if (ar.cause() instanceof RequestValidationException e) {
        msg.fail(BAD_REQUEST, e.param() + ": " + e.getMessage());
      } else {
        msg.fail(500, String.valueOf(ar.cause().getMessage()));
      }
    });
  }

  private JsonObject answer(JsonObject request) {
    return switch (request.getString("op", "")) {
      case "tokenize" -> tokenize(request);
      case "detokenize" -> detokenize(request);
      case "count_chat" -> countChat(request);
      default -> throw new RequestValidationException("op", "unknown tokenizer op " + request.getString("op"));
    };
  }

  private JsonObject tokenize(JsonObject request) {
    int[] ids = engine.tokenize(request.getString("content", ""), request.getBoolean("add_special", false), true);
    JsonArray tokens = new JsonArray();
    boolean withPieces = request.getBoolean("with_pieces", false);
    for (int id : ids) {
      tokens.add(withPieces ? new JsonObject().put("id", id).put("piece", piece(engine.pieceBytes(id))) : id);
    }
    return new JsonObject().put("tokens", tokens);
  }

  /** The piece as text when its bytes are valid UTF-8, else as its byte values (as llama-server does). */
  private static Object piece(byte[] bytes) {
    try {
      return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
    } catch (CharacterCodingException e) {
      JsonArray out = new JsonArray();
      for (byte b : bytes) {
        out.add(b & 0xFF);
      }
      return out;
    }
  }

  private JsonObject countChat(JsonObject request) {
    List<ChatMessage> messages = new ArrayList<>();
    for (Object m : request.getJsonArray("messages", new JsonArray())) {
      messages.add(ChatMessage.fromJson((JsonObject) m));
    }
    List<Tool> tools = new ArrayList<>();
    for (Object t : request.getJsonArray("tools", new JsonArray())) {
      tools.add(Tool.fromJson((JsonObject) t));
    }
    if (messages.isEmpty()) {
      throw new RequestValidationException("messages", "messages must not be empty");
    }
    String prompt = engine.renderChat(messages, tools, TemplateArgs.checked(request.getJsonObject("template_args")));
    return new JsonObject().put("count", engine.tokenize(prompt, true, true).length);
  }

  private JsonObject detokenize(JsonObject request) {
    JsonArray array = request.getJsonArray("tokens", new JsonArray());
    int[] ids = new int[array.size()];
    for (int i = 0; i < ids.length; i++) {
      ids[i] = array.getInteger(i);
    }
    return new JsonObject().put("content", engine.detokenize(ids));
  }
}
