package dev.tokenbus.cluster;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.instance.impl.HazelcastInstanceProxy;
import com.hazelcast.spi.impl.operationservice.impl.OperationServiceImpl;
import dev.tokenbus.metrics.TokenbusMetrics;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hazelcast's own work on this member, on the node's {@code /metrics}: the operations it executed
 * (map puts and gets of the event bus's subscription directory, membership, partition migration,
 * heartbeats...), as {@code tokenbus_hazelcast_operations_total}. Summed over the members, it is
 * what the cluster's bookkeeping costs, e.g. per stream opened. Read from the member's operation
 * service (Hazelcast exposes the same count over JMX only every few seconds).
 */
final class HazelcastMetrics {

  private static final Logger LOG = LoggerFactory.getLogger(HazelcastMetrics.class);

  private HazelcastMetrics() {}

  /** Registers the counter for {@code hz}; a member whose internals are not the expected ones has none. */
  static void register(TokenbusMetrics metrics, HazelcastInstance hz) {
    if (hz instanceof HazelcastInstanceProxy proxy) {
      OperationServiceImpl ops = proxy.getOriginal().node.getNodeEngine().getOperationService();
      metrics.counter("tokenbus_hazelcast_operations", "Hazelcast operations executed on this member",
          () -> ops, OperationServiceImpl::getExecutedOperationCount);
    } else {
      LOG.debug("no Hazelcast operation count: the instance is a {}", hz.getClass().getName());
    }
  }
}
