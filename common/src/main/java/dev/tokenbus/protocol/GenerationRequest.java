package dev.tokenbus.protocol;

/**
 * A prompt and how to stream its continuation.
 *
 * @param id the stream id, unique per gateway; used in logs and status
 * @param prompt the text to continue; special-token text (e.g. a chat template's markers) is parsed
 * @param config sampling, limits and flow control
 */
public record GenerationRequest(String id, String prompt, StreamConfig config) {

  public GenerationRequest {
    if (id == null || id.isEmpty()) {
      throw new RequestValidationException("id", "a generation request needs an id");
    }
    if (prompt == null || prompt.isEmpty()) {
      throw new RequestValidationException("prompt", "prompt must be a non-empty string");
    }
    config = config == null ? StreamConfig.defaults() : config;
  }

  /** The same request with other settings. */
  public GenerationRequest withConfig(StreamConfig other) {
    return new GenerationRequest(id, prompt, other);
  }
}
