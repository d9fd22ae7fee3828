package dev.tokenbus.gateway.dispatch;

import dev.tokenbus.protocol.GenerationRequest;
import dev.tokenbus.protocol.WorkerStatus;
import java.util.List;

/**
 * Which workers a generation is offered to, and in what order: the one place the dispatch decides
 * between workers. The {@link Dispatcher} asks it for every new request, every retry from the queue
 * and every move of a stream (failover), passing the workers the {@link WorkerRegistry} finds
 * eligible (listed, reachable, not draining, serving the model); it tries the returned workers in
 * order and queues the request when all of them are busy. Implementations are stateless or keep
 * their state on the dispatcher's context.
 */
public interface DispatchPolicy {

  /**
   * The workers to try for {@code request}, best first: some or all of {@code eligible}, never
   * another. A worker that announced no free slot may still be listed (last, as a slot may have
   * freed since).
   *
   * @param eligible the workers that may take the request, in no particular order
   */
  List<WorkerStatus> candidates(GenerationRequest request, List<WorkerStatus> eligible);

  /**
   * The policy {@code options} select: {@link PrefixAffinityPolicy} with
   * {@link DispatchOptions#prefixRoutingSlack} as its slack, or {@link LeastLoadedPolicy} when the
   * slack is negative (cache-aware dispatch off).
   */
  static DispatchPolicy of(DispatchOptions options) {
    return options.prefixRoutingSlack() < 0 ? new LeastLoadedPolicy()
        : new PrefixAffinityPolicy(options.prefixRoutingSlack());
  }
}
