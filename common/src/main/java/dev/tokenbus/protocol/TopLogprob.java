package dev.tokenbus.protocol;

/** One of the most likely tokens at a position, with its log-probability under the model. */
public record TopLogprob(int tokenId, String text, double logprob) {}
