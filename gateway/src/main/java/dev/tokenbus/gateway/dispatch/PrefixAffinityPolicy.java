package dev.tokenbus.gateway.dispatch;

import dev.tokenbus.protocol.GenerationRequest;
import dev.tokenbus.protocol.PrefixHashes;
import dev.tokenbus.protocol.WorkerStatus;
import java.util.ArrayList;
import java.util.List;

/**
 * Cache-aware dispatch: the least loaded first as in {@link LeastLoadedPolicy}, but among equally
 * loaded workers the one announcing fewer prefix blocks first (its cache loses least to a new
 * conversation); then the worker whose announced prefix cache matches the most leading blocks of
 * the request ({@link PrefixHashes}) is moved to the front when it is not much busier: it has a
 * free slot and at most {@code slack} more active sequences than the least loaded candidate with a
 * free slot. A request that opted out of the prompt cache ({@code cache_prompt: false}) matches no
 * worker.
 */
public final class PrefixAffinityPolicy implements DispatchPolicy {

  private final int slack;

  /** @param slack how many more active sequences the best-matching worker may have; at least 0 */
  public PrefixAffinityPolicy(int slack) {
    if (slack < 0) {
      throw new IllegalArgumentException("slack must be at least 0, got " + slack);
    }
    this.slack = slack;
  }

  @Override
  public List<WorkerStatus> candidates(GenerationRequest request, List<WorkerStatus> eligible) {
    if (eligible.size() < 2) {
      return LeastLoadedPolicy.byLoad(eligible);
    }
    List<WorkerStatus> out = new ArrayList<>(eligible);
    out.sort(LeastLoadedPolicy.LOAD.thenComparingInt(s -> s.prefixBlocks().size()));
    long[] hashes = request.config().cachePrompt() ? PrefixHashes.of(request) : new long[0];
    int best = -1;
    int bestBlocks = 0;
    for (int i = 0; i < out.size(); i++) {
      int m = PrefixHashes.matchedBlocks(hashes, out.get(i).prefixBlocks());
      if (m > bestBlocks) {
        best = i;
        bestBlocks = m;
      }
    }
    if (best > 0) {
      WorkerStatus w = out.get(best);
      int leastActive = out.stream().filter(c -> c.freeSlots() > 0).mapToInt(WorkerStatus::active).min()
          .orElse(Integer.MAX_VALUE);
      if (w.freeSlots() > 0 && w.active() <= leastActive + slack) {
        out.add(0, out.remove(best));
      }
    }
    return out;
  }
}
