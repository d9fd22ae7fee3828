package dev.tokenbus.engine;

/** Where a generation is in its life. */
public enum GenerationState {
  /** Accepted, waiting for the decode thread to take it. */
  QUEUED,
  /** Its prompt is being processed. */
  PROMPT,
  /** Producing tokens. */
  GENERATING,
  /** Left out of the batch because its sink is full or its stream delay has not passed; KV cells kept. */
  PAUSED,
  /** Ended; see its result. */
  FINISHED
}
