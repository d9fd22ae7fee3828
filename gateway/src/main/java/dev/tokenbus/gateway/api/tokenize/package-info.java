/** {@code /v1/tokenize} and {@code /v1/detokenize}, answered by a worker serving the model. */
package dev.tokenbus.gateway.api.tokenize;
