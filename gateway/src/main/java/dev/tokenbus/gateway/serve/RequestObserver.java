package dev.tokenbus.gateway.serve;

import dev.tokenbus.flow.TokenStream;
import dev.tokenbus.metrics.TokenbusMetrics;
import dev.tokenbus.protocol.GenerationResult;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Watches one request at the gateway's socket: time to first token, the gaps between tokens and
 * the whole request, recorded as metrics; and one log line when it ends (id, model, worker,
 * tokens, TTFT, tok/s, finish reason; never the prompt).
 */
final class RequestObserver {

  private static final Logger LOG = LoggerFactory.getLogger("tokenbus.requests");

  private final TokenbusMetrics metrics;
  private final String id;
  private final String model;
  private final long arrivalNanos = System.nanoTime();
  private long firstTokenNanos;
  private long lastTokenNanos;
  private int tokens;

  RequestObserver(TokenbusMetrics metrics, String id, String model) {
    this.metrics = metrics;
    this.id = id;
    this.model = model;
  }

  String streamId() {
    return id;
  }

  /** A token was handed to the client's transport. */
  void onToken() {
    long now = System.nanoTime();
    if (tokens++ == 0) {
      firstTokenNanos = now;
      metrics.timeToFirstToken(now - arrivalNanos);
    } else {
      metrics.interTokenLatency(now - lastTokenNanos);
    }
    lastTokenNanos = now;
  }

  /** The stream ended with its done event. */
  void onDone(TokenStream stream, GenerationResult r) {
    long now = System.nanoTime();
    metrics.endToEnd(now - arrivalNanos);
    metrics.queueTime(stream.gatewayQueueMs() + r.timings().queueMs());
    metrics.tokens(r.usage().promptTokens(), r.usage().completionTokens());
    metrics.finished(r.finishReason().wireName());
    double ttftMs = tokens == 0 ? -1 : (firstTokenNanos - arrivalNanos) / 1e6;
    double tokPerS = tokens > 1 ? (tokens - 1) * 1e9 / (lastTokenNanos - firstTokenNanos) : 0;
    LOG.info(String.format(Locale.ROOT,
        "request id=%s model=%s worker=%s prompt_tokens=%d tokens=%d ttft_ms=%.1f tok_s=%.1f finish=%s", id,
        model == null ? "-" : model, stream.workerEndpoint(), r.usage().promptTokens(), r.usage().completionTokens(),
        ttftMs, tokPerS, r.finishReason().wireName()));
  }

  /** The request failed, before or during its stream. */
  void onError(String worker, String type, int status) {
    metrics.endToEnd(System.nanoTime() - arrivalNanos);
    metrics.failed(type);
    LOG.info(String.format(Locale.ROOT, "request id=%s model=%s worker=%s tokens=%d status=%d error=%s", id,
        model == null ? "-" : model, worker == null ? "-" : worker, tokens, status, type));
  }
}
