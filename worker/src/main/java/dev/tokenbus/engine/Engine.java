package dev.tokenbus.engine;

import dev.tokenbus.protocol.ChatMessage;
import dev.tokenbus.protocol.GenerationRequest;
import java.util.List;

/** A model served by a decode loop: many generations at once, each streaming into its own sink. */
public interface Engine extends AutoCloseable {

  /**
   * Starts a generation. Tokenization and admission happen here, on the caller's thread, so a
   * refused request fails at once and never holds a slot.
   *
   * @throws dev.tokenbus.protocol.RequestValidationException a parameter is out of range
   * @throws AdmissionException the prompt does not fit, no slot is free, or the engine is closing
   */
  Generation submit(GenerationRequest request, TokenSink sink);

  EngineStats stats();

  ModelInfo model();

  /**
   * Tokenizes text; safe from any thread (llama.cpp's tokenizer only reads the vocabulary), so it
   * never waits for the decode thread.
   */
  int[] tokenize(String text, boolean addSpecial);

  /** The prompt a chat request becomes: its messages through the model's chat template. */
  String renderChat(List<ChatMessage> messages);

  /** The template chat requests are rendered with. */
  ChatTemplate chatTemplate();

  /** Why the engine can no longer generate (its decode loop died), or null while it can. */
  Throwable failure();

  String detokenize(int[] tokens);

  /** Cancels every generation, stops the decode thread and frees the model. */
  @Override
  void close();
}
