package dev.tokenbus.model;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class ProgressListenerTest {
  private static final long MIB = 1024 * 1024;
  private final AtomicLong clock = new AtomicLong();

  @Test
  void theBarRedrawsInPlaceAtMostTenTimesASecond() {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    TerminalProgressBar bar = new TerminalProgressBar(new PrintStream(bytes, true, StandardCharsets.UTF_8), clock::get);

    bar.started("https://example.org/m/model.gguf?download=true", 0, 100 * MIB);
    for (int i = 1; i <= 50; i++) {
      clock.addAndGet(TimeUnit.MILLISECONDS.toNanos(10));
      bar.progress(i * MIB, 100 * MIB, 2 * MIB);
    }
    bar.finished();

    String out = bytes.toString(StandardCharsets.UTF_8);
    assertThat(out.split("\r", -1)).hasSize(1 + 1 + 5 + 1); // start, one per 100 ms over 500 ms, the last state
    assertThat(out).startsWith("\rmodel.gguf   0% [")
        .contains("model.gguf  50% [##########          ] 50.0/100.0 MiB  2.0 MiB/s  ETA 0:25")
        .endsWith(System.lineSeparator());
  }

  @Test
  void anUnknownSizeShowsBytesAndRate() {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    TerminalProgressBar bar = new TerminalProgressBar(new PrintStream(bytes, true, StandardCharsets.UTF_8), clock::get);

    bar.started("http://h/x.bin", 0, -1);
    bar.progress(3 * MIB / 2, -1, MIB);

    assertThat(bar.line()).isEqualTo("x.bin  1.5 MiB  1.0 MiB/s");
  }

  @Test
  void logLinesComeAtQuartersAndAfterQuietIntervals() {
    Logger logger = new LoggerContext().getLogger("progress");
    ListAppender<ILoggingEvent> appender = new ListAppender<>();
    appender.start();
    logger.addAppender(appender);
    LoggingProgressListener listener = new LoggingProgressListener(logger, TimeUnit.SECONDS.toNanos(3), clock::get);

    listener.started("http://h/model.gguf", 0, 200 * MIB);
    for (int i = 1; i <= 200; i++) { // 1 MiB every 100 ms
      clock.addAndGet(TimeUnit.MILLISECONDS.toNanos(100));
      listener.progress(i * MIB, 200 * MIB, 10 * MIB);
    }

    List<String> lines = appender.list.stream().map(ILoggingEvent::getFormattedMessage).toList();
    assertThat(lines).startsWith("downloading http://h/model.gguf (200.0 MiB)",
        "model.gguf: 15% (30.0 of 200.0 MiB, 10.0 MiB/s, ETA 0:17)");
    assertThat(lines.subList(1, lines.size()))
        .extracting(line -> line.replaceFirst("model.gguf: (\\d+)%.*", "$1"))
        .containsExactly("15", "25", "40", "50", "65", "75", "90", "100");
  }
}
