package dev.tokenbus.protocol.frame;

import dev.tokenbus.protocol.GenerationResult;

/** Worker to gateway: the generation ended (after its last TOKENS frame); finish reason, usage and timings. */
public record EndFrame(String streamId, GenerationResult result) implements Frame {}
