package dev.tokenbus.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.config.NamingConvention;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.micrometer.backends.BackendRegistries;
import java.time.Duration;
import java.util.function.Supplier;
import java.util.function.ToDoubleFunction;

/**
 * The product's own metrics. Where a metric means what one of vLLM's means, it carries vLLM's name
 * and unit, so that existing dashboards and routers read it unchanged; the rest are {@code tokenbus_*}.
 * Latencies are measured at the gateway's socket, where the client sees them.
 */
public final class TokenbusMetrics {

  /** vLLM's buckets for time to first token, in seconds. */
  private static final Duration[] TTFT_BUCKETS = seconds(0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5,
      0.75, 1.0, 2.5, 5.0, 7.5, 10.0, 20.0, 40.0, 80.0);
  /** vLLM's buckets for inter-token latency, in seconds. */
  private static final Duration[] ITL_BUCKETS = seconds(0.0001, 0.0005, 0.001, 0.005, 0.01, 0.025, 0.05, 0.075, 0.1,
      0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0);
  /** vLLM's buckets for whole-request times, in seconds. */
  private static final Duration[] REQUEST_BUCKETS = seconds(0.01, 0.1, 0.3, 0.5, 0.8, 1.0, 1.5, 2.0, 2.5, 5.0, 10.0,
      15.0, 20.0, 30.0, 40.0, 50.0, 60.0, 120.0, 240.0, 480.0, 960.0);

  /**
   * Buckets for the dispatch's latency, in seconds: from 50 µs, fine below the millisecond where a
   * healthy dispatch is, up to the queue waits of a saturated cluster.
   */
  private static final Duration[] DISPATCH_BUCKETS = seconds(0.00005, 0.0001, 0.0002, 0.0003, 0.0005, 0.00075, 0.001,
      0.0015, 0.002, 0.003, 0.005, 0.0075, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0);

  private final MeterRegistry registry;
  private final Timer timeToFirstToken;
  private final Timer interTokenLatency;
  private final Timer endToEnd;
  private final Timer queueTime;
  private final Timer dispatchLatency;
  private final Counter promptTokens;
  private final Counter generationTokens;
  private final Counter embeddingRequests;
  private final Counter embeddingInputs;
  private final Counter embeddingTokens;
  private final java.util.List<Object> counterSources = new java.util.concurrent.CopyOnWriteArrayList<>();
  private final java.util.Map<Class<?>, Object> shared = new java.util.concurrent.ConcurrentHashMap<>();

  public TokenbusMetrics(MeterRegistry registry) {
    this.registry = registry;
    registry.config().namingConvention(new VllmNaming(registry.config().namingConvention()));
    this.timeToFirstToken = histogram("vllm:time_to_first_token", "Time to first token, at the gateway's socket",
        TTFT_BUCKETS);
    this.interTokenLatency = histogram("vllm:inter_token_latency", "Time between two tokens, at the gateway's socket",
        ITL_BUCKETS);
    this.endToEnd = histogram("vllm:e2e_request_latency", "Request time, from arrival to the last event",
        REQUEST_BUCKETS);
    this.queueTime = histogram("vllm:request_queue_time", "Time a request waited for a decode step", REQUEST_BUCKETS);
    this.dispatchLatency = histogram("tokenbus_dispatch_latency",
        "Time from the gateway's dispatcher taking a new request to a worker accepting its OPEN (queue wait included)",
        DISPATCH_BUCKETS);
    this.promptTokens = Counter.builder("vllm:prompt_tokens").description("Prompt tokens processed")
        .register(registry);
    this.generationTokens = Counter.builder("vllm:generation_tokens").description("Tokens generated")
        .register(registry);
    this.embeddingRequests = Counter.builder("tokenbus_embedding_requests")
        .description("Embedding requests answered").register(registry);
    this.embeddingInputs = Counter.builder("tokenbus_embedding_inputs")
        .description("Inputs embedded (one vector each)").register(registry);
    this.embeddingTokens = Counter.builder("tokenbus_embedding_tokens").description("Tokens embedded")
        .register(registry);
  }

  /** The registry a Vert.x instance was started with (see ClusterNode), or a private one when metrics are off. */
  public static TokenbusMetrics of(String registryName) {
    MeterRegistry r = BackendRegistries.getNow(registryName);
    return new TokenbusMetrics(r != null ? r : new SimpleMeterRegistry());
  }

  /** Metrics kept in memory only, for components run without a metrics backend. */
  public static TokenbusMetrics detached() {
    return new TokenbusMetrics(new SimpleMeterRegistry());
  }

  public MeterRegistry registry() {
    return registry;
  }

  private Timer histogram(String name, String description, Duration[] buckets) {
    return Timer.builder(name).description(description).serviceLevelObjectives(buckets)
        .minimumExpectedValue(buckets[0]).maximumExpectedValue(buckets[buckets.length - 1]).register(registry);
  }

  public void timeToFirstToken(long nanos) {
    timeToFirstToken.record(Duration.ofNanos(nanos));
  }

  public void interTokenLatency(long nanos) {
    interTokenLatency.record(Duration.ofNanos(nanos));
  }

  public void endToEnd(long nanos) {
    endToEnd.record(Duration.ofNanos(nanos));
  }

  public void queueTime(double ms) {
    queueTime.record(Duration.ofNanos((long) (ms * 1e6)));
  }

  /** A new request's OPEN was accepted by a worker, {@code nanos} after the dispatcher took the request. */
  public void dispatchLatency(long nanos) {
    dispatchLatency.record(Duration.ofNanos(nanos));
  }

  public void tokens(int prompt, int generated) {
    promptTokens.increment(prompt);
    generationTokens.increment(generated);
  }

  /** An embeddings request was answered: {@code inputs} vectors of {@code tokens} tokens in all. */
  public void embeddings(int inputs, int tokens) {
    embeddingRequests.increment();
    embeddingInputs.increment(inputs);
    embeddingTokens.increment(tokens);
  }

  /** A request ended normally, by {@code finish_reason}. */
  public void finished(String finishReason) {
    Counter.builder("vllm:request_success").description("Requests that ended, by finish reason")
        .tag("finished_reason", finishReason).register(registry).increment();
  }

  /** A request failed, by error type (HTTP-level or mid-stream). */
  public void failed(String type) {
    errors(type).increment();
  }

  /**
   * Registers the error counter for each of {@code types} at 0, so that the series exist (and
   * {@code rate()} works) before the first error of each type.
   */
  public void expectErrors(java.util.Collection<String> types) {
    types.forEach(this::errors);
  }

  private Counter errors(String type) {
    return Counter.builder("tokenbus_request_errors").description("Requests that failed, by error type")
        .tag("type", type).register(registry);
  }

  /**
   * The one {@code type} object of these metrics, made by {@code create} on the first call; any
   * thread. For meters that several components of a node feed together (the load of its workers):
   * the first registers them, every one adds its part.
   */
  public <T> T shared(Class<T> type, java.util.function.Function<TokenbusMetrics, T> create) {
    return type.cast(shared.computeIfAbsent(type, t -> create.apply(this)));
  }

  /** Registers a gauge read from {@code source} at each scrape. */
  public <T> void gauge(String name, String description, Supplier<T> source, ToDoubleFunction<T> value) {
    Gauge.builder(name, () -> value.applyAsDouble(source.get())).description(description).register(registry);
  }

  /**
   * Registers a counter read from {@code source} at each scrape (Prometheus adds {@code _total});
   * the value must never decrease.
   */
  public <T> void counter(String name, String description, Supplier<T> source, ToDoubleFunction<T> value) {
    counter(name, description, Tags.empty(), source, value);
  }

  /** {@link #counter(String, String, Supplier, ToDoubleFunction)} for one series of a labelled counter. */
  public <T> void counter(String name, String description, Tags tags, Supplier<T> source, ToDoubleFunction<T> value) {
    // Micrometer holds a function counter's object weakly: keep the source reachable.
    counterSources.add(source);
    FunctionCounter.builder(name, source, s -> value.applyAsDouble(s.get())).description(description)
        .tags(tags).register(registry);
  }

  /**
   * Micrometer's Prometheus naming turns {@code :} into {@code _}; vLLM's names keep their
   * {@code vllm:} prefix (valid in Prometheus), so that its dashboards match.
   */
  private record VllmNaming(NamingConvention delegate) implements NamingConvention {
    private static final String PREFIX = "vllm:";

    @Override
    public String name(String name, Meter.Type type, String baseUnit) {
      return name.startsWith(PREFIX) ? PREFIX + delegate.name(name.substring(PREFIX.length()), type, baseUnit)
          : delegate.name(name, type, baseUnit);
    }

    @Override
    public String tagKey(String key) {
      return delegate.tagKey(key);
    }

    @Override
    public String tagValue(String value) {
      return delegate.tagValue(value);
    }
  }

  private static Duration[] seconds(double... values) {
    Duration[] out = new Duration[values.length];
    for (int i = 0; i < values.length; i++) {
      out[i] = Duration.ofNanos((long) (values[i] * 1e9));
    }
    return out;
  }
}
