package dev.tokenbus.model;

import java.io.Console;

/**
 * Hears how a download goes. Called on the downloading thread, for every chunk received: implementations that
 * print decide themselves how often.
 */
public interface ProgressListener {

  /**
   * A download starts or resumes.
   *
   * @param what       the URL being downloaded, for display
   * @param bytesDone  bytes already on disk from an earlier, interrupted attempt
   * @param totalBytes the file's size, or -1 when the server did not say
   */
  default void started(String what, long bytesDone, long totalBytes) {
  }

  /**
   * More bytes arrived.
   *
   * @param bytesDone      bytes on disk so far, resumed ones included
   * @param totalBytes     the file's size, or -1 when unknown
   * @param bytesPerSecond the transfer rate of this attempt
   */
  void progress(long bytesDone, long totalBytes, double bytesPerSecond);

  /** The download ended, complete or not: a progress bar ends its line here. */
  default void finished() {
  }

  static ProgressListener none() {
    return (done, total, rate) -> {
    };
  }

  /** A progress bar on stderr when a person is watching a terminal, else log lines (a service, CI, a pipe). */
  static ProgressListener forTerminalOrLog() {
    Console console = System.console();
    if (console != null && console.isTerminal()) {
      return new TerminalProgressBar(System.err);
    }
    return new LoggingProgressListener();
  }
}
