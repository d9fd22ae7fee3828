package dev.tokenbus.cli;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.turbo.TurboFilter;
import ch.qos.logback.core.spi.FilterReply;
import com.hazelcast.core.MemberLeftException;
import com.hazelcast.spi.exception.ResponseAlreadySentException;
import com.hazelcast.spi.exception.TargetNotMemberException;
import java.util.List;
import org.slf4j.Marker;
import org.slf4j.helpers.MessageFormatter;

/**
 * Drops Hazelcast's warnings that are no news while the network splits or heals, so that a
 * partition reads as one line per change (the heartbeat suspicion, "cluster member left/joined",
 * "merging", "rejoined"): operations that were on their way to a member that has just left
 * ({@link TargetNotMemberException}, {@link MemberLeftException}, with a stack trace each), the
 * repetition of a suspicion already logged, the partition table naming members that just left,
 * and the second and third lines of a merge. Hazelcast's other warnings that carry an exception
 * (a migration that failed because the partition table changed under it, an operation retried) are
 * logged as one line with the exception's class and message instead of a stack trace: Hazelcast
 * recovers from each by itself, and a trace per warning buries the line that matters. Vert.x's
 * warning that it could not open an event-bus connection to a node (unreachable while partitioned)
 * is logged as one line with its cause too. So is Hazelcast's error that an operation answered an
 * invocation it had already retried elsewhere ({@link ResponseAlreadySentException}: a member left
 * while a multimap read of Vert.x's subscriptions was under way; the retry's answer was used, the
 * late one is dropped). Hazelcast's other errors keep their stack traces, and so do these same
 * exceptions when they reach tokenbus code.
 */
public final class PartitionNoiseFilter extends TurboFilter {

  private static final String HAZELCAST = "com.hazelcast.";
  private static final String BUS = "io.vertx.core.eventbus.impl.clustered.ClusteredEventBus";
  private static final String BUS_CONNECT = "Connecting to server ";
  /** Logger (its simple name) and a part of the message, of the warnings that repeat what another line said. */
  private record Notice(String logger, String text) {}

  private static final List<Notice> NOTICES = List.of(
      // The same operation failing as TargetNotMemberException, logged without its stack trace.
      new Notice("OperationService", "Not Member! target:"),
      // ClusterHeartbeatManager's "Suspecting Member ..." said it, with the reason.
      new Notice("MembershipManager", " is suspected to be dead for reason: "),
      new Notice("InternalPartitionService", "Following unknown addresses are found in partition table"),
      // TcpIpJoiner's "is merging [tcp/ip] to" said it.
      new Notice("MergeClustersOp", " is merging to "),
      new Notice("ClusterService", "Resetting local member UUID."));

  @Override
  public FilterReply decide(Marker marker, Logger logger, Level level, String format, Object[] params, Throwable t) {
    if (level == Level.WARN && t != null && BUS.equals(logger.getName()) && format != null
        && format.startsWith(BUS_CONNECT)) {
      logger.warn("{} ({})", format, rootCause(t)); // no throwable: this filter lets it pass
      return FilterReply.DENY;
    }
    if (level == Level.ERROR && t instanceof ResponseAlreadySentException
        && logger.getName().startsWith(HAZELCAST)) {
      logger.warn("a late answer to an operation already retried after a member left was dropped ({})",
          t.getClass().getSimpleName());
      return FilterReply.DENY;
    }
    if (level != Level.WARN || !logger.getName().startsWith(HAZELCAST)) {
      return FilterReply.NEUTRAL;
    }
    if (t instanceof TargetNotMemberException || t instanceof MemberLeftException) {
      return FilterReply.DENY;
    }
    if (t != null) {
      String message = format == null ? "" : MessageFormatter.arrayFormat(format, params).getMessage();
      logger.warn("{} ({}: {})", message, t.getClass().getSimpleName(), t.getMessage()); // no throwable: passes
      return FilterReply.DENY;
    }
    if (format != null) {
      for (Notice n : NOTICES) {
        if (logger.getName().endsWith("." + n.logger()) && format.contains(n.text())) {
          return FilterReply.DENY;
        }
      }
    }
    return FilterReply.NEUTRAL;
  }

  private static String rootCause(Throwable t) {
    Throwable root = t;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    return root.getClass().getSimpleName() + ": " + root.getMessage();
  }
}
