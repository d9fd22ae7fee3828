package dev.tokenbus.engine;

import dev.tokenbus.protocol.ChatMessage;
import dev.tokenbus.protocol.GenerationRequest;
import dev.tokenbus.protocol.Tool;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionStage;

/** A model served by a decode loop: many generations at once, each streaming into its own sink. */
public interface Engine extends AutoCloseable {

  /**
   * Starts a generation. Tokenization and admission happen here, on the caller's thread, so a
   * refused request fails at once and never holds a slot.
   *
   * @throws dev.tokenbus.protocol.RequestValidationException a parameter is out of range
   * @throws AdmissionException the prompt does not fit, no slot is free, or the engine is closing
   */
  default Generation submit(GenerationRequest request, TokenSink sink) {
    return submit(request, List.of(), sink);
  }

  /**
   * Continues a generation that another worker started: {@code resume} holds the tokens already
   * streamed. They are processed after the prompt, the sampler replays them (so a seeded
   * generation goes on as it would have), and the first new token has index {@code resume.size()}.
   *
   * @throws dev.tokenbus.protocol.RequestValidationException also for a token id outside the
   *     vocabulary, or {@code resume} not shorter than max_tokens
   */
  Generation submit(GenerationRequest request, List<Integer> resume, TokenSink sink);

  EngineStats stats();

  /**
   * Copies a running generation's KV cells at the next step boundary, for another worker to
   * {@link #reserveAdoption adopt}; the generation keeps running. Fails when it is not running here
   * (queued, finished) or has no cells yet.
   */
  CompletionStage<SequenceState> copyState(Generation generation);

  /**
   * Reserves a slot for the state of generation {@code requestId} from another worker, whose cells
   * hold {@code tokens} tokens.
   *
   * @throws AdmissionException no slot is free, the tokens do not fit a slot's context, or the
   *     engine is closing
   */
  Adoption reserveAdoption(String requestId, int tokens);

  /** Drops the adopted state kept for generation {@code requestId}, if any: its stream will not come. */
  void dropAdopted(String requestId);

  /** The most bytes a sequence state of {@code tokens} tokens can take on this model (a receiver's bound). */
  long maxStateBytes(int tokens);

  /**
   * What another engine's {@link SequenceState} must have been made with for this one to adopt it
   * (the llama.cpp release and the KV layout; the model is checked by its file's hash), or null when
   * this engine cannot adopt states.
   */
  String stateFormat();

  ModelInfo model();

  /** The model's embeddings, or empty where this engine computes none (the simulated one). */
  default Optional<Embedder> embedder() {
    return Optional.empty();
  }

  /** Whether this engine only simulates a model (made-up text, no weights), for scale tests. */
  default boolean simulated() {
    return false;
  }

  /**
   * Tokenizes text; safe from any thread (llama.cpp's tokenizer only reads the vocabulary), so it
   * never waits for the decode thread.
   */
  default int[] tokenize(String text, boolean addSpecial) {
    return tokenize(text, addSpecial, addSpecial);
  }

  /**
   * @param addSpecial add BOS (and EOS) as the vocabulary asks
   * @param parseSpecial read control-token text (such as a chat template's markers) as control tokens
   */
  int[] tokenize(String text, boolean addSpecial, boolean parseSpecial);

  /** The raw bytes of a token's text (may end inside a UTF-8 character); do not modify. */
  byte[] pieceBytes(int token);

  /** The prompt a chat request without tools becomes: its messages through the model's chat template. */
  default String renderChat(List<ChatMessage> messages) {
    return renderChat(messages, List.of(), new JsonObject());
  }

  /**
   * The prompt a chat request becomes: its messages and tools through the model's chat template,
   * with the request's template variables ({@code chat_template_kwargs}, checked).
   */
  String renderChat(List<ChatMessage> messages, List<Tool> tools, JsonObject templateArgs);

  /** The template chat requests are rendered with. */
  ChatTemplate chatTemplate();

  /** Whether finished sequences leave their KV cells for later prompts sharing their prefix. */
  boolean prefixCache();

  /** Why the engine can no longer generate (its decode loop died), or null while it can. */
  Throwable failure();

  String detokenize(int[] tokens);

  /** Cancels every generation, stops the decode thread and frees the model. */
  @Override
  void close();
}
