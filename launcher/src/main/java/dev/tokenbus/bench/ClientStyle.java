package dev.tokenbus.bench;

import io.vertx.core.Vertx;
import java.util.Locale;

/**
 * The client styles {@code bench compare} measures every server with, each its own way of sending a
 * request and reading the stream, all timed alike (from just before the connection opens to the
 * first token event), so that no one client's habits decide a server's figures.
 */
public enum ClientStyle {
  /** A raw socket, {@code TCP_NODELAY}, the whole request in one write. */
  RAW("raw", "a raw socket, TCP_NODELAY, the whole request in one write"),
  /** A raw socket, Nagle left on, the head and then the body in two writes. */
  RAW_SPLIT("raw-split", "a raw socket, Nagle on, the head then the body in two writes"),
  /** The curl binary, timed by its own trace clock. */
  CURL("curl", "the curl binary, timed by its --trace-time clock from its connect; first byte: time_starttransfer"),
  /** Vert.x's HTTP client. */
  VERTX("vertx", "Vert.x's HttpClient, a new client per request"),
  /** The JDK's {@code java.net.http.HttpClient}. */
  JDK("jdk", "the JDK's java.net.http.HttpClient, HTTP/1.1, a new client per request");

  private final String label;
  private final String description;

  ClientStyle(String label, String description) {
    this.label = label;
    this.description = description;
  }

  /** The name on the command line and in the tables. */
  public String label() {
    return label;
  }

  /** What it is, in a few words. */
  public String description() {
    return description;
  }

  /** The style named {@code label}. */
  public static ClientStyle parse(String label) {
    for (ClientStyle s : values()) {
      if (s.label.equals(label.strip().toLowerCase(Locale.ROOT))) {
        return s;
      }
    }
    throw new IllegalArgumentException("unknown client style: " + label + " (raw, raw-split, curl, vertx, jdk)");
  }

  /**
   * A client of this style for a server's route, every request on a new connection.
   *
   * @param vertx the Vert.x the {@link #VERTX} style runs on (the others ignore it)
   */
  FirstTokenClient open(int port, SseLoad.Dialect dialect, Vertx vertx) {
    return switch (this) {
      case RAW -> new RawSocketClient(port, dialect, false);
      case RAW_SPLIT -> new RawSocketClient(port, dialect, true);
      case CURL -> new CurlClient(port, dialect);
      case VERTX -> new VertxClient(vertx, port, dialect);
      case JDK -> new JdkClient(port, dialect, true);
    };
  }
}
