package dev.tokenbus.gateway.dispatch;

import dev.tokenbus.protocol.Addresses;
import dev.tokenbus.protocol.RequestValidationException;
import dev.tokenbus.protocol.WorkerStatus;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonObject;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tokenize and detokenize requests to workers: request/reply on a worker's tokenizer address,
 * the least loaded worker of the model first, the next one when a worker does not answer.
 */
final class TokenizerClient {

  private static final Logger LOG = LoggerFactory.getLogger(TokenizerClient.class);

  private final EventBus bus;
  private final WorkerRegistry registry;
  private final long timeoutMs;
  private final Reachability reachability;

  TokenizerClient(EventBus bus, WorkerRegistry registry, long timeoutMs, Reachability reachability) {
    this.bus = bus;
    this.registry = registry;
    this.timeoutMs = timeoutMs;
    this.reachability = reachability;
  }

  /**
   * @return the worker's answer; or a failure: {@link ModelNotFoundException} or
   *     {@link NoWorkerException} when no worker serves {@code model}, {@link RequestValidationException}
   *     when the worker finds the request bad
   */
  Future<JsonObject> ask(String model, JsonObject request) {
    List<WorkerStatus> candidates = registry.candidates(model);
    if (candidates.isEmpty()) {
      return Future.failedFuture(registry.noCandidate(model));
    }
    Promise<JsonObject> answer = Promise.promise();
    ask(candidates, 0, request, answer);
    return answer.future();
  }

  private void ask(List<WorkerStatus> candidates, int i, JsonObject request, Promise<JsonObject> answer) {
    if (i == candidates.size()) {
      answer.fail(new NoWorkerException("no worker answered the tokenizer request"));
      return;
    }
    DeliveryOptions delivery = new DeliveryOptions().setSendTimeout(timeoutMs);
    bus.<JsonObject>request(Addresses.tokenizer(candidates.get(i).workerId()), request, delivery).onComplete(ar -> {
      if (ar.succeeded()) {
        answer.complete(ar.result().body());
      } else if (ar.cause() instanceof ReplyException re && re.failureCode() == 400) {
        String message = String.valueOf(re.getMessage());
        int colon = message.indexOf(": ");
        answer.fail(new RequestValidationException(colon > 0 ? message.substring(0, colon) : null,
            colon > 0 ? message.substring(colon + 2) : message));
      } else {
        LOG.debug("tokenizer request to {} failed: {}", candidates.get(i).workerId(), ar.cause().toString());
        if (Reachability.noHandlers(ar.cause())) {
          reachability.lost(candidates.get(i).workerId(), ar.cause().getMessage());
        }
        ask(candidates, i + 1, request, answer);
      }
    });
  }
}
