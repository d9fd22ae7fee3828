package dev.tokenbus.gateway.dispatch;

import dev.tokenbus.protocol.RequestValidationException;
import dev.tokenbus.protocol.WorkerStatus;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.json.JsonObject;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tokenize and detokenize requests to workers ({@link WorkerLink#tokenizer}), the least loaded
 * worker of the model first, the next one when a worker does not answer.
 */
final class TokenizerClient {

  private static final Logger LOG = LoggerFactory.getLogger(TokenizerClient.class);

  private final WorkerLink link;
  private final WorkerRegistry registry;
  private final long timeoutMs;
  private final Reachability reachability;

  TokenizerClient(WorkerLink link, WorkerRegistry registry, long timeoutMs, Reachability reachability) {
    this.link = link;
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
    List<WorkerStatus> candidates = LeastLoadedPolicy.byLoad(registry.eligible(model));
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
    String workerId = candidates.get(i).workerId();
    link.tokenizer(workerId, request, timeoutMs).onComplete(ar -> {
      if (ar.succeeded()) {
        answer.complete(ar.result());
      } else if (ar.cause() instanceof WorkerLink.NoAnswer none) {
        LOG.debug("tokenizer request to {} failed: {}", workerId, none.getMessage());
        if (none.noHandler()) {
          reachability.lost(workerId, none.getMessage());
        }
        ask(candidates, i + 1, request, answer);
      } else {
        answer.fail(ar.cause());
      }
    });
  }
}
