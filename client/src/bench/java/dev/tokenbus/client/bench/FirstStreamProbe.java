package dev.tokenbus.client.bench;

import dev.tokenbus.client.StreamConfig;
import dev.tokenbus.client.TokenStream;
import dev.tokenbus.client.Tokenbus;
import dev.tokenbus.client.TokenbusOptions;
import dev.tokenbus.client.Transport;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Locale;

/**
 * What an application's first stream costs in a fresh JVM: {@code bench client-start} runs this
 * program, on the client's jar and its runtime dependencies alone, once per JVM. It creates a
 * client, opens one short greedy generation and reads it to the end, then a second one, and prints
 * one line:
 *
 * <pre>first-stream main-epoch-us=N construct-ms=X first-token-ms=X second-token-ms=X</pre>
 *
 * <p>{@code main-epoch-us} is the wall clock when {@code main} began (the parent subtracts the
 * moment it started the process); {@code construct-ms} is {@link Tokenbus#create}; the token
 * figures run from {@code generate} to the first token {@link TokenStream#next()} returns. At each
 * of those moments the program loads an empty class ({@link Constructed}, {@link FirstToken},
 * {@link SecondToken}), so a {@code -Xlog:class+load} log says which classes each phase loaded.
 *
 * <p>Arguments: the gateway URL, then {@code websocket} or {@code sse}.
 */
public final class FirstStreamProbe {

  /** Loaded when the client is constructed. */
  static final class Constructed {}

  /** Loaded when the first stream's first token arrived. */
  static final class FirstToken {}

  /** Loaded when the second stream's first token arrived. */
  static final class SecondToken {}

  private FirstStreamProbe() {}

  public static void main(String[] args) throws Exception {
    long t0 = System.nanoTime();
    Instant started = Instant.now();
    if (args.length != 2) {
      throw new IllegalArgumentException("usage: FirstStreamProbe GATEWAY_URL websocket|sse");
    }
    TokenbusOptions options = TokenbusOptions.of(args[0])
        .withTransport(Transport.valueOf(args[1].toUpperCase(Locale.ROOT)));
    Tokenbus tokenbus = Tokenbus.create(options);
    long constructed = System.nanoTime();
    mark(Constructed.class);
    try {
      StreamConfig config = StreamConfig.builder().temperature(0).maxTokens(4).build();
      long first = firstToken(tokenbus, config);
      mark(FirstToken.class);
      long second = firstToken(tokenbus, config);
      mark(SecondToken.class);
      System.out.printf(Locale.ROOT, "first-stream main-epoch-us=%d construct-ms=%.3f first-token-ms=%.3f"
              + " second-token-ms=%.3f%n", ChronoUnit.MICROS.between(Instant.EPOCH, started),
          (constructed - t0) / 1e6, first / 1e6, second / 1e6);
    } finally {
      tokenbus.close();
    }
  }

  /** Nanoseconds from starting a generation to its first token; reads it to the end. */
  private static long firstToken(Tokenbus tokenbus, StreamConfig config) throws InterruptedException {
    long start = System.nanoTime();
    TokenStream stream = tokenbus.generate("Once upon a time", config);
    stream.next();
    long took = System.nanoTime() - start;
    while (!stream.isFinished()) {
      stream.next();
    }
    return took;
  }

  /** The class literal at the call loaded {@code marker} (without initialising it): that is the mark. */
  private static void mark(Class<?> marker) {
    java.util.Objects.requireNonNull(marker);
  }
}
