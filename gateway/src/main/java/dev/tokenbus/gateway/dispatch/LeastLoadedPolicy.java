package dev.tokenbus.gateway.dispatch;

import dev.tokenbus.protocol.GenerationRequest;
import dev.tokenbus.protocol.WorkerStatus;
import java.util.Comparator;
import java.util.List;

/** Least loaded first: most free slots, then fewest active sequences. Ignores the request. */
public final class LeastLoadedPolicy implements DispatchPolicy {

  /** Most free slots first, then fewest active sequences. */
  static final Comparator<WorkerStatus> LOAD = Comparator.comparingInt(WorkerStatus::freeSlots).reversed()
      .thenComparingInt(WorkerStatus::active);

  @Override
  public List<WorkerStatus> candidates(GenerationRequest request, List<WorkerStatus> eligible) {
    return byLoad(eligible);
  }

  /** {@code workers} least loaded first (a sorted copy). */
  static List<WorkerStatus> byLoad(List<WorkerStatus> workers) {
    return workers.stream().sorted(LOAD).toList();
  }
}
