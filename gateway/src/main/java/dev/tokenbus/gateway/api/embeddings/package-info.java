/**
 * OpenAI's {@code POST /v1/embeddings}, answered by a worker of the model that computes embeddings
 * (see the worker's {@code EmbeddingService}); vectors come back from it as binary floats.
 */
package dev.tokenbus.gateway.api.embeddings;
