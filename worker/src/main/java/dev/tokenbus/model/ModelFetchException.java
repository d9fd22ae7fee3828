package dev.tokenbus.model;

import java.io.IOException;
import java.net.UnknownHostException;
import java.nio.channels.UnresolvedAddressException;

/**
 * A model could not be found or fetched. The message names the file or URL and the reason (an HTTP status, an
 * unreachable host, a checksum mismatch, a disk error), so it can be shown to the user as it is.
 */
public class ModelFetchException extends IOException {

  public ModelFetchException(String message) {
    super(message);
  }

  public ModelFetchException(String message, Throwable cause) {
    super(message, cause);
  }

  /** The most telling words for a cause: the JDK often wraps the real reason in an exception without a message. */
  static String describe(Throwable error) {
    for (Throwable t = error; t != null; t = t.getCause()) {
      if (t instanceof UnresolvedAddressException || t instanceof UnknownHostException) {
        return "unknown host";
      }
    }
    for (Throwable t = error; t != null; t = t.getCause()) {
      if (t.getMessage() != null && !t.getMessage().isBlank()) {
        return t.getMessage();
      }
    }
    return error.getClass().getSimpleName();
  }
}
