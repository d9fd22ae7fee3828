package dev.tokenbus.client;

/**
 * An alternative the model considered at a token's position.
 *
 * @param tokenId its vocabulary id
 * @param text its text
 * @param logprob its natural-log probability
 */
public record TopLogprob(int tokenId, String text, double logprob) {}
