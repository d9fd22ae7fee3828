package dev.tokenbus.gateway.dispatch;

import dev.tokenbus.protocol.WorkerStatus;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.util.List;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Request/reply calls to one worker of a model, outside any stream (tokenize, detokenize,
 * embeddings): the least loaded candidate first, the next one when a worker does not answer.
 */
final class WorkerRequests {

  private static final Logger LOG = LoggerFactory.getLogger(WorkerRequests.class);

  private final WorkerRegistry registry;
  private final Reachability reachability;

  WorkerRequests(WorkerRegistry registry, Reachability reachability) {
    this.registry = registry;
    this.reachability = reachability;
  }

  /**
   * Calls {@code call} with the id of each candidate in turn until one answers.
   *
   * @param candidates the workers that may answer, of {@code model} (null: any)
   * @param what the request's name, for messages
   * @param passOverSilent whether a worker that did not answer (in time, or failed) is passed over for
   *     the next one (a request that is cheap to repeat), or fails the call with
   *     {@link NoWorkerException}; a worker that is gone is always passed over
   * @return the answer; or a failure: {@link ModelNotFoundException} or {@link NoWorkerException}
   *     when no candidate is there, the call's own failure otherwise
   */
  <T> Future<T> ask(String model, List<WorkerStatus> candidates, String what, boolean passOverSilent,
      Function<String, Future<T>> call) {
    if (candidates.isEmpty()) {
      return Future.failedFuture(registry.noCandidate(model));
    }
    Promise<T> answer = Promise.promise();
    ask(LeastLoadedPolicy.byLoad(candidates), 0, what, passOverSilent, call, answer);
    return answer.future();
  }

  private <T> void ask(List<WorkerStatus> candidates, int i, String what, boolean passOverSilent,
      Function<String, Future<T>> call, Promise<T> answer) {
    if (i == candidates.size()) {
      answer.fail(new NoWorkerException("no worker answered the " + what + " request"));
      return;
    }
    String workerId = candidates.get(i).workerId();
    call.apply(workerId).onComplete(ar -> {
      if (ar.succeeded()) {
        answer.complete(ar.result());
      } else if (ar.cause() instanceof WorkerLink.NoAnswer none) {
        LOG.debug("{} request to {} failed: {}", what, workerId, none.getMessage());
        if (none.noHandler()) {
          reachability.lost(workerId, none.getMessage());
        } else if (!passOverSilent) {
          answer.fail(new NoWorkerException("the worker did not answer the " + what + " request: "
              + none.getMessage()));
          return;
        }
        ask(candidates, i + 1, what, passOverSilent, call, answer);
      } else {
        answer.fail(ar.cause());
      }
    });
  }
}
