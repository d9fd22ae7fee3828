package dev.tokenbus.cli;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.turbo.TurboFilter;
import ch.qos.logback.core.spi.FilterReply;
import org.slf4j.Marker;

/**
 * Drops one message that is no news: while a node leaves the cluster, announcements already on
 * their way (workers broadcast their status every few hundred ms) reach a consumer the node has
 * just unregistered, and Vert.x warns "Discarding message since the consumer is not registered".
 * Its other warnings (a paused consumer's buffer overflowing) still show.
 */
public final class ShutdownNoiseFilter extends TurboFilter {

  private static final String LOGGER = "io.vertx.core.eventbus.impl.MessageConsumerImpl";
  private static final String NOTICE = "Discarding message since the consumer is not registered.";

  @Override
  public FilterReply decide(Marker marker, Logger logger, Level level, String format, Object[] params, Throwable t) {
    return format != null && LOGGER.equals(logger.getName()) && format.startsWith(NOTICE) ? FilterReply.DENY
        : FilterReply.NEUTRAL;
  }
}
