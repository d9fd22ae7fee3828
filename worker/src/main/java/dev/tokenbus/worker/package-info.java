/**
 * The engine on the event bus: {@link dev.tokenbus.worker.WorkerVerticle} accepts generations at the
 * worker's addresses and streams their tokens with credit flow control; {@link dev.tokenbus.worker.TokenizerService}
 * answers tokenize and detokenize requests.
 */
package dev.tokenbus.worker;
